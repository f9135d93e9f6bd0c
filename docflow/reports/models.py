"""The quarterly report to the Office of the Government (R40): one per venue, body and quarter.

An engine Item (joined-table inheritance) so that its PDF and XLSX are versioned files of the
engine's store, its submissions and acknowledgement are workflow history rows, and who sees it is
the workflow's permission map (``workflows/quarterly_report.toml``) at its places ``venue:<id>``
and ``body:<id>``.
"""
from ..engine.content import Item
from ..extensions import db
from ..reception.briefs import BriefProposal
from ..reception.materials import MaterialRequest
from ..reception.models import Appeal


class QuarterlyReport(Item):
    __tablename__ = "quarterly_report"
    __mapper_args__ = {"polymorphic_identity": "quarterly_report"}
    __table_args__ = (db.UniqueConstraint("venue_id", "body_id", "year", "quarter",
                                          name="uq_quarterly_report_venue_body_quarter"),
                      db.Index("ix_quarterly_report_year_quarter", "year", "quarter"))

    id = db.Column(db.ForeignKey("engine_item.id", ondelete="CASCADE"), primary_key=True)
    venue_id = db.Column(db.ForeignKey("venue.id"), nullable=False, index=True)
    body_id = db.Column(db.ForeignKey("body.id"), nullable=False, index=True)
    year = db.Column(db.Integer, nullable=False)
    quarter = db.Column(db.Integer, nullable=False)
    built_at = db.Column(db.DateTime, nullable=True)  # UTC, the latest build
    submitted_at = db.Column(db.DateTime, nullable=True)  # UTC, the first submission
    acknowledged_at = db.Column(db.DateTime, nullable=True)  # UTC
    acknowledged_by_id = db.Column(db.ForeignKey("user_account.id"), nullable=True)

    venue = db.relationship("Venue")
    body = db.relationship("Body")
    acknowledged_by = db.relationship("User", foreign_keys=[acknowledged_by_id])

    @property
    def status(self) -> str:
        return self.state

    @property
    def label(self) -> str:
        return f"{self.year} Q{self.quarter}"


# Indexes the figures read through (docflow.reports.figures), each **covering** (INCLUDE, on
# PostgreSQL; SQLite ignores it) so that the figures of a quarter are index-only scans, never a
# visit to each appeal's row (a quarter of one busy venue and body is thousands of appeals spread
# over as many heap pages): one venue and body over a period, by registration date (appeals,
# channels, R25: the channel and the moment received) and by reply due date (R29: when replied);
# and every venue's appeals of a quarter (the dashboard of every venue, which venues and bodies
# report, R40) from the same columns. ``id`` is included for the join to the engine's row
# (the current state) and to the material requests.
db.Index("ix_appeal_report_pair_registered", Appeal.venue_id, Appeal.body_id,
         Appeal.registered_on, postgresql_include=["channel", "received_at", "id"])
db.Index("ix_appeal_report_pair_reply_due", Appeal.venue_id, Appeal.body_id, Appeal.reply_due,
         postgresql_include=["replied_on", "id"])
db.Index("ix_appeal_report_registered", Appeal.registered_on, Appeal.venue_id, Appeal.body_id,
         postgresql_include=["channel", "received_at", "id"])
# R26: from a period's receptions to the briefs proposed on them
db.Index("ix_brief_proposal_entry", BriefProposal.entry_id)
# R31: the material requests due in a period with what the figures read of them, index-only
db.Index("ix_material_request_report_due", MaterialRequest.due_on,
         postgresql_include=["appeal_id", "answered_on", "id"])
