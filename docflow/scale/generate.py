"""Realistic appeals at national scale, written in bulk (issue 11).

``generate(n_appeals, seed=1)`` adds, in one transaction, everything a registered appeal has:

* reference data it needs, if missing: the 20 regional citizen reception centers, the ministries'
  public reception rooms, ministries and regional akimats with divisions and officials, and the
  staff (registrars and call-center operators per venue; heads, deputies, division and responsible
  employees per body) — a handful of ORM rows;
* per appeal: the ``engine_item`` row (path, places, workflow state, restriction), the ``appeal``
  row, its workflow history, the assignment log, the catalog row (words as the catalog itself
  computes them), and for some a request for materials (an item inside the case file), the
  reference brief and scanned attachments (files whose blobs are in the blob store).

Rows are not created through the ORM one at a time: ids are allocated here and rows are streamed
with PostgreSQL's ``COPY`` (psycopg 3 ``cursor.copy()``) or SQLite's ``executemany``. Rules are
not re-implemented: registration dates and deadlines come from the working-day calendar
(``registered_on``/``shift``, computed once per distinct date), R11 restriction from
``intake.is_restricted``, numbers from ``numbering.format_number``, the index words from
``catalog.index_words`` and ``search.appeal_text``'s fields. Numbers are sequential per venue and
year in order of receipt and the registration counters are left at the last number given, so the
next intake continues without a gap. Run it with no other writer (it allocates ids itself).
"""
from __future__ import annotations

import hashlib
import json
import random
import time as _time
from bisect import bisect
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from itertools import accumulate
from types import SimpleNamespace
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import func, select, text

from ..auth.models import RoleAssignment, User
from ..calendar.store import current_calendar
from ..engine import storage
from ..engine.audit import AuditEntry
from ..engine.catalog import index_words, registration, row_values
from ..engine.core import current_engine
from ..extensions import db
from ..reception.identity import check_digit
from ..reception.intake import ELECTRONIC_CHANNELS, is_restricted
from ..reception.numbering import RegistrationCounter, format_number
from ..reception.queries import REPLY_WORKING_DAYS, TERMINAL_STATES
from ..reference.models import Body, Division, Official, Venue
from . import words as W

START = date(2023, 1, 1)
PASSWORD = "scale-pass-2026"  # every generated user's password (demo data, not production)
ZONE = ZoneInfo("Asia/Almaty")
OPENS, CLOSES = time(9), time(18, 30)
MATERIAL_WORKING_DAYS = 5

CHANNELS = [("egov_portal", 35), ("e_appeals", 20), ("paper", 15), ("hand_delivered", 10),
            ("oral", 10), ("call_center", 10)]

# -- where an appeal is on its path, by age --------------------------------------------------------
# Each final state is reached by one of these transition paths (workflows/appeal.toml).
PATHS = {
    "registered": [],
    "in_review": ["start_review"],
    "collecting": ["start_review", "request_materials"],
    "brief_ready": ["start_review", "request_materials", "submit_brief"],
    "approved": ["start_review", "request_materials", "submit_brief", "approve"],
    "refused": ["start_review", "request_materials", "submit_brief", "refuse"],
    "notified": ["start_review", "request_materials", "submit_brief", "approve", "send_reply"],
    "held": ["start_review", "request_materials", "submit_brief", "approve", "send_reply",
             "mark_held"],
    "no_show": ["start_review", "request_materials", "submit_brief", "approve", "send_reply",
                "mark_no_show"],
    "closed": ["start_review", "request_materials", "submit_brief", "approve", "send_reply",
               "mark_held", "close"],
    "closed_refused": ["start_review", "request_materials", "submit_brief", "refuse",
                       "send_refusal"],
    "consulted": ["start_review", "consult"],
    "withdrawn": ["start_review", "withdraw"],
    "redirected": ["start_review", "redirect"],
}
TO_STATE = {"start_review": "in_review", "request_materials": "collecting",
            "submit_brief": "brief_ready", "approve": "approved", "refuse": "refused",
            "send_reply": "notified", "send_refusal": "closed", "mark_held": "held",
            "mark_no_show": "no_show", "close": "closed", "consult": "consulted",
            "withdraw": "withdrawn", "redirect": "redirected"}
BY_HEAD = {"approve", "refuse"}
REPLY = {"send_reply", "send_refusal"}
# (maximum age in days, [(path, weight)])
BY_AGE = [
    (3, [("registered", 50), ("in_review", 40), ("consulted", 5), ("withdrawn", 5)]),
    (15, [("registered", 8), ("in_review", 30), ("collecting", 30), ("brief_ready", 15),
          ("consulted", 8), ("redirected", 2), ("withdrawn", 7)]),
    (45, [("collecting", 8), ("brief_ready", 8), ("approved", 12), ("refused", 3),
          ("notified", 30), ("held", 14), ("no_show", 2), ("closed_refused", 3),
          ("consulted", 12), ("redirected", 1), ("withdrawn", 7)]),
    (None, [("closed", 62), ("closed_refused", 6), ("consulted", 16), ("withdrawn", 8),
            ("redirected", 1), ("held", 3), ("no_show", 2), ("notified", 1), ("in_review", 0.5),
            ("collecting", 0.5)]),
]

# -- table layouts for the bulk writer -----------------------------------------------------------
COLUMNS = {
    "engine_item": ("id", "uid", "type", "title", "parent_id", "path", "owner_id", "created_at",
                    "modified_at", "modified_by_id", "language", "state", "restricted",
                    "version"),
    "engine_item_place": ("item_id", "place"),
    "appeal": ("id", "channel", "external_id", "venue_id", "body_id", "official_id",
               "registration_year", "registration_seq", "registration_number", "received_at",
               "registered_on", "registered_by_id", "reply_due", "replied_on", "responsible_id",
               "applicant_kind", "iin", "bin", "organization", "last_name", "first_name",
               "patronymic", "citizenship", "applicant_language", "phone", "email", "address",
               "subject", "text", "is_open"),
    "material_request": ("id", "appeal_id", "addressee_kind", "division_id", "addressee_body_id",
                         "addressee_venue_id", "question", "required", "working_days",
                         "asked_on", "due_on", "requester_id", "answer", "answered_on",
                         "answered_by_id", "waived_reason"),
    "engine_history": ("id", "item_id", "at", "actor_id", "transition", "from_state",
                       "to_state", "comment", "data", "workflow_id", "workflow_version"),
    "appeal_assignment": ("id", "appeal_id", "user_id", "by_id", "at", "reason"),
    "engine_file": ("id", "item_id", "name", "created_at"),
    "engine_file_version": ("id", "file_id", "number", "created_at", "created_by_id", "size",
                            "media_type", "sha256", "original_name", "safe_name", "generated",
                            "meta", "text"),
    "engine_catalog_text": ("item_id", "words", "indexed_at", "type", "state", "restricted",
                            "owner_id", "modified_at", "places", "facets", "sorts"),
}
ORDER = list(COLUMNS)  # foreign keys: parents first
SERIAL_TABLES = ("engine_item", "engine_history", "appeal_assignment", "engine_file",
                 "engine_file_version", "engine_audit")


class BulkWriter:
    """Buffers rows per table and writes them with COPY (PostgreSQL) or executemany (SQLite),
    in the session's transaction."""

    def __init__(self, connection):
        self.dialect = connection.dialect.name
        self.raw = connection.connection.dbapi_connection
        self.rows: dict[str, list[tuple]] = {t: [] for t in ORDER}
        self.counts: dict[str, int] = defaultdict(int)

    def add(self, table: str, row: tuple) -> None:
        self.rows[table].append(row)

    def flush(self) -> None:
        cur = self.raw.cursor()
        try:
            for table in ORDER:
                rows = self.rows[table]
                if not rows:
                    continue
                cols = COLUMNS[table]
                if self.dialect == "postgresql":
                    with cur.copy(f"COPY {table} ({', '.join(cols)}) FROM STDIN") as copy:
                        for row in rows:
                            copy.write_row(row)
                else:
                    marks = ", ".join("?" * len(cols))
                    cur.executemany(f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({marks})",
                                    [tuple(map(_sqlite_value, row)) for row in rows])
                self.counts[table] += len(rows)
                rows.clear()
        finally:
            cur.close()


def _sqlite_value(value):
    """Values as SQLAlchemy stores them in SQLite (its DateTime/Date/Boolean formats)."""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, list):  # the catalog's places and facets: JSON lists on SQLite
        return json.dumps(value)
    return value


# -- reference data --------------------------------------------------------------------------------

class Reference:
    """The venues, bodies, officials, divisions and staff appeals are spread over."""

    def __init__(self):
        self.venues: list[Venue] = []
        self.venue_weights: list[float] = []
        self.bodies: list[Body] = []
        self.central: list[Body] = []
        self.akimat_of: dict[str, Body] = {}   # region code -> akimat
        self.officials: dict[int, list[int]] = defaultdict(list)
        self.divisions: dict[int, list[int]] = defaultdict(list)
        self.responsible: dict[int, list[int]] = defaultdict(list)
        self.head: dict[int, int] = {}
        self.registrar: dict[int, int] = {}
        self.call_center: dict[int, int] = {}


def _get(model, code: str, **values):
    row = db.session.execute(select(model).where(model.code == code)).scalar()
    if row is None:
        row = model(code=code, **values)
        db.session.add(row)
        db.session.flush()
    return row


def ensure_reference(n_appeals: int, rng: random.Random) -> Reference:
    """Create what is missing (idempotent, by code and login); flushes."""
    ref = Reference()
    hours = dict(timezone="Asia/Almaty", opens=OPENS, closes=CLOSES, lunch_start=time(13),
                 lunch_end=time(14, 30))
    for code, kk, ru in W.MINISTRIES:
        body = _get(Body, code, kind="central", name_kk=f"Қазақстан Республикасы {kk}",
                    name_ru=f"{ru} Республики Казахстан")
        ref.central.append(body)
    for code, kk, ru in W.REGIONS:
        ref.akimat_of[code] = _get(Body, f"AKIMAT-{code}", kind="local",
                                   name_kk=f"{kk} әкімдігі", name_ru=f"Акимат: {ru}")
    ref.bodies = ref.central + list(ref.akimat_of.values())
    for code, kk, ru in W.REGIONS:
        venue = _get(Venue, f"CRC-{code}", kind="reception_center", body=None,
                     name_kk=f"{kk} азаматтарды қабылдау орталығы",
                     name_ru=f"Центр приема граждан: {ru}",
                     address_kk=f"{kk}, Бейбітшілік көшесі, 1", address_ru=f"{ru}, ул. Мира, 1",
                     **hours)
        ref.venues.append(venue)
        ref.venue_weights.append(3.0 if code in ("AST", "ALA", "SHY") else 1.0)
    for body in ref.central:
        venue = _get(Venue, f"RR-{body.code}", kind="reception_room", body=body,
                     name_kk=f"{body.name_kk}: қоғамдық қабылдау бөлмесі",
                     name_ru=f"Общественная приемная: {body.name_ru}",
                     address_kk="Астана қ., Мәңгілік Ел даңғылы, 8",
                     address_ru="г. Астана, проспект Мангилик Ел, 8", **hours)
        ref.venues.append(venue)
        ref.venue_weights.append(0.6)
    for body in ref.bodies:
        for i, (rank, pos_kk, pos_ru) in enumerate((("first_head", "Басшы", "Руководитель"),
                                                     ("deputy", "Орынбасар", "Заместитель"),
                                                     ("deputy", "Орынбасар", "Заместитель"))):
            last = W.LAST_KK[(body.id + i) % len(W.LAST_KK)][0]
            last_ru = W.LAST_RU[(body.id + i) % len(W.LAST_RU)][0]
            official = _get(Official, f"{body.code}-O{i + 1}", body=body, rank=rank,
                            last_name_kk=last, first_name_kk=W.FIRST_KK[0][i],
                            patronymic_kk=W.PATRONYMIC_KK[0][i], last_name_ru=last_ru,
                            first_name_ru=W.FIRST_RU[0][i], patronymic_ru=W.PATRONYMIC_RU[0][i],
                            position_kk=pos_kk, position_ru=pos_ru)
            ref.officials[body.id].append(official.id)
        for i, (kk, ru) in enumerate((("Әлеуметтік мәселелер бөлімі", "Отдел социальных вопросов"),
                                      ("Құқықтық бөлім", "Юридический отдел"))):
            division = _get(Division, f"{body.code}-D{i + 1}", body=body,
                            name_kk=kk, name_ru=ru)
            ref.divisions[body.id].append(division.id)
    _ensure_staff(ref, n_appeals)
    return ref


def _ensure_staff(ref: Reference, n_appeals: int) -> None:
    """Staff users, all with the password :data:`PASSWORD` (hashed once, copied)."""
    existing = {login: uid for login, uid in db.session.execute(
        select(User.login, User.id).where(User.login.like("g-%")))}
    probe = User(login="probe")
    probe.set_password(PASSWORD)  # once: scrypt takes a while, and every user shares it
    password_hash = probe.password_hash
    per_body = max(2, min(40, round(n_appeals / len(ref.bodies) / 2500)))

    def user(login: str, role: str, full_name: str, *, venue=None, body=None,
             cleared=False) -> int:
        if login in existing:
            return existing[login]
        u = User(login=login, full_name=full_name, password_hash=password_hash, language="ru")
        u.roles.append(RoleAssignment(role=role, venue=venue, body=body,
                                      cleared_restricted=cleared))
        db.session.add(u)
        db.session.flush()
        existing[login] = u.id
        return u.id

    for venue in ref.venues:
        code = venue.code.lower()
        ref.registrar[venue.id] = user(f"g-reg-{code}", "registrar", f"Тіркеуші {venue.code}",
                                       venue=venue, cleared=True)
        ref.call_center[venue.id] = user(f"g-cc-{code}", "call_center",
                                         f"Оператор {venue.code}", venue=venue, cleared=True)
    for body in ref.bodies:
        code = body.code.lower()
        ref.head[body.id] = user(f"g-head-{code}", "head", f"Басшы {body.code}", body=body)
        user(f"g-deputy-{code}", "deputy", f"Орынбасар {body.code}", body=body)
        user(f"g-div-{code}", "division", f"Бөлім {body.code}", body=body)
        for k in range(1, per_body + 1):
            last, first = W.LAST_KK[(body.id * 7 + k) % len(W.LAST_KK)][k % 2], \
                W.FIRST_KK[k % 2][(body.id + k) % 10]
            ref.responsible[body.id].append(
                user(f"g-resp-{code}-{k}", "responsible", f"{last} {first}", body=body))
    user("g-admin", "admin", "Әкімші (generated)")
    user("g-gov", "government_office", "Үкімет Кеңсесі (generated)")


# -- the appeals -----------------------------------------------------------------------------------

class DayCache:
    """Calendar answers per distinct date: computed once, by the calendar."""

    def __init__(self):
        self.calendar = current_calendar()
        self._reg: dict[tuple[date, bool], date] = {}
        self._shift: dict[tuple[date, int], date] = {}
        self.working: dict[date, bool] = {}

    def registered_on(self, received: datetime) -> date:
        local = received.astimezone(ZONE)
        key = (local.date(), local.time() < CLOSES)
        if key not in self._reg:
            self._reg[key] = self.calendar.registered_on(received, ZONE, OPENS, CLOSES)
        return self._reg[key]

    def shift(self, d: date, n: int) -> date:
        key = (d, n)
        if key not in self._shift:
            self._shift[key] = self.calendar.shift(d, n)
        return self._shift[key]

    def is_working(self, d: date) -> bool:
        if d not in self.working:
            self.working[d] = self.calendar.is_working_day(d)
        return self.working[d]


def _receipt_times(n: int, rng: random.Random, days: DayCache, start: date,
                   now: datetime) -> list[datetime]:
    """``n`` receipt moments (UTC, aware) from ``start`` to ``now``, oldest first: working days
    weigh ten times a day off, and 85% of receipts fall within office hours (09:00–18:30)."""
    last = now.astimezone(ZONE).date()
    span = [start + timedelta(days=i) for i in range((last - start).days + 1)]
    weights = list(accumulate(1.0 if days.is_working(d) else 0.1 for d in span))
    picks = sorted(bisect(weights, rng.random() * weights[-1]) for _ in range(n))
    out = []
    day_index, moments = -1, []
    for idx in picks:
        if idx != day_index:
            if moments:
                out.extend(sorted(moments))
            day_index, moments = idx, []
        d = span[min(idx, len(span) - 1)]
        if rng.random() < 0.85:
            seconds = rng.randrange(9 * 3600, 18 * 3600 + 1800)
        else:
            seconds = rng.randrange(0, 86400)
        local = datetime.combine(d, time(), ZONE) + timedelta(seconds=seconds)
        moment = local.astimezone(UTC)
        moments.append(min(moment, now - timedelta(seconds=1)))
    out.extend(sorted(moments))
    return out


BIRTH_DAYS = [date(1950, 1, 1) + timedelta(days=i) for i in range(365 * 55)]
BIRTH_CODES = [f"{d:%y%m%d}{3 if d.year < 2000 else 5}" for d in BIRTH_DAYS]


def _iin(rng: random.Random, female: bool) -> str:
    while True:
        code = BIRTH_CODES[int(rng.random() * len(BIRTH_CODES))]
        if female:
            code = code[:6] + str(int(code[6]) + 1)
        head = f"{code}{int(rng.random() * 10000):04d}"
        digit = check_digit(head)
        if digit is not None:
            return f"{head}{digit}"


def _bin(rng: random.Random) -> str:
    while True:
        head = f"{rng.randrange(0, 25):02d}{rng.randrange(1, 13):02d}40{rng.randrange(0, 100000):05d}"
        digit = check_digit(head)
        if digit is not None:
            return f"{head}{digit}"


def _weighted(options):
    names = [o for o, _w in options]
    cum = list(accumulate(w for _o, w in options))
    return names, cum


def generate(n_appeals: int, seed: int = 1, *, today: date | None = None,
             start: date = START, batch: int = 20_000,
             progress: Callable[[int], None] | None = None, commit: bool = True,
             bulk_from: int = 50_000) -> dict:
    """Add ``n_appeals`` appeals (and what they need) with seed ``seed``; returns counts.

    Call inside an application context. Commits at the end (unless ``commit=False``); nothing is
    written if it fails. On PostgreSQL, from ``bulk_from`` appeals on, the secondary indexes of
    the tables written are dropped for the load and built again afterwards, in the same
    transaction (a bulk build is much faster than a million index insertions).
    """
    if n_appeals < 0:
        raise ValueError("n_appeals must not be negative")
    started = _time.perf_counter()
    rng = random.Random(seed)
    now = datetime.now(UTC).replace(microsecond=0)
    today = today or now.astimezone(ZONE).date()
    days = DayCache()
    ref = ensure_reference(n_appeals, rng)
    workflow = current_engine().workflow_for("appeal")
    mr_workflow = current_engine().workflow_for("material_request")
    search_reg = registration("appeal")
    conn = db.session.connection()
    writer = BulkWriter(conn)
    dropped = []
    if writer.dialect == "postgresql" and n_appeals >= bulk_from:
        dropped = _drop_indexes()
        if db.session.execute(text("SELECT rolsuper FROM pg_roles "
                                   "WHERE rolname = current_user")).scalar():
            # the rows reference what this function itself wrote or read: skip the per-row
            # foreign-key triggers for this transaction (a superuser-only setting)
            db.session.execute(text("SET LOCAL session_replication_role = replica"))
    store = storage.blob_store(current_app)
    attachments = []
    for body in W.ATTACHMENT_TEXTS:
        data = body.encode()
        attachments.append((store.put(data), len(data), body))
    briefs: dict[str, tuple[str, int, str]] = {}

    ids = {t: int(db.session.execute(text(f"SELECT COALESCE(MAX(id), 0) FROM {t}")).scalar())
           for t in ("engine_item", "engine_history", "appeal_assignment", "engine_file",
                     "engine_file_version")}
    counters = {(scope, year): last for scope, year, last in db.session.execute(
        select(RegistrationCounter.scope, RegistrationCounter.year, RegistrationCounter.last))}
    counters_before = dict(counters)
    first_item_id = ids["engine_item"]

    def next_id(table: str) -> int:
        ids[table] += 1
        return ids[table]

    channel_names, channel_cum = _weighted(CHANNELS)
    age_tables = [(limit, *_weighted(opts)) for limit, opts in BY_AGE]
    venue_cum = list(accumulate(ref.venue_weights))
    region_of = {v.id: v.code.split("-", 1)[1] for v in ref.venues if v.kind == "reception_center"}

    def pick(names, cum):
        return names[bisect(cum, rng.random() * cum[-1])]

    stats = defaultdict(int)
    moments = _receipt_times(n_appeals, rng, days, start, now)
    for i, received in enumerate(moments):
        # -- who, where, when
        venue = ref.venues[bisect(venue_cum, rng.random() * venue_cum[-1])]
        if venue.kind == "reception_room":
            body = next(b for b in ref.central if b.id == venue.body_id)
        elif rng.random() < 0.6:
            body = ref.akimat_of[region_of[venue.id]]
        else:
            body = rng.choice(ref.central)
        channel = pick(channel_names, channel_cum)
        registered_on = days.registered_on(received)
        reply_due = days.shift(registered_on, REPLY_WORKING_DAYS)
        year = registered_on.year
        seq = counters.get((venue.code, year), 0) + 1
        counters[(venue.code, year)] = seq
        number = format_number(venue.code, year, seq)
        official_id = rng.choice(ref.officials[body.id]) if rng.random() < 0.7 else None
        responsible = rng.choice(ref.responsible[body.id])
        if channel in ELECTRONIC_CHANNELS:
            registered_by = None
            external_id = f"{channel[:4].upper()}-{seed}-{number}"
        else:
            registered_by = (ref.call_center if channel in ("oral", "call_center")
                             else ref.registrar)[venue.id]
            external_id = None

        # -- the applicant
        language = "kk" if rng.random() < 0.55 else "ru"
        female = rng.random() < 0.55
        sex = 1 if female else 0
        if language == "kk":
            last = rng.choice(W.LAST_KK)[sex]
            first = rng.choice(W.FIRST_KK[sex])
            patronymic = rng.choice(W.PATRONYMIC_KK[sex]) if rng.random() < 0.9 else None
        else:
            last = rng.choice(W.LAST_RU)[sex]
            first = rng.choice(W.FIRST_RU[sex])
            patronymic = rng.choice(W.PATRONYMIC_RU[sex]) if rng.random() < 0.85 else None
        citizenship = rng.choice(W.FOREIGN) if rng.random() < 0.05 else "KZ"
        restricted = is_restricted(citizenship)
        legal = citizenship == "KZ" and rng.random() < 0.04
        iin = _iin(rng, female) if citizenship == "KZ" else None
        bin_ = _bin(rng) if legal else None
        organization = rng.choice(W.ORGANIZATIONS) if legal else None
        phone = f"+7 7{rng.randrange(0, 100):02d} {rng.randrange(0, 1000):03d} " \
                f"{rng.randrange(0, 10000):04d}"
        email = f"applicant{i}@example.kz" if rng.random() < 0.3 else None
        topic_kk, topic_ru = rng.choice(W.TOPICS)
        qual_kk, qual_ru = rng.choice(W.QUALIFIERS)
        place_name = rng.choice(W.PLACE_NAMES)
        pl_kk, pl_ru = rng.choice(W.PLACES)
        if language == "kk":
            subject = f"{topic_kk.capitalize()}: {qual_kk}"
            place = f"{place_name} {pl_kk}"
            body_text = " ".join(s.format(topic=topic_kk, place=place)
                                 for s in rng.sample(W.SENTENCES_KK, 3))
            address = f"{place_name}, Абай көшесі, {rng.randrange(1, 200)}"
        else:
            subject = f"{topic_ru.capitalize()}: {qual_ru}"
            place = f"{pl_ru} {place_name}"
            body_text = " ".join(s.format(topic=topic_ru, place=place)
                                 for s in rng.sample(W.SENTENCES_RU, 3))
            address = f"{place_name}, ул. Абая, {rng.randrange(1, 200)}"

        # -- the path so far
        age = (today - registered_on).days
        for limit, names, cum in age_tables:
            if limit is None or age <= limit:
                path_name = pick(names, cum)
                break
        steps = list(PATHS[path_name])
        if "submit_brief" in steps and rng.random() < 0.6:
            steps.remove("request_materials")  # most briefs need no materials from others
        times = _step_times(rng, steps, received, reply_due, now)
        state = TO_STATE[steps[-1]] if steps else "registered"
        replied_on = None
        for step, at in zip(steps, times, strict=True):
            if step in REPLY:
                replied_on = at.astimezone(ZONE).date()

        # -- rows
        appeal_id = next_id("engine_item")
        naive = received.replace(tzinfo=None)
        modified = times[-1].replace(tzinfo=None) if times else naive
        uid = f"{rng.getrandbits(128):032x}"
        writer.add("engine_item", (appeal_id, uid, "appeal", subject, None, f"/{appeal_id}/",
                                   registered_by, naive, modified, registered_by, language, state,
                                   restricted, 1 + len(steps)))
        final_body = body
        if "redirect" in steps:
            others = [b for b in ref.central if b.id != body.id]
            final_body = rng.choice(others)
        places = (f"body:{final_body.id}", f"venue:{venue.id}")
        for p in places:
            writer.add("engine_item_place", (appeal_id, p))
        writer.add("appeal", (
            appeal_id, channel, external_id, venue.id, final_body.id,
            official_id if final_body is body else None, year, seq, number, naive, registered_on,
            registered_by, reply_due, replied_on, responsible, "legal_entity" if legal
            else "individual", iin, bin_, organization, last, first, patronymic, citizenship,
            language, phone, email, address, subject, body_text,
            state not in TERMINAL_STATES))
        writer.add("appeal_assignment", (next_id("appeal_assignment"), appeal_id, responsible,
                                         registered_by, naive,
                                         "assigned on registration by the rule (R25)"))
        from_state = "registered"
        file_text = brief_text = None
        for step, at in zip(steps, times, strict=True):
            actor = ref.head[body.id] if step in BY_HEAD else responsible
            data = None
            comment = None
            if step == "redirect":
                data = json.dumps({"body": final_body.code, "from_body": body.code})
                comment = "Вне компетенции / Құзыретке жатпайды"
            elif step in ("consult", "withdraw", "refuse"):
                comment = {"consult": "Дана консультация / Кеңес берілді",
                           "withdraw": "Заявитель отозвал обращение / Өтініш кері қайтарылды",
                           "refuse": "Вопрос решен в рабочем порядке / Мәселе шешілді"}[step]
            elif step in REPLY:
                data = json.dumps({"via": "post"})
            to_state = TO_STATE[step]
            writer.add("engine_history", (next_id("engine_history"), appeal_id,
                                          at.replace(tzinfo=None), actor, step, from_state,
                                          to_state, comment, data, workflow.id,
                                          workflow.version))
            from_state = to_state
            if step == "request_materials":
                stats["material_requests"] += 1
                _material_request(writer, rng, ref, days, next_id, appeal_id, body, places,
                                  restricted, responsible, at, steps, times, mr_workflow)
            if step == "submit_brief":
                stats["briefs"] += 1
                key = "kk" if language == "kk" else "ru"
                if key not in briefs:
                    content = ("Анықтама — өтініш бойынша қабылдауға ұсыныс (R26)." if key == "kk"
                               else "Справка по обращению: предложение о приеме (R26).").encode()
                    briefs[key] = (store.put(content), len(content), content.decode())
                sha, size, brief_text = briefs[key]
                _file(writer, next_id, appeal_id, "brief", at, responsible, sha, size,
                      "text/plain", f"brief-{appeal_id}.txt", True, brief_text)
        if channel in ("paper", "hand_delivered") and rng.random() < 0.5:
            stats["attachments"] += 1
            sha, size, file_text = rng.choice(attachments)
            _file(writer, next_id, appeal_id, "attachment-scan.txt", received, registered_by, sha,
                  size, "text/plain", "scan.txt", False, file_text)
        # as the catalog's own indexing: title, search.appeal_text's fields, the files' text
        # (one string: index_words keeps the first occurrence of each word either way)
        words = index_words([" ".join(filter(None, (
            subject, subject, body_text, number, last, first, patronymic, organization,
            brief_text, file_text)))])
        # the search row's copy of what a search filters on, as the catalog computes it
        row = row_values(SimpleNamespace(
            type="appeal", state=state, restricted=restricted, owner_id=registered_by,
            modified_at=modified, channel=channel, venue_id=venue.id, body_id=final_body.id,
            registration_year=year, registered_on=registered_on, reply_due=reply_due,
            registration_number=number, last_name=last), search_reg, places)
        row["sorts"] = json.dumps(row["sorts"], ensure_ascii=False)  # jsonb (COPY) / JSON
        writer.add("engine_catalog_text", (appeal_id, words, modified, *row.values()))
        stats["restricted"] += restricted
        stats[state] += 1
        if (i + 1) % batch == 0:
            writer.flush()
            if progress:
                progress(i + 1)
    writer.flush()
    if dropped:  # the catalog's word list, which its trigger fills row by row otherwise
        from ..engine.catalog import fill_words
        fill_words(db.session.connection(), after_item_id=first_item_id)
        db.session.execute(text("SET LOCAL session_replication_role = DEFAULT"))
        db.session.execute(text("SET LOCAL maintenance_work_mem = '256MB'"))
        for _name, definition in dropped:
            db.session.execute(text(definition))

    for (scope, year), last in counters.items():
        if counters_before.get((scope, year)) == last:
            continue
        if (scope, year) in counters_before:
            db.session.execute(RegistrationCounter.__table__.update().where(
                RegistrationCounter.scope == scope, RegistrationCounter.year == year)
                .values(last=last))
        else:
            db.session.execute(RegistrationCounter.__table__.insert().values(
                scope=scope, year=year, last=last))
    # each responsible employee's open load (reception.load), from the appeals just written
    from ..reception.load import recount
    recount()
    if writer.dialect == "postgresql":
        for table in SERIAL_TABLES:
            db.session.execute(text(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"GREATEST((SELECT COALESCE(MAX(id), 0) FROM {table}), 1))"))
    elif n_appeals:
        db.session.execute(text("INSERT INTO engine_catalog_fts(engine_catalog_fts) "
                                "VALUES ('optimize')"))
    seconds = round(_time.perf_counter() - started, 1)
    db.session.add(AuditEntry(action="bulk_generate", detail={
        "appeals": n_appeals, "seed": seed, "seconds": seconds}))
    if commit:
        db.session.commit()
    if writer.dialect == "postgresql" and commit and n_appeals >= 10_000:
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
            for table in ORDER:
                c.execute(text(f"ANALYZE {table}"))
    return {"appeals": n_appeals, "seed": seed, "seconds": seconds,
            "rows": dict(writer.counts), **dict(stats)}


def _step_times(rng, steps, received, reply_due, now) -> list[datetime]:
    """When each step happened: before the reply (10% of replies late), the reply, after it;
    never in the future."""
    if not steps:
        return []
    limit = now - timedelta(seconds=len(steps) + 1)
    reply_index = next((k for k, s in enumerate(steps) if s in REPLY), None)
    if reply_index is None:
        end = min(limit, received + min(limit - received, timedelta(days=20)))
        marks = sorted(rng.uniform(0.05, 1.0) for _ in steps)
        return [received + (end - received) * m for m in marks]
    due = datetime.combine(reply_due, time(12), ZONE).astimezone(UTC)
    if rng.random() < 0.1:
        reply_at = due + timedelta(days=rng.randrange(1, 10), hours=rng.randrange(0, 6))
    else:
        reply_at = received + (due - received) * rng.uniform(0.35, 1.0)
    reply_at = min(reply_at, limit)
    before = sorted(rng.uniform(0.05, 0.95) for _ in range(reply_index))
    after_end = min(limit, reply_at + timedelta(days=30))
    after = sorted(rng.uniform(0.1, 1.0) for _ in steps[reply_index + 1:])
    return ([received + (reply_at - received) * m for m in before] + [reply_at]
            + [reply_at + (after_end - reply_at) * m for m in after])


def _drop_indexes() -> list[tuple[str, str]]:
    """Drop the indexes of the bulk tables that back no constraint; returns (name, CREATE)."""
    rows = db.session.execute(text(
        "SELECT i.indexname, i.indexdef FROM pg_indexes i "
        "WHERE i.schemaname = current_schema() AND i.tablename = ANY(:tables) "
        "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)"),
        {"tables": ORDER}).all()
    for name, _definition in rows:
        db.session.execute(text(f'DROP INDEX "{name}"'))
    return [(name, definition) for name, definition in rows]


def _file(writer, next_id, item_id, name, at, actor, sha, size, media_type, original, generated,
          file_text):
    naive = at.replace(tzinfo=None)
    file_id = next_id("engine_file")
    writer.add("engine_file", (file_id, item_id, name, naive))
    writer.add("engine_file_version", (
        next_id("engine_file_version"), file_id, 1, naive, actor, size, media_type, sha,
        original, original, generated, json.dumps({"media_type": media_type}) if generated
        else None, file_text))


def _material_request(writer, rng, ref, days, next_id, appeal_id, body, places, restricted,
                      responsible, at, steps, times, mr_workflow):
    asked_on = at.astimezone(ZONE).date()
    due_on = days.shift(asked_on, MATERIAL_WORKING_DAYS)
    answered = "submit_brief" in steps
    answered_at = times[steps.index("submit_brief")] - timedelta(hours=1) if answered else None
    answered_at = max(answered_at, at + timedelta(minutes=1)) if answered else None
    division_id = rng.choice(ref.divisions[body.id])
    question = rng.choice(W.MATERIAL_QUESTIONS)
    mr_id = next_id("engine_item")
    naive = at.replace(tzinfo=None)
    state = "answered" if answered else "asked"
    writer.add("engine_item", (mr_id, f"{rng.getrandbits(128):032x}", "material_request",
                               question[:500], appeal_id, f"/{appeal_id}/{mr_id}/", responsible,
                               naive, (answered_at or at).replace(tzinfo=None), responsible,
                               None, state, restricted, 2 if answered else 1))
    for p in sorted(set(places) | {f"body:{body.id}"}):
        writer.add("engine_item_place", (mr_id, p))
    writer.add("material_request", (
        mr_id, appeal_id, "division", division_id, body.id, None, question, True,
        MATERIAL_WORKING_DAYS, asked_on, due_on, responsible,
        "Сведения направлены / Мәліметтер жіберілді" if answered else None,
        answered_at.astimezone(ZONE).date() if answered else None,
        ref.head[body.id] if answered else None, None))
    if answered:
        writer.add("engine_history", (next_id("engine_history"), mr_id,
                                      answered_at.replace(tzinfo=None), None, "answer", "asked",
                                      "answered", None, None, mr_workflow.id,
                                      mr_workflow.version))


def digest(seed: int, n: int) -> str:
    """A short fingerprint of a generation's parameters (for cached dumps)."""
    return hashlib.sha256(f"{seed}:{n}:{START}".encode()).hexdigest()[:12]


def existing_appeals() -> int:
    from ..reception.models import Appeal
    return int(db.session.execute(select(func.count()).select_from(Appeal)).scalar() or 0)


