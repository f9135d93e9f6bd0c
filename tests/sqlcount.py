"""The SQL statements the app sends, for the tests that pin how many a page or call takes."""
from contextlib import contextmanager

from sqlalchemy import event

from docflow.extensions import db


@contextmanager
def captured_statements():
    """Yields a list that collects the text of every statement sent on ``db.engine`` inside
    the block."""
    seen: list[str] = []

    def listener(conn, cursor, statement, *args):
        seen.append(statement)
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)


def statements_of_get(client, url: str, **kwargs) -> list[str]:
    """The statements of one GET of ``url``, which must answer 200."""
    with captured_statements() as seen:
        assert client.get(url, **kwargs).status_code == 200
    return seen
