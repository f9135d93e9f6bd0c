"""Satisfaction surveys (R38): rounds of sampling and the phone-survey tasks they make.

``SurveyRound`` records how a sample was drawn — the period, the share, the venue (or all),
and the seed — so the same draw can be repeated and checked. ``SurveyTask`` is an engine Item
(workflow ``workflows/survey_task.toml``: open -> done) at its appeal's places and with its
appeal's restriction: who sees and records it is the engine's ``can`` / ``visible_filter``.

"Nobody is called twice in one quarter" is also the database's rule: (quarter, applicant_key)
is unique over all tasks.
"""
from __future__ import annotations

from ..engine.content import Item, utcnow
from ..extensions import db

GROUPS = ("consulted", "refused")  # R38: received a consultation / refused or declined
OUTCOMES = ("reached", "not_reached", "refused_to_answer")
SCORES = (1, 2, 3, 4, 5)


class SurveyRound(db.Model):
    __tablename__ = "survey_round"

    id = db.Column(db.Integer, primary_key=True)
    period_start = db.Column(db.Date, nullable=False)
    period_end = db.Column(db.Date, nullable=False)
    quarter = db.Column(db.String(7), nullable=False, index=True)  # "2026-Q4" of period_start
    share_percent = db.Column(db.Integer, nullable=False)
    seed = db.Column(db.BigInteger, nullable=False)
    venue_id = db.Column(db.ForeignKey("venue.id"), nullable=True, index=True)  # None: all
    population = db.Column(db.Integer, nullable=False, default=0)  # eligible, before sampling
    sampled = db.Column(db.Integer, nullable=False, default=0)
    created_by_id = db.Column(db.ForeignKey("user_account.id"), nullable=True)
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)

    venue = db.relationship("Venue")
    created_by = db.relationship("User")


class SurveyTask(Item):
    __tablename__ = "survey_task"
    __mapper_args__ = {"polymorphic_identity": "survey_task"}
    __table_args__ = (
        db.UniqueConstraint("quarter", "applicant_key", name="uq_survey_task_quarter_applicant"),
        db.Index("ix_survey_task_venue_recorded_on", "venue_id", "recorded_on"),
    )

    id = db.Column(db.ForeignKey("engine_item.id", ondelete="CASCADE"), primary_key=True)
    round_id = db.Column(db.ForeignKey("survey_round.id", ondelete="CASCADE"), nullable=False,
                         index=True)
    appeal_id = db.Column(db.ForeignKey("appeal.id", ondelete="CASCADE"), nullable=False,
                          index=True)
    venue_id = db.Column(db.ForeignKey("venue.id"), nullable=False, index=True)
    body_id = db.Column(db.ForeignKey("body.id"), nullable=False, index=True)
    category = db.Column(db.String(16), nullable=False)  # GROUPS
    served_on = db.Column(db.Date, nullable=False)  # the consultation, refusal or withdrawal
    quarter = db.Column(db.String(7), nullable=False)
    applicant_key = db.Column(db.String(40), nullable=False)  # iin:… / bin:… / phone:…
    outcome = db.Column(db.String(24), nullable=True)  # OUTCOMES, once recorded
    score = db.Column(db.Integer, nullable=True)  # 1-5, only when reached
    comment = db.Column(db.Text, nullable=True)
    recorded_at = db.Column(db.DateTime, nullable=True)  # UTC
    recorded_on = db.Column(db.Date, nullable=True)  # the call's date in the venue's zone
    recorded_by_id = db.Column(db.ForeignKey("user_account.id"), nullable=True)

    round = db.relationship("SurveyRound")
    appeal = db.relationship("Appeal", foreign_keys=[appeal_id])
    venue = db.relationship("Venue")
    recorded_by = db.relationship("User", foreign_keys=[recorded_by_id])
