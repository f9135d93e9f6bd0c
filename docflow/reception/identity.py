"""Applicants' identity numbers: the IIN of an individual and the BIN of a legal entity.

Both are 12 digits whose last digit is a check digit (Government Resolution No. 565 of
11 June 2003; algorithm as published by egov.kz and used by python-stdnum's ``kz.bin``):

* the first 11 digits weighted 1..11, sum mod 11;
* if that gives 10, weighted 3,4,5,6,7,8,9,10,11,1,2, sum mod 11;
* if that gives 10 again, the number was never issued.

IIN: ``YYMMDD`` date of birth, a century/sex digit (1-2 = 1800s, 3-4 = 1900s, 5-6 = 2000s;
odd = male, even = female), 4 serial digits, the check digit.

BIN: ``YYMM`` of registration, a type digit (4 resident legal entity, 5 non-resident legal entity,
6 joint individual entrepreneurship), an attribute digit (0 head office, 1 branch,
2 representative office, 3 peasant farm under joint entrepreneurship), 5 serial digits, the check
digit.

python-stdnum (2.2) has no IIN module and its ``kz.bin`` does not verify the check digit, so
docflow implements both here. Used by applicant intake (DESIGN §5, ``applicant.iin``/``bin``)
and by the body requisites in reference data.
"""
from datetime import date

from flask_babel import gettext as _

from ..i18n import local_today

WEIGHTS_1 = tuple(range(1, 12))
WEIGHTS_2 = (3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2)
CENTURIES = {1: 1800, 2: 1800, 3: 1900, 4: 1900, 5: 2000, 6: 2000}
BIN_TYPES = {"4", "5", "6"}
BIN_ATTRIBUTES = {"0", "1", "2", "3"}
SEPARATORS = " -"


class IdentityError(ValueError):
    """The number is not a valid IIN/BIN; the message says what is wrong, for people."""


def check_digit(digits: str) -> int | None:
    """The check digit for the first 11 digits, or None when no check digit exists."""
    values = [int(c) for c in digits[:11]]
    for weights in (WEIGHTS_1, WEIGHTS_2):
        result = sum(w * v for w, v in zip(weights, values, strict=True)) % 11
        if result != 10:
            return result
    return None


def _twelve_digits(value) -> str | None:
    """The digits without spaces and dashes, or None unless exactly 12 ASCII digits."""
    number = str(value if value is not None else "")
    for sep in SEPARATORS:
        number = number.replace(sep, "")
    number = "".join(number.split())
    if len(number) != 12 or not number.isascii() or not number.isdigit():
        return None
    return number


def _check_digit_ok(number: str) -> bool:
    expected = check_digit(number)
    return expected is not None and expected == int(number[11])


def iin_birth_date(iin: str) -> date:
    """The date of birth encoded in an IIN; IdentityError when there is no such date."""
    number = _twelve_digits(iin)
    if number is None:
        raise IdentityError(_("An IIN must be 12 digits."))
    century = CENTURIES.get(int(number[6]))
    if century is None:
        raise IdentityError(_("The 7th digit of an IIN (century and sex) must be 1 to 6."))
    try:
        born = date(century + int(number[:2]), int(number[2:4]), int(number[4:6]))
    except ValueError:
        raise IdentityError(_("The first 6 digits of an IIN must be a real date of birth "
                              "(YYMMDD).")) from None
    if born > local_today():
        raise IdentityError(_("The date of birth in the IIN (%(date)s) is in the future.",
                              date=born.isoformat()))
    return born


def validate_iin(value) -> str:
    """The normalized 12-digit IIN, or IdentityError saying what is wrong."""
    number = _twelve_digits(value)
    if number is None:
        raise IdentityError(_("An IIN must be 12 digits."))
    iin_birth_date(number)
    if not _check_digit_ok(number):
        raise IdentityError(_("The IIN's check digit (the last one) does not match: "
                              "please check the number."))
    return number


def validate_bin(value) -> str:
    """The normalized 12-digit BIN, or IdentityError saying what is wrong."""
    number = _twelve_digits(value)
    if number is None:
        raise IdentityError(_("A BIN must be 12 digits."))
    if not 1 <= int(number[2:4]) <= 12:
        raise IdentityError(_("Digits 3-4 of a BIN are the month of registration (01 to 12)."))
    if number[4] not in BIN_TYPES:
        raise IdentityError(_("The 5th digit of a BIN (the type) must be 4 (resident legal "
                              "entity), 5 (non-resident) or 6 (joint individual "
                              "entrepreneurship)."))
    if number[5] not in BIN_ATTRIBUTES:
        raise IdentityError(_("The 6th digit of a BIN (head office, branch, representative "
                              "office, peasant farm) must be 0 to 3."))
    if not _check_digit_ok(number):
        raise IdentityError(_("The BIN's check digit (the last one) does not match: "
                              "please check the number."))
    return number
