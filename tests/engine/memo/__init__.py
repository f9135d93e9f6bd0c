"""A small application inside the tests: an internal memo (draft -> signed -> sent).

It registers its own content type, workflow, condition, rules and principal loader on an Engine of
its own, and imports nothing from the reception domain — the proof that the engine is generic.

``Memo`` extends ``Item`` by joined-table inheritance (the engine's documented choice): a memo
*is* an item, so security filters, the optimistic lock and transitions apply to it directly.
"""
from pathlib import Path

from docflow.auth.models import User
from docflow.engine import Engine, Item, Principal
from docflow.extensions import db

HERE = Path(__file__).resolve().parent
PLACE = "venue:1"
OTHER_PLACE = "venue:2"
PASSWORD = "secret-pass-1"


class Memo(Item):
    __tablename__ = "test_memo"

    id = db.Column(db.ForeignKey("engine_item.id", ondelete="CASCADE"), primary_key=True)
    body = db.Column(db.Text, nullable=False, default="")
    __mapper_args__ = {"polymorphic_identity": "memo"}


class Directory:
    """Who holds which global role where: the test's stand-in for RoleAssignment."""

    def __init__(self):
        self.principals: dict[int, Principal] = {}

    def user(self, login: str, *roles: tuple[str, str | None], clearances=(), groups=(),
             email: str | None = None) -> User:
        user = User(login=login, full_name=login.title(), email=email)
        user.set_password(PASSWORD)
        db.session.add(user)
        db.session.flush()
        self.principals[user.id] = Principal(user.id, frozenset(roles), frozenset(clearances),
                                             frozenset(groups))
        return user

    def load(self, user) -> Principal:
        return self.principals.get(user.id, Principal(user.id))

    def holders(self, roles: set[str], places: set[str]) -> list[int]:
        return [uid for uid, p in self.principals.items()
                if any(r in roles and (pl is None or pl in places) for r, pl in p.roles)]


def build_engine(rules: bool = True) -> tuple[Engine, Directory]:
    """An Engine with the memo type registered, as an application would do at start."""
    engine = Engine()
    directory = Directory()

    @engine.condition("has_body", title="the memo has a body text")
    def has_body(item, actor, data) -> bool:
        return bool((getattr(item, "body", "") or "").strip())

    engine.register_workflow(HERE / "memo_workflow.toml")
    engine.register_type("memo", model=Memo, workflow="memo")
    if rules:
        engine.register_rules(HERE / "memo_rules.toml")
    engine.principal_loader(directory.load)
    engine.role_holders(directory.holders)
    return engine, directory
