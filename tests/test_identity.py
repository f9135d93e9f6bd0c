"""Applicants' IIN and BIN (DESIGN §5 ``applicant.iin``/``bin``): normalization and every kind
of invalid number, checked against an independent implementation of the check digit and against
numbers published as valid by other projects."""
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from docflow.reception.identity import IdentityError, iin_birth_date, validate_bin, validate_iin


def reference_check_digit(first11: str) -> int | None:
    """Written independently from the module: the egov.kz description, step by step."""
    digits = list(map(int, first11))
    first = sum(digits[i] * (i + 1) for i in range(11)) % 11
    if first != 10:
        return first
    second_weights = [3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2]
    second = sum(d * w for d, w in zip(digits, second_weights, strict=True)) % 11
    return None if second == 10 else second


def complete(first11: str) -> str:
    digit = reference_check_digit(first11)
    assert digit is not None, f"{first11} has no check digit; pick another serial"
    return first11 + str(digit)


def find_first11(prefix: str, second_pass: bool) -> str:
    """A prefix completed with a serial whose check digit needs (or not) the second weights."""
    for serial in range(10 ** (11 - len(prefix))):
        first11 = prefix + str(serial).zfill(11 - len(prefix))
        digits = list(map(int, first11))
        needs_second = sum(d * (i + 1) for i, d in enumerate(digits)) % 11 == 10
        if needs_second == second_pass and reference_check_digit(first11) is not None:
            return first11
    raise AssertionError("no serial found")


def no_check_digit(prefix: str) -> str:
    """Eleven digits for which neither pass of weights yields a digit: never issued."""
    for serial in range(10 ** (11 - len(prefix))):
        first11 = prefix + str(serial).zfill(11 - len(prefix))
        if reference_check_digit(first11) is None:
            return first11
    raise AssertionError("no serial found")


# Published as valid: py-kz-validators' README, kz-iin-validator's README, python-stdnum's kz.bin.
KNOWN_IINS = ["791028302728", "061211600012"]
KNOWN_BINS = ["940140000385", "990140004654"]

COMPUTED_IINS = [
    complete("8001014" + "0001"),                 # 1980, male
    complete("0002295" + "1234"),                 # 29 Feb 2000 (a leap year)
    complete("6512312" + "5555"),                 # 1865, female
    complete(find_first11("9105203", second_pass=True)),  # check digit from the second weights
]

COMPUTED_BINS = [
    complete("051040" + "00012"),                 # resident legal entity, head office
    complete("120651" + "23456"),                 # non-resident, branch
    complete("990762" + "00001"),                 # joint entrepreneurship, representative
    complete(find_first11("210343", second_pass=True)),
]


@pytest.mark.parametrize("iin", KNOWN_IINS + COMPUTED_IINS)
def test_valid_iins(iin):
    assert validate_iin(iin) == iin


@pytest.mark.parametrize("bin_", KNOWN_BINS + COMPUTED_BINS)
def test_valid_bins(bin_):
    assert validate_bin(bin_) == bin_


@pytest.mark.parametrize("raw, expected", [
    (" 791028 302728 ", "791028302728"),
    ("791-028-302-728", "791028302728"),
    (791028302728, "791028302728"),
])
def test_iin_is_normalized(raw, expected):
    assert validate_iin(raw) == expected


def test_bin_is_normalized():
    assert validate_bin("990 140 004 654") == "990140004654"


@pytest.mark.parametrize("iin, born", [
    ("791028302728", date(1979, 10, 28)),
    ("061211600012", date(2006, 12, 11)),
    (complete("6512312" + "5555"), date(1865, 12, 31)),
])
def test_iin_birth_date(iin, born):
    assert iin_birth_date(iin) == born


def _replace(number: str, index: int, digit: str) -> str:
    return number[:index] + digit + number[index + 1:]


def _wrong_check_digit(number: str) -> str:
    return number[:11] + str((int(number[11]) + 1) % 10)


@pytest.mark.parametrize("value, message", [
    ("", "12 digits"),
    (None, "12 digits"),
    ("79102830272", "12 digits"),
    ("7910283027281", "12 digits"),
    ("79102830272X", "12 digits"),
    ("７９１０２８３０２７２８", "12 digits"),  # full-width digits are not ASCII digits
    (_wrong_check_digit("791028302728"), "check digit"),
    (_wrong_check_digit(COMPUTED_IINS[-1]), "check digit"),
    (no_check_digit("8001014") + "0", "check digit"),
    (complete("7913283" + "0272"), "real date of birth"),  # month 13
    (complete("7902303" + "0272"), "real date of birth"),  # 30 February
    (complete("0102295" + "0272"), "real date of birth"),  # 29 Feb 2001, not a leap year
    (complete("7910280" + "0272"), "7th digit"),            # century digit 0
    (complete("7910287" + "0272"), "7th digit"),            # century digit 7
    (complete("9912316" + "0272"), "in the future"),        # 31 Dec 2099
])
def test_invalid_iins(value, message):
    with pytest.raises(IdentityError, match=message):
        validate_iin(value)


@pytest.mark.parametrize("value, message", [
    ("94014000038", "12 digits"),
    ("94014000038A", "12 digits"),
    (_wrong_check_digit("940140000385"), "check digit"),
    (_wrong_check_digit(COMPUTED_BINS[-1]), "check digit"),
    (no_check_digit("051040") + "0", "check digit"),
    (complete("051340" + "00012"), "month"),        # month 13
    (complete("050040" + "00012"), "month"),        # month 00
    (complete("051030" + "00012"), "5th digit"),    # type 3
    (complete("051070" + "00012"), "5th digit"),    # type 7
    (complete("051044" + "00012"), "6th digit"),    # attribute 4
])
def test_invalid_bins(value, message):
    with pytest.raises(IdentityError, match=message):
        validate_bin(value)


def test_iin_is_not_a_bin_and_back():
    with pytest.raises(IdentityError):
        validate_bin("791028302728")      # 5th digit 2 is no BIN type
    with pytest.raises(IdentityError):
        validate_iin("940140000385")      # month 01, day 40


@given(st.text(alphabet="0123456789", min_size=11, max_size=11))
def test_check_digit_agrees_with_the_reference(first11):
    """Any 11 digits: the module accepts exactly the check digit the reference computes."""
    from docflow.reception.identity import check_digit
    assert check_digit(first11) == reference_check_digit(first11)
