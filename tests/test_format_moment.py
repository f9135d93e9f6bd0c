"""docflow.i18n.format_moment (the templates' ``|datetime``) gives exactly what
flask_babel.format_datetime gives — in each language, for stored UTC moments (naive) and aware
ones, around midnight in Almaty (the day changes with the zone), for the medium and short forms
— from its remembered parts, and passes the other forms to flask-babel."""
import random
from datetime import UTC, datetime, timedelta

import pytest
from flask_babel import force_locale, format_datetime

from docflow.i18n import format_moment


def moments():
    rng = random.Random(11)
    base = datetime(2023, 12, 31, 18, 59, 59)  # 23:59:59 in Almaty (UTC+6 until March 2024)
    out = [base, base + timedelta(seconds=1), datetime(2024, 2, 29, 19, 0),
           datetime(2024, 3, 1, 0, 0), datetime(2026, 11, 26, 7, 5, 9, tzinfo=UTC)]
    out += [base + timedelta(seconds=rng.randrange(0, 3 * 365 * 86400)) for _ in range(300)]
    return out


@pytest.mark.parametrize("language", ["kk", "ru", "en"])
def test_the_same_text_as_flask_babel(app, language):
    with app.test_request_context("/"), force_locale(language):
        for fmt in ("medium", "short"):
            for moment in moments():
                assert format_moment(moment, fmt) == format_datetime(moment, fmt), moment
                assert format_moment(moment, fmt) == format_datetime(moment, fmt)  # remembered
        moment = datetime(2026, 11, 26, 7, 5, 9)
        assert format_moment(moment, "long") == format_datetime(moment, "long")
