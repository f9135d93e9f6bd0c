"""IntakeSchema loads a valid body in plain Python (issue 5: ~4x cheaper than marshmallow's
field machinery) and everything else with marshmallow: for every body below the result, or the
field errors, are exactly marshmallow's."""
import copy

import marshmallow as ma

from docflow.reception.intake import IntakeSchema, plain_load
from tests.api.test_appeals_api import body

LONG = "я" * 501


def _variants() -> list[dict]:
    base = body(external_id="X-1")
    out = [base,
           body(external_id="  X-2 ", official="MLSPP-MIN", applicant__iin=None,
                applicant__citizenship="RU", applicant__patronymic="Иванович",
                applicant__email="a@example.kz", applicant__address=" Астана "),
           body(external_id="X-3", applicant__kind="legal_entity", applicant__iin=None,
                applicant__bin="180340021791", applicant__organization="ЖШС Мысал"),
           body(channel="paper", external_id=None),
           body(channel="paper", external_id=""),
           body(applicant__citizenship="stateless", applicant__iin=None),
           body(applicant__phone=None, applicant__email="x@y.kz"),
           body(official=""), body(official=None), body(subject="  т  ")]
    bad_values = {
        "channel": ["", "fax", 5, None], "external_id": ["", " ", "x" * 129, 7],
        "received_at": ["2026-11-25", "2026-11-25T10:15:00", "yesterday", "", None, 1,
                        "2026-11-25T10:15:00Z", "2026-11-25 10:15:00+05:00",
                        "20261125T101500+0500", "2026-11-25T10:15:00.123456+05:00"],
        "venue": ["", "x" * 33, None, ["CRC-AST"]], "body": ["", None],
        "official": ["x" * 33, 3], "subject": ["", "   ", LONG, None],
        "text": ["", None, "т" * 20001], "applicant": [None, "x", [], {}],
        "surprise": ["field"]}
    for key, values in bad_values.items():
        for value in values:
            variant = copy.deepcopy(base)
            variant[key] = value
            out.append(variant)
    applicant_values = {
        "kind": ["", "robot", None], "iin": ["123", "850521300129", None, "", 85052130012],
        "bin": ["180340021791"], "organization": ["x" * 256],
        "last_name": ["", None, "x" * 101], "first_name": [" "],
        "patronymic": ["x" * 101, ""], "citizenship": ["kz", "XX", "", None, "RU"],
        "language": ["en", "", None], "phone": [None, "", "x" * 33],
        "email": ["not-an-email", "", "a@b"], "address": ["x" * 501], "extra": ["x"]}
    for key, values in applicant_values.items():
        for value in values:
            variant = copy.deepcopy(base)
            variant["applicant"][key] = value
            out.append(variant)
    missing = copy.deepcopy(base)
    del missing["applicant"]["citizenship"]
    out.append(missing)
    for key in ("channel", "received_at", "venue", "subject", "external_id", "official"):
        variant = copy.deepcopy(base)
        variant.pop(key, None)
        out.append(variant)
    out.append([base])
    return out


def _marshmallow(data):
    try:
        return "ok", ma.Schema.load(IntakeSchema(), copy.deepcopy(data))
    except ma.ValidationError as exc:
        return "errors", exc.messages


def test_intake_load_is_marshmallows(app):
    variants = _variants()
    for data in variants:
        expected = _marshmallow(data)
        try:
            got = "ok", IntakeSchema().load(copy.deepcopy(data))
        except ma.ValidationError as exc:
            got = "errors", exc.messages
        assert got == expected, data
        # the plain path takes exactly the bodies marshmallow accepts
        plain = plain_load(IntakeSchema(), copy.deepcopy(data))
        assert (plain is not None) == (expected[0] == "ok"), data
        if plain is not None:
            assert plain == expected[1], data
    assert sum(_marshmallow(d)[0] == "ok" for d in variants) >= 10  # both paths exercised


def test_the_ordinary_body_takes_the_plain_path(app):
    assert plain_load(IntakeSchema(), body(external_id="X-1")) is not None
