"""``<yearmonth:month>`` in URLs: ``YYYY-MM`` as the first day of the month; anything else is
no match (404), never an error."""
from datetime import date

from werkzeug.routing import BaseConverter, ValidationError


class MonthConverter(BaseConverter):
    regex = r"\d{4}-\d{2}"

    def to_python(self, value: str) -> date:
        year, month = int(value[:4]), int(value[5:])
        if not (1 <= month <= 12 and 2000 <= year <= 2100):
            raise ValidationError()
        return date(year, month, 1)

    def to_url(self, value) -> str:
        return value if isinstance(value, str) else f"{value:%Y-%m}"
