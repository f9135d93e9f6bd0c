"""Forms of the preparation pages. They collect and parse; the rules are in checks.py."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, Regexp


class NewScheduleForm(FlaskForm):
    venue = SelectField(_l("Venue"), validators=[DataRequired()])
    month = StringField(_l("Month (YYYY-MM)"), validators=[
        DataRequired(), Regexp(r"^\d{4}-(0[1-9]|1[0-2])$",
                               message=_l("Write the month as YYYY-MM, e.g. 2026-12."))],
        render_kw={"placeholder": "YYYY-MM", "inputmode": "numeric"})


class EntryForm(FlaskForm):
    official = StringField(_l("Official (code or name)"),
                           validators=[DataRequired(), Length(max=255)],
                           render_kw={"list": "officials", "autocomplete": "off"})
    date = DateField(_l("Date"), validators=[DataRequired(message=_l("Give the date."))])
    start = TimeField(_l("Start"), validators=[DataRequired(message=_l("Give the start time."))])
    end = TimeField(_l("End"), validators=[DataRequired(message=_l("Give the end time."))])
    slot_minutes = IntegerField(_l("Minutes per applicant"), default=30, validators=[
        InputRequired(message=_l("Give the minutes per applicant.")),
        NumberRange(min=1, max=480, message=_l("Between 1 and 480 minutes."))])
    capacity = IntegerField(_l("Applicants"), default=4, validators=[
        InputRequired(message=_l("Give the number of applicants.")),
        NumberRange(min=1, max=200, message=_l("Between 1 and 200 applicants."))])

    def show_errors(self, errors: dict[str, list[str]]) -> None:
        for name, messages in errors.items():
            field = getattr(self, name, None) or self.official
            field.errors = [*field.errors, *messages]


class CommentForm(FlaskForm):
    comment = TextAreaField(_l("Comment"), validators=[Optional(), Length(max=2000)])


class ReturnForm(FlaskForm):
    reason = TextAreaField(_l("Reason for returning"), validators=[
        DataRequired(message=_l("Say what must be corrected.")), Length(max=2000)])


class ApproveForm(FlaskForm):
    comment = TextAreaField(_l("Comment"), validators=[Optional(), Length(max=2000)])
    acknowledge = BooleanField(_l("I acknowledge that the officials listed have no reception at "
                                  "a citizen reception center this month (R7-1)"))
    reason = TextAreaField(_l("Reason for the acknowledgment"),
                           validators=[Optional(), Length(max=2000)])
