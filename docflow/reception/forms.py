"""Intake forms for the registrar (paper, hand-delivered) and the call-center operator (oral,
call center). They only collect; the rules are IntakeSchema's, so form and API agree."""
from datetime import datetime
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from wtforms import DateField, SelectField, StringField, TextAreaField, TimeField
from wtforms.validators import DataRequired, Length, Optional

from ..i18n import local_now
from .intake import CHANNEL_LABELS

APPLICANT_FIELDS = ("kind", "iin", "bin", "organization", "last_name", "first_name",
                    "patronymic", "citizenship", "language", "phone", "email", "address")


class IntakeForm(FlaskForm):
    channel = SelectField(_l("How the appeal arrived"), validators=[DataRequired()])
    received_date = DateField(_l("Date received"), validators=[DataRequired()])
    received_time = TimeField(_l("Time received"), validators=[DataRequired()])
    venue = StringField(_l("Venue (code)"), validators=[DataRequired(), Length(max=32)],
                        render_kw={"list": "venues", "autocomplete": "off"})
    body = StringField(_l("Competent body (code)"), validators=[DataRequired(), Length(max=32)],
                       render_kw={"list": "bodies", "autocomplete": "off"})
    official = StringField(_l("Official asked for (code, optional)"),
                           validators=[Optional(), Length(max=32)],
                           render_kw={"list": "officials", "autocomplete": "off"})
    kind = SelectField(_l("Applicant"), choices=[("individual", _l("Individual")),
                                                 ("legal_entity", _l("Legal entity"))])
    iin = StringField(_l("IIN"), validators=[Optional(), Length(max=20)],
                      render_kw={"inputmode": "numeric", "autocomplete": "off"})
    bin = StringField(_l("BIN (legal entity)"), validators=[Optional(), Length(max=20)],
                      render_kw={"inputmode": "numeric", "autocomplete": "off"})
    organization = StringField(_l("Organization"), validators=[Optional(), Length(max=255)])
    last_name = StringField(_l("Last name"), validators=[DataRequired(), Length(max=100)])
    first_name = StringField(_l("First name"), validators=[DataRequired(), Length(max=100)])
    patronymic = StringField(_l("Patronymic (if any)"), validators=[Optional(), Length(max=100)])
    citizenship = StringField(_l("Citizenship (KZ, another country code, or stateless)"),
                              default="KZ", validators=[DataRequired(), Length(max=16)])
    language = SelectField(_l("Language of the reply"),
                           choices=[("kk", "Қазақ тілі"), ("ru", "Русский язык")])
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=32)],
                        render_kw={"inputmode": "tel", "autocomplete": "off"})
    email = StringField(_l("E-mail"), validators=[Optional(), Length(max=255)])
    address = StringField(_l("Postal address"), validators=[Optional(), Length(max=500)])
    subject = StringField(_l("Subject"), validators=[DataRequired(), Length(max=500)])
    text = TextAreaField(_l("Summary of the appeal"), validators=[DataRequired(),
                                                                  Length(max=20000)])
    attachments = MultipleFileField(_l("Attached documents (PDF, images, DOCX, ODT, TXT)"))

    def __init__(self, channels, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.channel.choices = [(c, CHANNEL_LABELS[c]) for c in channels]

    def fill_now(self, tz: str) -> None:
        now = local_now(tz)  # the venue's clock: after 19:00 UTC it is tomorrow in Almaty (R25)
        self.received_date.data = self.received_date.data or now.date()
        self.received_time.data = self.received_time.data or now.time().replace(second=0,
                                                                               microsecond=0)

    def intake_data(self, tz: str) -> dict:
        """The dictionary IntakeSchema loads, as the API would receive it."""
        received = datetime.combine(self.received_date.data, self.received_time.data,
                                    tzinfo=ZoneInfo(tz))
        applicant = {name: getattr(self, name).data or None for name in APPLICANT_FIELDS}
        return {"channel": self.channel.data, "received_at": received.isoformat(),
                "venue": self.venue.data, "body": self.body.data,
                "official": self.official.data or None, "applicant": applicant,
                "subject": self.subject.data, "text": self.text.data}

    def show_errors(self, errors: dict[str, list[str]]) -> None:
        """Put the schema's dotted-path errors next to the matching fields."""
        for path, messages in errors.items():
            name = path.split(".")[-1]
            if name == "received_at":
                name = "received_date"
            field = getattr(self, name, None)
            if field is None or not hasattr(field, "errors"):
                field = self.subject
            field.errors = list(field.errors or []) + list(messages)


class ReassignForm(FlaskForm):
    login = StringField(_l("New responsible employee (login)"),
                        validators=[DataRequired(), Length(max=64)])
    reason = StringField(_l("Reason"), validators=[DataRequired(), Length(max=500)])

