"""What an appeal needs at intake (R4, R11, R25), checked in one place.

The API (DESIGN §5, contract) loads its request body with :class:`IntakeSchema`; the registrar's
and the call-center operator's forms build the same dictionary and load it with the same schema,
so a rule (an IIN's check digit, a citizenship code, the electronic channels' external_id) is
written once. Field errors come back keyed by dotted path (``applicant.iin``).
"""
from functools import cache

import marshmallow as ma
from babel import Locale
from flask_babel import lazy_gettext as _l

from .identity import IdentityError, validate_bin, validate_iin

CHANNELS = ("egov_portal", "e_appeals", "paper", "hand_delivered", "oral", "call_center")
ELECTRONIC_CHANNELS = ("egov_portal", "e_appeals")
CHANNEL_LABELS = {
    "egov_portal": _l("E-government portal"),
    "e_appeals": _l("E-appeals system"),
    "paper": _l("Paper, by post"),
    "hand_delivered": _l("Paper, delivered by hand"),
    "oral": _l("Oral statement to a reception employee"),
    "call_center": _l("Call center"),
}
LANGUAGES = ("kk", "ru")
STATELESS = "stateless"


@cache
def country_codes() -> frozenset[str]:
    """ISO 3166 alpha-2 codes, from Babel's CLDR data (no extra dependency)."""
    return frozenset(code for code in Locale("en").territories
                     if len(code) == 2 and code.isalpha() and code not in ("ZZ", "EU", "EZ", "UN", "QO"))


def is_restricted(citizenship: str) -> bool:
    """R11: foreigners and stateless persons are received under the secrecy regime."""
    return citizenship != "KZ"


def _text(max_len: int, required: bool = True, **kw) -> ma.fields.String:
    validators = [ma.validate.Length(max=max_len)]
    if required:
        validators.append(ma.validate.Length(min=1, error=str(_l("This field is required."))))
    return ma.fields.String(required=required, validate=validators,
                            load_default=None if not required else ma.missing, allow_none=not required,
                            **kw)


class Stripped(ma.Schema):
    @ma.pre_load
    def strip(self, data, **kwargs):
        if isinstance(data, dict):
            return {k: v.strip() if isinstance(v, str) else v for k, v in data.items()}
        return data


_HANDLED_HOOKS = {"pre_load": [("strip", False, {})]}


def plain_load(schema: Stripped, data) -> dict | None:
    """``schema.load(data)`` for a body that is valid, in plain Python (~4x cheaper than
    marshmallow's field machinery, issue 5); None when anything is not simply valid — the
    caller then loads with marshmallow, whose errors (and result) are the contract.

    The rules are the schema's own, read from it: each declared field's required,
    allow_none, load_default and validators (``Length``, ``OneOf`` checked here; any other
    validator, and any field but String and Nested, go through the field's own
    ``deserialize``), then the schema's ``@validates`` and ``@validates_schema`` methods, as
    marshmallow calls them. A schema with another hook (post_load ...) or an option this does
    not follow is never loaded here."""
    if type(data) is not dict:
        return None
    hooks = schema._hooks
    if any(tag not in ("validates", "validates_schema") and hooks[tag] != _HANDLED_HOOKS.get(tag)
           for tag in hooks if hooks[tag]):
        return None
    fields = schema.load_fields
    if not data.keys() <= fields.keys() or schema.unknown != ma.RAISE:
        return None
    out = {}
    for name, field in fields.items():
        raw = data.get(name, ma.missing)
        if field.data_key is not None or field.attribute is not None:
            return None
        if raw is ma.missing:
            if field.required:
                return None
            default = field.load_default
            if default is not ma.missing:
                out[name] = default() if callable(default) else default
            continue
        if isinstance(raw, str):
            raw = raw.strip()  # the pre_load hook
        if raw is None:
            if not field.allow_none:
                return None
            out[name] = None
            continue
        kind = type(field)
        if kind is ma.fields.String:
            if type(raw) is not str:
                return None
            for validator in field.validators:
                check = type(validator)
                if check is ma.validate.Length:
                    if validator.equal is not None or (
                            validator.min is not None and len(raw) < validator.min) or (
                            validator.max is not None and len(raw) > validator.max):
                        return None
                elif check is ma.validate.OneOf:
                    if raw not in validator.choices:
                        return None
                else:
                    return None
            out[name] = raw
        elif kind is ma.fields.Nested and isinstance(field.schema, Stripped) \
                and not field.many:
            loaded = plain_load(field.schema, raw)
            if loaded is None:
                return None
            out[name] = loaded
        else:
            try:
                out[name] = field.deserialize(raw, name, data)
            except ma.ValidationError:
                return None
    try:
        for attr, _many, kwargs in hooks["validates"]:
            for name in kwargs["field_names"]:
                if name in out:
                    getattr(schema, attr)(out[name], data_key=name)
        for attr, many, kwargs in hooks["validates_schema"]:
            if many or kwargs.get("pass_original"):
                return None
            getattr(schema, attr)(out, many=False, partial=None, unknown=None)
    except ma.ValidationError:
        return None
    return out


class ApplicantSchema(Stripped):
    kind = ma.fields.String(required=True, validate=ma.validate.OneOf(("individual", "legal_entity")))
    iin = ma.fields.String(load_default=None, allow_none=True)
    bin = ma.fields.String(load_default=None, allow_none=True)
    organization = _text(255, required=False)
    last_name = _text(100)
    first_name = _text(100)
    patronymic = _text(100, required=False)
    citizenship = ma.fields.String(required=True)
    language = ma.fields.String(required=True, validate=ma.validate.OneOf(LANGUAGES))
    phone = _text(32, required=False)
    email = ma.fields.Email(load_default=None, allow_none=True,
                            validate=ma.validate.Length(max=255))  # the column's width
    address = _text(500, required=False)

    @ma.validates("citizenship")
    def _citizenship(self, value, **kwargs):
        if value != STATELESS and value not in country_codes():
            raise ma.ValidationError(str(_l(
                "Give an ISO 3166 two-letter country code (KZ for Kazakhstan) or 'stateless'.")))

    @ma.validates_schema(skip_on_field_errors=False)
    def _identity(self, data, **kwargs):
        errors = {}
        kind = data.get("kind")
        if kind == "individual":
            if data.get("citizenship") == "KZ" and not data.get("iin"):
                errors["iin"] = [str(_l("A citizen of Kazakhstan is identified by an IIN."))]
            elif data.get("iin"):
                try:
                    data["iin"] = validate_iin(data["iin"])
                except IdentityError as exc:
                    errors["iin"] = [str(exc)]
            if data.get("bin"):
                errors["bin"] = [str(_l("An individual has an IIN, not a BIN."))]
        elif kind == "legal_entity":
            if not data.get("bin"):
                errors["bin"] = [str(_l("A legal entity is identified by its BIN."))]
            else:
                try:
                    data["bin"] = validate_bin(data["bin"])
                except IdentityError as exc:
                    errors["bin"] = [str(exc)]
            if not data.get("organization"):
                errors["organization"] = [str(_l("Give the organization's name."))]
            if data.get("iin"):
                try:
                    data["iin"] = validate_iin(data["iin"])
                except IdentityError as exc:
                    errors["iin"] = [str(exc)]
        if not (data.get("phone") or data.get("email") or data.get("address")):
            errors["phone"] = [str(_l("Give at least one way to reach the applicant: "
                                      "a phone, an e-mail or an address."))]
        if errors:
            raise ma.ValidationError(errors)


class IntakeSchema(Stripped):
    """The body of POST /api/v1/appeals (contract) and what the intake forms submit."""

    channel = ma.fields.String(required=True, validate=ma.validate.OneOf(CHANNELS))
    external_id = _text(128, required=False)
    received_at = ma.fields.AwareDateTime(required=True, format="iso",
                                          metadata={"format": "date-time"})
    venue = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=32))
    body = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=32))
    applicant = ma.fields.Nested(ApplicantSchema, required=True)
    official = ma.fields.String(load_default=None, allow_none=True,
                                validate=ma.validate.Length(max=32))
    subject = _text(500)
    text = _text(20000)

    class Meta:
        unknown = ma.RAISE

    def load(self, data, *, many=None, partial=None, unknown=None):
        """A valid body in plain Python (:func:`plain_load`), anything else by marshmallow."""
        if many is None and partial is None and unknown is None:
            loaded = plain_load(self, data)
            if loaded is not None:
                return loaded
        return super().load(data, many=many, partial=partial, unknown=unknown)

    @ma.validates_schema(skip_on_field_errors=False)
    def _external_id(self, data, **kwargs):
        if data.get("channel") in ELECTRONIC_CHANNELS and not data.get("external_id"):
            raise ma.ValidationError(
                {"external_id": [str(_l("Required for appeals from the e-government portal "
                                        "and the E-appeals system."))]})
