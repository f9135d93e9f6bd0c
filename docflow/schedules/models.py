"""A venue's monthly reception schedule and its entries (R7-1, R8, the appendix form).

``Schedule`` is an engine Item (joined-table inheritance): its workflow, history, permissions and
files (the poster) come from the engine. A month's schedule exists in numbered versions; a change
after publication is a new version whose entries keep the ``key`` of the entries they were copied
from, so a moved entry is recognisable as the same one (the diff, the ICS ``UID``/``SEQUENCE``,
the applicants placed on it by case work).
"""
from __future__ import annotations

import uuid

from ..engine.content import Item
from ..extensions import db


def new_key() -> str:
    return uuid.uuid4().hex


class Schedule(Item):
    """One version of one venue's schedule for one month.

    ``number`` is the version number (1, 2, ...; the engine's ``version`` column is its optimistic
    lock). ``status`` is the workflow state: draft -> submitted -> approved -> published, and
    superseded once a newer version of the same venue and month is published.
    """

    __tablename__ = "schedule"
    __table_args__ = (db.UniqueConstraint("venue_id", "month", "number",
                                          name="uq_schedule_venue_month_number"),
                      db.Index("ix_schedule_venue_month", "venue_id", "month"))

    id = db.Column(db.ForeignKey("engine_item.id", ondelete="CASCADE"), primary_key=True)
    venue_id = db.Column(db.ForeignKey("venue.id"), nullable=False)
    month = db.Column(db.Date, nullable=False)  # the first day of the month
    number = db.Column(db.Integer, nullable=False, default=1)
    prepared_by_id = db.Column(db.ForeignKey("user_account.id"), nullable=True)
    approved_by_id = db.Column(db.ForeignKey("user_account.id"), nullable=True)
    approved_at = db.Column(db.DateTime, nullable=True)
    published_at = db.Column(db.DateTime, nullable=True)
    # R7-1: officials without a reception at a center this month, acknowledged at approval
    r71_acknowledged = db.Column(db.Boolean, nullable=False, default=False)
    r71_reason = db.Column(db.Text, nullable=True)
    r71_gaps = db.Column(db.JSON, nullable=True)  # official codes listed when approved

    venue = db.relationship("Venue")
    prepared_by = db.relationship("User", foreign_keys=[prepared_by_id])
    approved_by = db.relationship("User", foreign_keys=[approved_by_id])
    entries = db.relationship("ScheduleEntry", back_populates="schedule",
                              cascade="all, delete-orphan", passive_deletes=True,
                              order_by="(ScheduleEntry.date, ScheduleEntry.start, "
                                       "ScheduleEntry.id)")

    __mapper_args__ = {"polymorphic_identity": "schedule"}

    @property
    def status(self) -> str:
        return self.state

    @property
    def month_code(self) -> str:
        return self.month.strftime("%Y-%m")

    def __repr__(self) -> str:
        return f"<Schedule {self.venue_id} {self.month_code} v{self.number} {self.state}>"


class ScheduleEntry(db.Model):
    """One reception: an official of a body receives at the venue on ``date`` from ``start`` to
    ``end``, ``capacity`` applicants, one every ``slot_minutes`` (times in the venue's zone)."""

    __tablename__ = "schedule_entry"
    __table_args__ = (db.UniqueConstraint("schedule_id", "key", name="uq_schedule_entry_key"),
                      db.Index("ix_schedule_entry_official_date", "official_id", "date"))

    id = db.Column(db.Integer, primary_key=True)
    schedule_id = db.Column(db.ForeignKey("schedule.id", ondelete="CASCADE"), nullable=False,
                            index=True)
    key = db.Column(db.String(32), nullable=False, default=new_key, index=True)
    official_id = db.Column(db.ForeignKey("official.id"), nullable=False)
    body_id = db.Column(db.ForeignKey("body.id"), nullable=False)
    date = db.Column(db.Date, nullable=False)
    start = db.Column(db.Time, nullable=False)
    end = db.Column(db.Time, nullable=False)
    slot_minutes = db.Column(db.Integer, nullable=False)
    capacity = db.Column(db.Integer, nullable=False)

    schedule = db.relationship("Schedule", back_populates="entries")
    official = db.relationship("Official")
    body = db.relationship("Body")

    FIELDS = ("official_id", "body_id", "date", "start", "end", "slot_minutes", "capacity")

    def signature(self) -> tuple:
        """What a change is judged on: equal signatures mean the entry did not change."""
        return tuple(getattr(self, f) for f in self.FIELDS)

    def __repr__(self) -> str:
        return f"<ScheduleEntry {self.key[:8]} {self.date} {self.start}-{self.end}>"
