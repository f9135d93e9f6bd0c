"""Survey fixtures: demo data, operators cleared and not (R11), and applicants served through
the appeal workflow (consulted, or withdrawn = declined) — registered by intake, moved by the
engine's transition()."""
from datetime import date
from types import SimpleNamespace

import pytest
from flask_babel import force_locale

from docflow.auth.models import User
from docflow.auth.operations import create_user
from docflow.engine.workflow import transition
from docflow.extensions import db
from docflow.i18n import local_today
from docflow.reception.identity import check_digit
from docflow.reception.intake import IntakeSchema
from docflow.reception.operations import register_appeal
from docflow.surveys.sampling import quarter_bounds
from tests.api.test_appeals_api import body as intake_body

PASSWORD = "secret-pass-1"


def iins():
    """Valid, distinct IINs (born 1 January 1990, serials counting up)."""
    for serial in range(1, 10_000):
        prefix = f"9001013{serial:04d}"
        digit = check_digit(prefix)
        if digit is not None:
            yield prefix + str(digit)


def this_quarter() -> tuple[date, date]:
    return quarter_bounds(local_today())


def user(login: str) -> User:
    return db.session.execute(db.select(User).where(User.login == login)).scalar_one()


@pytest.fixture
def world(request):
    """Demo data plus: a responsible employee cleared at CRC-AST (to move restricted appeals),
    operators at CRC-AST cleared and not, and one at the reception room RR-MLSPP."""
    # the test's own app: db_app's (SQLite or PostgreSQL), pg_app, or the SQLite app
    request.getfixturevalue(next(name for name in ("db_app", "pg_app", "app")
                                 if name in request.fixturenames))
    from docflow.demo import load_demo
    load_demo()
    for login, role, venue, body, cleared in [
        ("resp-x", "responsible", "CRC-AST", "MLSPP", True),
        ("op-cleared", "call_center", "CRC-AST", None, True),
        ("op-plain", "call_center", "CRC-AST", None, False),
        ("op-room", "call_center", "RR-MLSPP", None, False),
        ("head-room", "head", "RR-MLSPP", None, False),
    ]:
        create_user(login, role, venue_code=venue, body_code=body, password=PASSWORD,
                    cleared_restricted=cleared, full_name=login)
    db.session.commit()
    numbers = iins()
    counter = iter(range(1, 100_000))

    def serve(group="consulted", venue="CRC-AST", *, foreign=False, iin=None, phone=None,
              language="kk", **over):
        """Register an appeal and move it to consulted (a consultation), withdrawn, or (None)
        leave it registered."""
        n = next(counter)
        applicant = {"applicant__phone": phone or f"+7701{n:07d}",
                     "applicant__language": language}
        if foreign:
            applicant.update(applicant__citizenship="UZ", applicant__iin=None)
        else:
            applicant["applicant__iin"] = iin or next(numbers)
        data = intake_body(external_id=f"SV-{n}", venue=venue, **applicant, **over)
        with force_locale("en"):
            appeal = register_appeal(IntakeSchema().load(data), None).appeal
            actor = user("resp-x")
            if group == "consulted":
                transition(appeal, "consult", actor, "consultation given")
            elif group == "withdrawn":
                transition(appeal, "withdraw", actor, "the applicant declined")
        db.session.commit()
        return appeal

    return SimpleNamespace(serve=serve, user=user, admin=user("demo-admin"))
