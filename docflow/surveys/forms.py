"""Forms of the survey pages. They collect and parse; the rules are in operations.py."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, RadioField, SelectField, TextAreaField
from wtforms.validators import Optional

OUTCOME_LABELS = {"reached": _l("Reached: the applicant answered"),
                  "not_reached": _l("Not reached"),
                  "refused_to_answer": _l("Reached, but refused to answer")}
CATEGORY_LABELS = {"consulted": _l("Received a consultation"),
                   "refused": _l("Refused or declined")}


class RoundForm(FlaskForm):
    venue = SelectField(_l("Venue"), validate_choice=False)
    period_start = DateField(_l("Period from"), validators=[Optional()])
    period_end = DateField(_l("Period to"), validators=[Optional()])
    share_percent = IntegerField(_l("Share to call (per cent)"), default=10, validators=[Optional()])
    seed = IntegerField(_l("Seed (empty: a new one; give a round's seed to repeat its draw)"),
                        validators=[Optional()])

    def show_errors(self, errors: dict[str, list[str]]) -> None:
        for name, messages in errors.items():
            field = getattr(self, name, None) or self.period_start
            field.errors = list(field.errors or []) + list(messages)


class OutcomeForm(FlaskForm):
    outcome = RadioField(_l("Outcome of the call"), validate_choice=False,
                         choices=list(OUTCOME_LABELS.items()))
    score = SelectField(_l("Satisfaction score"), validate_choice=False,
                        choices=[("", "—")] + [(str(s), str(s)) for s in range(1, 6)])
    comment = TextAreaField(_l("Comment"))

    def show_errors(self, errors: dict[str, list[str]]) -> None:
        for name, messages in errors.items():
            field = getattr(self, name, None) or self.outcome
            field.errors = list(field.errors or []) + list(messages)
