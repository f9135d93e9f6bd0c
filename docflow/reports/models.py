"""The quarterly report to the Office of the Government (R40): one per venue, body and quarter.

An engine Item (joined-table inheritance) so that its PDF and XLSX are versioned files of the
engine's store, its submissions and acknowledgement are workflow history rows, and who sees it is
the workflow's permission map (``workflows/quarterly_report.toml``) at its places ``venue:<id>``
and ``body:<id>``.
"""
from ..engine.content import Item
from ..extensions import db
from ..reception.briefs import BriefProposal
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


# Indexes the figures read through (docflow.reports.figures): one venue and body over a period,
# by registration date (appeals, channels, R25) and by reply due date (R29); and every venue's
# appeals of a quarter (which venues and bodies report, R40) from the index alone.
db.Index("ix_appeal_venue_body_registered", Appeal.venue_id, Appeal.body_id,
         Appeal.registered_on)
db.Index("ix_appeal_venue_body_reply_due", Appeal.venue_id, Appeal.body_id, Appeal.reply_due)
db.Index("ix_appeal_registered_venue_body", Appeal.registered_on, Appeal.venue_id,
         Appeal.body_id)
# R26: from a period's receptions to the briefs proposed on them
db.Index("ix_brief_proposal_entry", BriefProposal.entry_id)
