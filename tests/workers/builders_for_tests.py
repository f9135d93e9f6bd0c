"""Document builders for the worker tests, on the engine's memo type (no reception domain).

Imported by the tests, and by a real `rq worker` process through ``DOCFLOW_EXTRA_IMPORTS``
(``workers.get_app``), so both sides know the same builders. ``test_slow_letter`` sleeps
``DOCFLOW_TEST_BUILD_SECONDS`` (default 3) before building: long enough to kill its worker
in the middle of the job.
"""
import os
import time

from docflow.documents import samples
from docflow.documents.builders import Build, register_builder
from tests.engine.memo import Memo  # noqa: F401  (maps the memo type in a worker process)


def memo_letter(item) -> Build:
    """A reply letter whose data comes from the memo: its body is the applicant's address."""
    context = samples.reply_letter("kk", number=f"MEMO-{item.id}")
    context["applicant"]["address"] = item.body
    return Build(context=context, language="kk", title=item.title, file_name="letter",
                 filename=f"letter-{item.id}.pdf", template="reply_letter")


def slow_memo_letter(item) -> Build:
    time.sleep(float(os.environ.get("DOCFLOW_TEST_BUILD_SECONDS", "3")))
    return memo_letter(item)


register_builder("test_letter", memo_letter)
register_builder("test_slow_letter", slow_memo_letter)
