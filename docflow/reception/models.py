"""The appeal: a case file (an engine Item) for one request to be received in person (R4, R25).

The appeal's own table holds what the regulation counts: channel, venue, competent body, the
registration number and dates, the deadlines, the applicant. Its state, history, permissions,
local roles and files are the engine's.
"""
from sqlalchemy import event

from ..engine.content import Item
from ..extensions import db


class Appeal(Item):
    __tablename__ = "appeal"
    __mapper_args__ = {"polymorphic_identity": "appeal"}

    id = db.Column(db.ForeignKey("engine_item.id", ondelete="CASCADE"), primary_key=True)
    # no index of its own: uq_appeal_channel_external_id (channel, external_id) leads with it
    channel = db.Column(db.String(20), nullable=False)
    external_id = db.Column(db.String(128), nullable=True)
    # no index of its own: uq_appeal_venue_year_seq (venue_id, ...) leads with it
    venue_id = db.Column(db.ForeignKey("venue.id"), nullable=False)
    body_id = db.Column(db.ForeignKey("body.id"), nullable=False, index=True)
    official_id = db.Column(db.ForeignKey("official.id"), nullable=True, index=True)

    # R25: registered the day it arrives, numbered per venue and year with no gaps
    registration_year = db.Column(db.Integer, nullable=False)
    # set as the intake's last step (see operations.register_appeal); never NULL once committed
    registration_seq = db.Column(db.Integer, nullable=True)
    registration_number = db.Column(db.String(48), nullable=True, unique=True)
    received_at = db.Column(db.DateTime, nullable=False)  # UTC
    # no index of its own: ix_appeal_report_registered (registered_on, ...) leads with it
    registered_on = db.Column(db.Date, nullable=False)
    registered_by_id = db.Column(db.ForeignKey("user_account.id"), nullable=True)
    # R29: reply due 15 working days after registration
    reply_due = db.Column(db.Date, nullable=False, index=True)
    replied_on = db.Column(db.Date, nullable=True)
    # no index of its own: ix_appeal_responsible_reply_due (responsible_id, reply_due) leads
    # with it (every intake wrote both)
    responsible_id = db.Column(db.ForeignKey("user_account.id"), nullable=True)
    # A copy of "the state is not final" (engine_item.state, queries.TERMINAL_STATES) kept by the
    # database itself (triggers below, whatever writes the state: a transition, a bulk load, a
    # plain UPDATE), so that a responsible officer's open appeals are one index range
    # (ix_appeal_open_responsible_due) instead of a probe per appeal they ever had. Queries keep
    # the state condition as well; never written by the application.
    is_open = db.Column(db.Boolean, nullable=False, server_default=db.true(), default=True)

    applicant_kind = db.Column(db.String(16), nullable=False)
    iin = db.Column(db.String(12), nullable=True, index=True)
    bin = db.Column(db.String(12), nullable=True, index=True)
    organization = db.Column(db.String(255), nullable=True)
    last_name = db.Column(db.String(100), nullable=False)
    first_name = db.Column(db.String(100), nullable=False)
    patronymic = db.Column(db.String(100), nullable=True)
    citizenship = db.Column(db.String(16), nullable=False)
    applicant_language = db.Column(db.String(2), nullable=False)
    phone = db.Column(db.String(32), nullable=True)
    email = db.Column(db.String(255), nullable=True)
    address = db.Column(db.String(500), nullable=True)
    subject = db.Column(db.String(500), nullable=False)
    text = db.Column(db.Text, nullable=False)

    venue = db.relationship("Venue")
    body = db.relationship("Body")
    official = db.relationship("Official")
    responsible = db.relationship("User", foreign_keys=[responsible_id])
    registered_by = db.relationship("User", foreign_keys=[registered_by_id])

    __table_args__ = (
        db.UniqueConstraint("channel", "external_id", name="uq_appeal_channel_external_id"),
        db.UniqueConstraint("venue_id", "registration_year", "registration_seq",
                            name="uq_appeal_venue_year_seq"),
        db.Index("ix_appeal_responsible_reply_due", "responsible_id", "reply_due"),
        # the worklist (mine): a responsible officer's open appeals in reply-due order
        db.Index("ix_appeal_open_responsible_due", "responsible_id", "reply_due", "id",
                 postgresql_where=db.text("is_open"), sqlite_where=db.text("is_open")),
        # overdue counters and dashboards (R29): only appeals still waiting for their reply
        db.Index("ix_appeal_unreplied_reply_due", "reply_due", "id",
                 postgresql_where=db.text("replied_on IS NULL")),
    )

    @property
    def applicant_name(self) -> str:
        return applicant_name(self.last_name, self.first_name, self.patronymic)


def applicant_name(last_name: str, first_name: str, patronymic: str | None) -> str:
    """The applicant's name as lists show it (also for row tuples without an Appeal object)."""
    return " ".join(p for p in (last_name, first_name, patronymic) if p)


class AssignmentLog(db.Model):
    """Who was made responsible for an appeal, by whom and why (R25 hand-over, reassignment)."""

    __tablename__ = "appeal_assignment"

    id = db.Column(db.Integer, primary_key=True)
    appeal_id = db.Column(db.ForeignKey("appeal.id", ondelete="CASCADE"), nullable=False,
                          index=True)
    user_id = db.Column(db.ForeignKey("user_account.id"), nullable=True)
    by_id = db.Column(db.ForeignKey("user_account.id"), nullable=True)
    at = db.Column(db.DateTime, nullable=False)
    reason = db.Column(db.String(500), nullable=False)
    user = db.relationship("User", foreign_keys=[user_id])
    by = db.relationship("User", foreign_keys=[by_id])


# The worklist's "still open" appeals: a small part of all appeals once the years add up. The
# state lives on engine_item, so the partial index is there (states as queries.TERMINAL_STATES,
# a test pins them); state and restricted are in the index, so the visibility filter's own
# conditions are answered from it (an index-only scan) before any appeal row is read.
FINAL_STATES_SQL = "('consulted', 'withdrawn', 'redirected', 'closed')"  # = TERMINAL_STATES

db.Index("ix_engine_item_open_appeal_cover", Item.__table__.c.id,
         postgresql_include=["state", "restricted"],
         postgresql_where=db.text(f"type = 'appeal' AND state NOT IN {FINAL_STATES_SQL}"))


# -- appeal.is_open, kept by the database ------------------------------------------------------
#: PostgreSQL: a new appeal row takes its item's state; a change of an appeal item's state is
#: copied to its appeal row. Idempotent (run on create_all and on older databases by
#: bench/scale.py and the migration).
OPEN_MIRROR_POSTGRESQL = (
    f"""CREATE OR REPLACE FUNCTION appeal_is_open_on_insert() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  NEW.is_open := COALESCE((SELECT state NOT IN {FINAL_STATES_SQL} FROM engine_item
                           WHERE id = NEW.id), true);
  RETURN NEW;
END $$""",
    f"""CREATE OR REPLACE FUNCTION appeal_is_open_from_item() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  UPDATE appeal SET is_open = (NEW.state NOT IN {FINAL_STATES_SQL})
   WHERE id = NEW.id AND is_open IS DISTINCT FROM (NEW.state NOT IN {FINAL_STATES_SQL});
  RETURN NULL;
END $$""",
    "DROP TRIGGER IF EXISTS trg_appeal_is_open_insert ON appeal",
    "CREATE TRIGGER trg_appeal_is_open_insert BEFORE INSERT ON appeal FOR EACH ROW "
    "EXECUTE FUNCTION appeal_is_open_on_insert()",
    "DROP TRIGGER IF EXISTS trg_engine_item_appeal_is_open ON engine_item",
    "CREATE TRIGGER trg_engine_item_appeal_is_open AFTER UPDATE OF state ON engine_item "
    "FOR EACH ROW WHEN (NEW.type = 'appeal' AND OLD.state IS DISTINCT FROM NEW.state) "
    "EXECUTE FUNCTION appeal_is_open_from_item()",
)
#: SQLite (tests, development): the same two rules.
OPEN_MIRROR_SQLITE = (
    "DROP TRIGGER IF EXISTS trg_appeal_is_open_insert",
    f"""CREATE TRIGGER trg_appeal_is_open_insert AFTER INSERT ON appeal
BEGIN
  UPDATE appeal SET is_open = COALESCE((SELECT state NOT IN {FINAL_STATES_SQL} FROM engine_item
                                        WHERE id = NEW.id), 1)
   WHERE id = NEW.id;
END""",
    "DROP TRIGGER IF EXISTS trg_engine_item_appeal_is_open",
    f"""CREATE TRIGGER trg_engine_item_appeal_is_open AFTER UPDATE OF state ON engine_item
WHEN NEW.type = 'appeal' AND OLD.state IS NOT NEW.state
BEGIN
  UPDATE appeal SET is_open = (NEW.state NOT IN {FINAL_STATES_SQL}) WHERE id = NEW.id;
END""",
)
#: PostgreSQL, an older database: the column, true for the open appeals only. Added as false and
#: then set on the open rows (about a tenth), instead of true and then unset on the closed ones.
ADD_OPEN_COLUMN_POSTGRESQL = (
    "ALTER TABLE appeal ADD COLUMN is_open BOOLEAN NOT NULL DEFAULT false",
    f"UPDATE appeal SET is_open = true FROM engine_item i WHERE i.id = appeal.id "
    f"AND i.state NOT IN {FINAL_STATES_SQL}",
    "ALTER TABLE appeal ALTER COLUMN is_open SET DEFAULT true",
)


def install_open_mirror(connection) -> None:
    """Create (or replace) the triggers that keep ``appeal.is_open``."""
    statements = (OPEN_MIRROR_POSTGRESQL if connection.dialect.name == "postgresql"
                  else OPEN_MIRROR_SQLITE)
    for statement in statements:
        connection.exec_driver_sql(statement)


def add_open_column(connection) -> None:
    """An older PostgreSQL database (bench/scale.py, the migration): add ``appeal.is_open``
    filled from the states, then its triggers."""
    for statement in ADD_OPEN_COLUMN_POSTGRESQL:
        connection.exec_driver_sql(statement)
    install_open_mirror(connection)


@event.listens_for(Appeal.__table__, "after_create")
def _appeal_created(target, connection, **kw) -> None:
    install_open_mirror(connection)
