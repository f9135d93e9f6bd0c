"""A deterministic set of 260 appeals (and their briefs, replies, material requests and the
schedules' receptions) whose figures for Q1 2025 are worked out by hand in the tests.

Rows are written directly (states set, history rows added) so that each case is exactly what the
comment says; the only rules used here are the calendar's (which day is working, ``shift``), to
place dates, never docflow.reports. ``TODAY`` is fixed: 2025-05-15.

Group A — 200 appeals at CRC-AST for MLSPP, registered 2025-01-08 .. 2025-02-17, i = 0..199:
  channel   CHANNELS[i % 6]                       -> egov 34, e_appeals 34, the other four 33
  restricted (R11) when i % 7 == 0                 -> 29 of them (counted all the same)
  receipt   by i % 5:
    0: working day W 10:00, registered W                       same day
    1: working day W 19:00 (after 18:30), registered next working day   same day
    2: a day off N 11:00, registered next working day                   same day
    3: working day W 10:00, registered the next working day             late
    4: working day W 18:45, registered two working days later           late
       -> 120 same day, 80 late
  state     by i % 10: 0,1 registered (40); 2 in_review; 3 collecting; 4 brief_ready;
            5 approved; 6 notified; 7 held; 8 consulted; 9 closed (20 each)
  reply     due = registration + 15 working days (all due in Q1); sent by state:
            notified and held: on the due date when (i // 10) is even, 3 days late when odd;
            closed: the day of registration; none otherwise
            -> on time 10+10+20 = 40, late 20, overdue (open, not sent) 40+20+20+20+20 = 120,
               not needed (consulted, terminal) 20
  brief     proposal (latest) on a published entry; submit_brief history row:
            brief_ready: an older proposal for E0 (2025-04-28, due outside Q1), the latest E2
            approved, notified, held: E1 (2025-02-20, due 2025-02-13)
            in_review, collecting, consulted: E2 (2025-03-13, due 2025-03-05), never submitted
            closed: a refusal (no reception, so no brief due)
            submitted: brief_ready and held on the due day 23:30 local when (i // 10) even
            (on time), the next day 00:30 local when odd (late — still the due day in UTC);
            approved and notified three days before the due day
            -> due 140, on time 10+20+20+10 = 60, late 20, overdue 40, not needed 20
  materials for the 20 collecting appeals (j = i // 10):
            one due 2025-02-10: answered the day before (j even) or 5 days after (j odd)
            one more by j % 4: 0 asked, due 2025-03-03 (overdue); 1 waived (due 2025-03-03);
            2 asked again, due 2025-06-02 (outside Q1); 3 answered on 2025-03-03 (due then)
            -> due 35, on time 15, answered late 10, overdue 5, waived 5, open 0
Group B — 30 at CRC-AST for MZ, paper, registered same day on Jan–Feb working days, state
  registered; 3 of them with an overdue open material request (due 2025-02-03).
Group C — 10 at RR-MLSPP (MLSPP), oral, same day, registered.
Group D — 12 at CRC-AST for MLSPP registered 2024-12-20 (reply due 2025-01-15): 6 notified with
  the reply on the due date, 6 in_review with no reply (overdue).
Group E — 8 at CRC-AST for MLSPP registered 2025-05-05 (reply due 2025-05-28), registered.

Schedules (receptions, R7-1), published unless said:
  CRC-AST 2025-01: MLSPP-MIN 01-15, 01-22; MLSPP-DEP1 01-16; MZ-MIN 01-17
  CRC-AST 2025-02: v1 superseded: MLSPP-MIN 02-12, 02-19;  v2 published: MLSPP-MIN 02-12,
                   MLSPP-DEP1 02-20 (E1); MZ-MIN 02-13
  CRC-AST 2025-03: MLSPP-DEP1 03-13 (E2), 03-14; MZ-MIN 03-12
  CRC-AST 2025-04: MLSPP-DEP1 04-28 (E0)
  RR-MLSPP 2025-01: MLSPP-MIN 01-28;  RR-MLSPP 2025-03 draft: MLSPP-MIN 03-18
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from docflow.auth.models import User  # noqa: F401  (tests look users up through here)
from docflow.calendar.store import current_calendar
from docflow.demo import load_demo
from docflow.engine.content import create_item
from docflow.engine.history import HistoryEntry
from docflow.extensions import db
from docflow.reception.briefs import BriefProposal
from docflow.reception.intake import CHANNELS
from docflow.reception.materials import MaterialRequest
from docflow.reception.models import Appeal
from docflow.reference.models import Body, Official, Venue
from docflow.schedules.models import Schedule, ScheduleEntry

ALMATY = ZoneInfo("Asia/Almaty")
TODAY = date(2025, 5, 15)
Q1 = (date(2025, 1, 1), date(2025, 3, 31))
STATES = ("registered", "registered", "in_review", "collecting", "brief_ready", "approved",
          "notified", "held", "consulted", "closed")


@dataclass
class Built:
    venue: dict
    body: dict
    official: dict
    appeals: int


def _by_code(model, code):
    return db.session.execute(db.select(model).where(model.code == code)).scalar_one()


def _utc(day: date, at: time) -> datetime:
    return datetime.combine(day, at, ALMATY).astimezone(UTC).replace(tzinfo=None)


class Builder:
    def __init__(self):
        self.cal = current_calendar()
        self.seq = 0
        self.venue = {c: _by_code(Venue, c) for c in ("CRC-AST", "RR-MLSPP")}
        self.body = {c: _by_code(Body, c) for c in ("MLSPP", "MZ", "AKIMAT-AST")}
        self.official = {c: _by_code(Official, c)
                         for c in ("MLSPP-MIN", "MLSPP-DEP1", "MZ-MIN", "AKIMAT-AST-AKIM")}
        self.entries: dict[str, ScheduleEntry] = {}

    def days(self, first: date, last: date, working: bool) -> list[date]:
        out, d = [], first
        while d <= last:
            if self.cal.is_working_day(d) == working:
                out.append(d)
            d += timedelta(days=1)
        return out

    def appeal(self, venue, body, *, channel, received_at, registered_on, state="registered",
               restricted=False, replied_on=None) -> Appeal:
        self.seq += 1
        reply_due = self.cal.shift(registered_on, 15)
        appeal = create_item(
            Appeal, title=f"appeal {self.seq}", places={f"venue:{venue.id}", f"body:{body.id}"},
            restricted=restricted, emit=False, channel=channel, venue_id=venue.id,
            body_id=body.id, registration_year=registered_on.year, registration_seq=self.seq,
            registration_number=f"T-{self.seq:05d}", received_at=received_at,
            registered_on=registered_on, reply_due=reply_due, replied_on=replied_on,
            applicant_kind="individual", last_name="Applicant", first_name=str(self.seq),
            citizenship="KZ" if not restricted else "UZ", applicant_language="ru",
            subject="subject", text="text")
        if state != "registered":
            appeal.state = state
        return appeal

    def schedule(self, venue, month: date, state: str, entries, number=1) -> None:
        sched = create_item(Schedule, title=f"{venue.code} {month}", emit=False,
                            places={f"venue:{venue.id}"}, venue_id=venue.id, month=month,
                            number=number)
        sched.state = state
        db.session.flush()
        for official_code, day, name in entries:
            assert self.cal.is_working_day(day), day
            official = self.official[official_code]
            entry = ScheduleEntry(schedule_id=sched.id, official_id=official.id,
                                  body_id=official.body_id, date=day, start=time(10),
                                  end=time(12), slot_minutes=20, capacity=6)
            db.session.add(entry)
            db.session.flush()
            if name:
                self.entries[name] = entry

    def proposal(self, appeal, entry_name=None, refusal=None) -> None:
        entry = self.entries[entry_name] if entry_name else None
        db.session.add(BriefProposal(appeal_id=appeal.id, entry_id=entry.id if entry else None,
                                     refusal_reason=refusal))
        db.session.flush()

    def submitted(self, appeal, at_utc: datetime) -> None:
        db.session.add(HistoryEntry(item_id=appeal.id, at=at_utc, transition="submit_brief",
                                    from_state="collecting", to_state="brief_ready",
                                    workflow_id="appeal", workflow_version="test"))

    def material(self, appeal, *, due: date, state: str, answered_on=None) -> None:
        req = create_item(MaterialRequest, title="materials", parent=appeal, emit=False,
                          appeal_id=appeal.id, addressee_kind="body",
                          addressee_body_id=appeal.body_id, question="materials",
                          working_days=5, asked_on=due - timedelta(days=7), due_on=due,
                          answered_on=answered_on)
        req.state = state


def build() -> Built:
    load_demo()
    b = Builder()
    crc, room = b.venue["CRC-AST"], b.venue["RR-MLSPP"]
    mlspp, mz = b.body["MLSPP"], b.body["MZ"]
    cal = b.cal

    # schedules first: the briefs' proposals point at their entries
    b.schedule(crc, date(2025, 1, 1), "published", [
        ("MLSPP-MIN", date(2025, 1, 15), None), ("MLSPP-MIN", date(2025, 1, 22), None),
        ("MLSPP-DEP1", date(2025, 1, 16), None), ("MZ-MIN", date(2025, 1, 17), None)])
    b.schedule(crc, date(2025, 2, 1), "superseded", [
        ("MLSPP-MIN", date(2025, 2, 12), None), ("MLSPP-MIN", date(2025, 2, 19), None)])
    b.schedule(crc, date(2025, 2, 1), "published", [
        ("MLSPP-MIN", date(2025, 2, 12), None), ("MLSPP-DEP1", date(2025, 2, 20), "E1"),
        ("MZ-MIN", date(2025, 2, 13), None)], number=2)
    b.schedule(crc, date(2025, 3, 1), "published", [
        ("MLSPP-DEP1", date(2025, 3, 13), "E2"), ("MLSPP-DEP1", date(2025, 3, 14), None),
        ("MZ-MIN", date(2025, 3, 12), None)])
    b.schedule(crc, date(2025, 4, 1), "published", [("MLSPP-DEP1", date(2025, 4, 28), "E0")])
    b.schedule(room, date(2025, 1, 1), "published", [("MLSPP-MIN", date(2025, 1, 28), None)])
    b.schedule(room, date(2025, 3, 1), "draft", [("MLSPP-MIN", date(2025, 3, 18), None)])
    due = {name: cal.shift(b.entries[name].date, -5) for name in ("E0", "E1", "E2")}
    assert due == {"E0": date(2025, 4, 21), "E1": date(2025, 2, 13), "E2": date(2025, 3, 5)}

    working = b.days(date(2025, 1, 8), date(2025, 2, 12), True)
    days_off = b.days(date(2025, 1, 8), date(2025, 2, 12), False)
    for i in range(200):
        k, state, j = i % 5, STATES[i % 10], i // 10
        w = working[(i * 7) % len(working)]
        if k == 0:
            received, registered = _utc(w, time(10)), w
        elif k == 1:
            received, registered = _utc(w, time(19)), cal.shift(w, 1)
        elif k == 2:
            n = days_off[i % len(days_off)]
            received, registered = _utc(n, time(11)), cal.shift(n, 1)
        elif k == 3:
            received, registered = _utc(w, time(10)), cal.shift(w, 1)
        else:
            received, registered = _utc(w, time(18, 45)), cal.shift(w, 2)
        assert Q1[0] <= registered and cal.shift(registered, 15) <= Q1[1]
        appeal = b.appeal(crc, mlspp, channel=CHANNELS[i % 6], received_at=received,
                          registered_on=registered, state=state, restricted=i % 7 == 0)
        if state in ("notified", "held"):
            appeal.replied_on = appeal.reply_due + timedelta(days=0 if j % 2 == 0 else 3)
        elif state == "closed":
            appeal.replied_on = registered
        db.session.flush()
        # briefs
        if state == "brief_ready":
            b.proposal(appeal, "E0")
            b.proposal(appeal, "E2")
        elif state in ("approved", "notified", "held"):
            b.proposal(appeal, "E1")
        elif state in ("in_review", "collecting", "consulted"):
            b.proposal(appeal, "E2")
        elif state == "closed":
            b.proposal(appeal, refusal="outside the body's competence")
            b.submitted(appeal, _utc(registered + timedelta(days=2), time(12)))
        if state in ("brief_ready", "held"):
            d = due["E2" if state == "brief_ready" else "E1"]
            b.submitted(appeal, _utc(d, time(23, 30)) if j % 2 == 0
                        else _utc(d + timedelta(days=1), time(0, 30)))
        elif state in ("approved", "notified"):
            b.submitted(appeal, _utc(due["E1"] - timedelta(days=3), time(15)))
        # material requests
        if state == "collecting":
            feb10 = date(2025, 2, 10)
            b.material(appeal, due=feb10, state="answered",
                       answered_on=feb10 - timedelta(days=1) if j % 2 == 0
                       else feb10 + timedelta(days=5))
            mar3 = date(2025, 3, 3)
            if j % 4 == 0:
                b.material(appeal, due=mar3, state="asked")
            elif j % 4 == 1:
                b.material(appeal, due=mar3, state="waived")
            elif j % 4 == 2:
                b.material(appeal, due=date(2025, 6, 2), state="asked_again")
            else:
                b.material(appeal, due=mar3, state="answered", answered_on=mar3)
    for i in range(30):  # group B
        w = working[i % len(working)]
        appeal = b.appeal(crc, mz, channel="paper", received_at=_utc(w, time(11)),
                          registered_on=w)
        if i < 3:
            db.session.flush()
            b.material(appeal, due=date(2025, 2, 3), state="asked")
    for i in range(10):  # group C
        w = working[(i * 3) % len(working)]
        b.appeal(room, mlspp, channel="oral", received_at=_utc(w, time(12)), registered_on=w)
    dec20 = date(2024, 12, 20)
    for i in range(12):  # group D
        appeal = b.appeal(crc, mlspp, channel="paper", received_at=_utc(dec20, time(10)),
                          registered_on=dec20, state="notified" if i < 6 else "in_review")
        if i < 6:
            appeal.replied_on = appeal.reply_due
    may5 = date(2025, 5, 5)
    for _i in range(8):  # group E
        b.appeal(crc, mlspp, channel="e_appeals", received_at=_utc(may5, time(10)),
                 registered_on=may5)
    db.session.commit()
    return Built(b.venue, b.body, b.official, b.seq)
