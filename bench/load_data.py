"""What the load benchmark sends (issue 10), shared by bench.load (locust, gevent) and
bench.load_profile (in process, no gevent): logins, searches, the intake body, the users."""
from datetime import date

PASSWORD = "demo-pass-2026"
# The staff roles of the load, held where the demo's users hold them: each simulated user signs
# in with a login of its own (load-<role>-<n>), as real employees do.
STAFF_ROLES = [("responsible", None, "MLSPP"), ("registrar", "CRC-AST", None),
               ("head", None, "MLSPP"), ("call_center", "CRC-AST", None)]
SEARCHES = ["Жұмыс", "қабылдау", "Сәрсенбаев", "CRC-AST"]
SEED_APPEALS = 60


def make_iin(prefix: str = "85052130012") -> str:
    from docflow.reception.identity import check_digit
    return prefix + str(check_digit(prefix))


def intake_body(external_id: str, iin: str) -> dict:
    return {"channel": "egov_portal", "external_id": external_id,
            "received_at": "2026-11-25T10:15:00+05:00", "venue": "CRC-AST", "body": "MLSPP",
            "applicant": {"kind": "individual", "iin": iin, "last_name": "Сәрсенбаев",
                          "first_name": "Ғалым", "citizenship": "KZ", "language": "kk",
                          "phone": "+77011234567"},
            "subject": "Жұмысқа орналасу", "text": "Министрдің қабылдауына жазылғым келеді."}


def staff_logins(count: int) -> list[tuple[str, str, str | None, str | None]]:
    """``count`` staff logins, the roles taking turns: (login, role, venue, body)."""
    return [(f"load-{role.replace('_', '-')}-{n:03d}", role, venue, body)
            for n, (role, venue, body) in
            ((n, STAFF_ROLES[n % len(STAFF_ROLES)]) for n in range(count))]


def create_staff(count: int) -> None:
    """Create the load's staff users (in an app context); existing logins are kept."""
    from docflow.auth.models import User
    from docflow.auth.operations import create_user
    from docflow.extensions import db
    for login, role, venue, body in staff_logins(count):
        if db.session.execute(db.select(User.id).where(User.login == login)).first() is None:
            create_user(login, role, venue_code=venue, body_code=body, password=PASSWORD,
                        cleared_restricted=role in ("registrar", "call_center"),
                        full_name=f"Load {role} {login[-3:]}")
    db.session.commit()


def this_month() -> str:
    return date.today().strftime("%Y-%m")


if __name__ == "__main__":  # python -m bench.load_data COUNT, in the benchmark's environment
    import sys

    from docflow import create_app
    with create_app().app_context():
        create_staff(int(sys.argv[1]))
