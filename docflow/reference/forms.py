"""Admin forms for reference data. Field checks come from ``rules`` (shared with the import);
unique codes and cross-field rules are checked by ``operations`` and put back on the fields."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, StringField, TimeField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from ..extensions import db
from ..reception.identity import validate_bin
from . import rules
from .models import Body

BODY_KINDS = {"central": _l("Central state body"), "local": _l("Akim office (local executive body)")}
VENUE_KINDS = {"reception_center": _l("Citizen reception center"),
               "reception_room": _l("Public reception room")}
RANKS = {"first_head": _l("First head"), "deputy": _l("Deputy")}


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _rule(check):
    """A WTForms validator from a ``rules`` check that returns a message or None."""
    def validator(form, field):
        if field.data:
            message = check(field.data)
            if message:
                raise ValidationError(message)
    return validator


def _text(label, max_length, required=True, **kw):
    checks = [DataRequired() if required else Optional(), Length(max=max_length)]
    return StringField(label, validators=checks + kw.pop("validators", []), filters=[_strip],
                       **kw)


def _choices(labels: dict) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in labels.items()]


def _body_choices(blank_label=None) -> list[SelectChoice]:
    bodies = db.session.execute(db.select(Body).order_by(Body.code)).scalars()
    return [SelectChoice("", blank_label or "—")] + [
        SelectChoice(str(b.id), f"{b.code} — {b.name()}") for b in bodies]


def _to_id(value):
    """A select's value as a body id: from the posted string, or from the record being edited."""
    if isinstance(value, Body):
        return value.id
    return int(value) if value not in (None, "", "None") else None


class ReferenceForm(FlaskForm):
    """Fields named as the model's columns; ``groups`` lays them out in fieldsets."""

    groups: list[tuple[str, list[str]]] = []
    code = _text(_l("Code"), 32, validators=[_rule(rules.code_problem)],
                 description=_l("Stable identifier used by other systems, e.g. MZ or CRC-AST."))
    active = BooleanField(_l("Active (offered for new work)"), default=True)

    def values(self) -> dict:
        names = [name for _, fields in self.groups for name in fields]
        return {name: self[name].data if self[name].data is not None else "" for name in names}


class BodyForm(ReferenceForm):
    kind = SelectField(_l("Kind"), choices=_choices(BODY_KINDS))
    name_kk = _text(_l("Name in Kazakh"), 255)
    name_ru = _text(_l("Name in Russian"), 255)
    bin = _text(_l("BIN"), 20, required=False, validators=[_rule(rules.bin_problem)])
    phone = _text(_l("Phone"), 64, required=False)
    email = _text(_l("E-mail"), 255, required=False, validators=[_rule(rules.email_problem)])
    website = _text(_l("Website"), 255, required=False,
                    validators=[_rule(rules.website_problem)])
    address_kk = _text(_l("Address in Kazakh"), 500, required=False)
    address_ru = _text(_l("Address in Russian"), 500, required=False)
    groups = [
        (_l("Body"), ["code", "kind", "name_kk", "name_ru", "active"]),
        (_l("Requisites for letterheads"),
         ["bin", "phone", "email", "website", "address_kk", "address_ru"]),
    ]

    def values(self) -> dict:
        values = super().values()
        values["bin"] = validate_bin(values["bin"]) if values["bin"] else None
        return values


class DivisionForm(ReferenceForm):
    name_kk = _text(_l("Name in Kazakh"), 255)
    name_ru = _text(_l("Name in Russian"), 255)
    groups = [(_l("Division"), ["code", "name_kk", "name_ru", "active"])]


class VenueForm(ReferenceForm):
    kind = SelectField(_l("Kind"), choices=_choices(VENUE_KINDS))
    body = SelectField(_l("Body (public reception rooms only)"), coerce=_to_id)
    name_kk = _text(_l("Name in Kazakh"), 255)
    name_ru = _text(_l("Name in Russian"), 255)
    address_kk = _text(_l("Address in Kazakh"), 500, required=False)
    address_ru = _text(_l("Address in Russian"), 500, required=False)
    timezone = _text(_l("Time zone"), 64, default=rules.DEFAULT_TIMEZONE,
                     validators=[_rule(rules.timezone_problem)])
    opens = TimeField(_l("Opens"), default=rules.DEFAULT_HOURS["opens"])
    lunch_start = TimeField(_l("Lunch break starts"), default=rules.DEFAULT_HOURS["lunch_start"])
    lunch_end = TimeField(_l("Lunch break ends"), default=rules.DEFAULT_HOURS["lunch_end"])
    closes = TimeField(_l("Closes"), default=rules.DEFAULT_HOURS["closes"])
    groups = [
        (_l("Venue"), ["code", "kind", "body", "name_kk", "name_ru", "address_kk", "address_ru",
                       "active"]),
        (_l("Working hours and lunch break"), ["timezone", "opens", "lunch_start", "lunch_end", "closes"]),
    ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.body.choices = _body_choices(_l("— none (citizen reception center) —"))

    def values(self) -> dict:
        values = super().values()
        values["body"] = db.session.get(Body, self.body.data) if self.body.data else None
        return values


class OfficialForm(ReferenceForm):
    body = SelectField(_l("Body"), coerce=_to_id, validators=[DataRequired()])
    rank = SelectField(_l("Rank"), choices=_choices(RANKS))
    last_name_kk = _text(_l("Last name in Kazakh"), 100)
    first_name_kk = _text(_l("First name in Kazakh"), 100)
    patronymic_kk = _text(_l("Patronymic in Kazakh (if any)"), 100, required=False)
    last_name_ru = _text(_l("Last name in Russian"), 100)
    first_name_ru = _text(_l("First name in Russian"), 100)
    patronymic_ru = _text(_l("Patronymic in Russian (if any)"), 100, required=False)
    position_kk = _text(_l("Position in Kazakh"), 255)
    position_ru = _text(_l("Position in Russian"), 255)
    groups = [
        (_l("Official"), ["code", "body", "rank", "position_kk", "position_ru", "active"]),
        (_l("Name in Kazakh"), ["last_name_kk", "first_name_kk", "patronymic_kk"]),
        (_l("Name in Russian"), ["last_name_ru", "first_name_ru", "patronymic_ru"]),
    ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.body.choices = _body_choices()

    def values(self) -> dict:
        values = super().values()
        values["body"] = db.session.get(Body, self.body.data)
        for name in ("patronymic_kk", "patronymic_ru"):  # R8: none rather than empty
            values[name] = values[name] or None
        return values
