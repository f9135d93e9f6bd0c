"""The figures as sections (a title, labelled rows) and each section as an SVG bar chart.

The same sections feed the dashboard (a chart and, next to it, a table of the same numbers), the
quarterly report's PDF and its XLSX, so a number is labelled in one place.

Why hand-written SVG rather than a chart library: a horizontal bar chart is ~60 lines here; it
needs no JavaScript (pygal's default output links a JS tooltip script and its own CSS), the same
figures always give the same bytes (the PDF is stored by the hash of its data), and it carries the
accessible ``<title>``/``<desc>`` we want. WeasyPrint embeds it as an image.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask_babel import format_decimal
from flask_babel import gettext as _
from markupsafe import escape

from ..reception.intake import CHANNEL_LABELS, CHANNELS

DASH = "—"  # a figure with no data (no survey module, nothing to divide by)


@dataclass(frozen=True)
class Row:
    code: str  # stable, for the XLSX and the tests
    label: str
    value: int | float | None  # a rate is a fraction 0..1
    percent: bool = False

    @property
    def display(self) -> str:
        return show(self.value, self.percent)


@dataclass(frozen=True)
class Section:
    code: str
    title: str
    description: str
    rows: list[Row]

    @property
    def percent(self) -> bool:
        return any(r.percent for r in self.rows)


def show(value, percent: bool = False) -> str:
    if value is None:
        return DASH
    if percent:
        return f"{format_decimal(round(value * 100, 1), format='#,##0.0')} %"
    if isinstance(value, float):
        return format_decimal(round(value, 2), format="#,##0.##")
    return format_decimal(value, format="#,##0")


def _state_title(state: str) -> str:
    from ..engine.core import current_engine

    st = current_engine().workflow("appeal").states.get(state)
    return _(st.title) if st else state


def sections(figs: dict, locale: str | None = None) -> list[Section]:
    """The labelled figures, in the current (or forced) locale."""
    a, reg, br, rep, mat = (figs["appeals"], figs["registration"], figs["briefs"],
                            figs["replies"], figs["materials"])
    rec, sat = figs["receptions"], figs["satisfaction"]
    out = [
        Section("channels", _("Appeals by channel"),
                _("Appeals registered in the period, by the channel they came through (R4)."),
                [Row("appeals_total", _("All appeals registered"), a["total"])]
                + [Row(f"channel_{c}", str(CHANNEL_LABELS[c]), a["by_channel"].get(c, 0))
                   for c in CHANNELS]),
        Section("statuses", _("Appeals by status"),
                _("Where the appeals registered in the period stand now."),
                [Row(f"status_{s}", _state_title(s), n) for s, n in a["by_status"].items()]),
        Section("deadlines", _("Deadlines kept"),
                _("Share of deadlines kept: registration on the day of receipt (R25), the "
                  "reference brief 5 working days before the reception (R26), the reply within "
                  "15 working days (R29), material requests by their due date (R31)."),
                [Row("registration_rate", _("Registered on the day of receipt"), reg["rate"],
                     True),
                 Row("brief_rate", _("Reference briefs on time"), br["rate"], True),
                 Row("reply_rate", _("Replies on time"), rep["rate"], True),
                 Row("material_rate", _("Material requests answered on time"),
                     _ratio(mat["answered_on_time"], mat["answered_on_time"]
                            + mat["late_or_overdue"]), True)]),
        Section("registration", _("Registration (R25)"),
                _("Appeals registered in the period: on the day of receipt, or late."),
                [Row("registration_same_day", _("Registered on the day of receipt"),
                     reg["same_day"]),
                 Row("registration_late", _("Registered late"), reg["late"])]),
        Section("briefs", _("Reference briefs (R26)"),
                _("Briefs due in the period (reception date minus 5 working days)."),
                _deadline_rows("brief", br)),
        Section("replies", _("Replies (R29)"),
                _("Replies due in the period (15 working days after registration)."),
                _deadline_rows("reply", rep)),
        Section("materials", _("Material requests (R31)"),
                _("Material requests due in the period."),
                [Row("material_due", _("Due in the period"), mat["due"]),
                 Row("material_on_time", _("Answered on time"), mat["answered_on_time"]),
                 Row("material_answered_late", _("Answered late"), mat["answered_late"]),
                 Row("material_overdue", _("Overdue, not answered"), mat["overdue"]),
                 Row("material_open", _("Open, not yet due"), mat["open"]),
                 Row("material_waived", _("Waived"), mat["waived"])]),
        Section("receptions", _("Receptions per official (R7-1)"),
                _("Receptions in the published schedules dated in the period; every first head "
                  "and deputy must receive at a citizen reception center at least once a "
                  "month."),
                [Row(f"official_{e['official'].code}", e["official"].full_name(locale),
                     e["total"]) for e in rec["officials"]]
                + [Row("officials_meeting_r71", _("Officials receiving every month"),
                       rec["officials_meeting_r71"]),
                   Row("officials_counted", _("Officials counted"), rec["officials_counted"])]),
        Section("satisfaction", _("Applicants' satisfaction (R38)"),
                _("From the telephone surveys of the period."),
                [Row("satisfaction_called", _("Calls made"), _pick(sat, "called")),
                 Row("satisfaction_reached", _("Applicants reached"), _pick(sat, "reached")),
                 Row("satisfaction_response_rate", _("Response rate"),
                     _pick(sat, "response_rate"), True),
                 Row("satisfaction_score", _("Average score (1 to 5)"),
                     _pick(sat, "average_score"))]),
    ]
    return out


def _pick(data: dict | None, name: str):
    """A survey figure; None (shown "—") without survey data."""
    return data.get(name) if data else None


def _ratio(part, whole):
    return round(part / whole, 4) if whole else None


def _deadline_rows(prefix: str, d: dict) -> list[Row]:
    return [Row(f"{prefix}_due", _("Due in the period"), d["due"]),
            Row(f"{prefix}_on_time", _("On time"), d["on_time"]),
            Row(f"{prefix}_late", _("Late"), d["late"]),
            Row(f"{prefix}_overdue", _("Overdue, not done"), d["overdue"]),
            Row(f"{prefix}_pending", _("Not yet due"), d["pending"]),
            Row(f"{prefix}_not_needed", _("No longer needed (case closed)"), d["not_needed"])]


# -- SVG ------------------------------------------------------------------------------------------

WIDTH, LABEL_W, ROW_H, TOP, VALUE_W = 720, 300, 26, 12, 90
COLORS = ("#00758f", "#b8860b", "#4f7a28", "#8b3a62", "#2f4f8f", "#a0522d")


def bar_chart(section: Section, chart_id: str) -> str:
    """A horizontal bar chart of the section's rows, as a standalone SVG document.

    Bars are scaled to the largest value (rates to 100 %); a row without data shows "—" and no
    bar. ``<title>`` and ``<desc>`` (the description and every value) make it readable to a
    screen reader; the page puts the same numbers in a table next to it.
    """
    rows = section.rows
    height = TOP * 2 + ROW_H * max(len(rows), 1)
    top = 1.0 if section.percent else max([r.value or 0 for r in rows] + [1])
    bar_w = WIDTH - LABEL_W - VALUE_W
    desc = section.description + " " + "; ".join(f"{r.label}: {r.display}" for r in rows)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" '
        f'width="{WIDTH}" height="{height}" role="img" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc" font-family="DejaVu Sans, sans-serif" '
        f'font-size="12">',
        f'<title id="{chart_id}-title">{escape(section.title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(desc)}</desc>',
    ]
    for i, row in enumerate(rows):
        y = TOP + i * ROW_H
        label = row.label if len(row.label) <= 46 else row.label[:45] + "…"
        parts.append(f'<text x="{LABEL_W - 8}" y="{y + 17}" text-anchor="end">'
                     f'{escape(label)}</text>')
        if row.value:
            w = max(1, round(bar_w * min(row.value / top, 1.0)))
            parts.append(f'<rect x="{LABEL_W}" y="{y + 4}" width="{w}" height="{ROW_H - 8}" '
                         f'fill="{COLORS[i % len(COLORS)]}"/>')
        else:
            w = 0
        parts.append(f'<text x="{LABEL_W + w + 6}" y="{y + 17}">{escape(row.display)}</text>')
    parts.append(f'<line x1="{LABEL_W}" y1="{TOP}" x2="{LABEL_W}" y2="{height - TOP}" '
                 f'stroke="#333"/></svg>')
    return "".join(parts)


CHARTED = ("channels", "statuses", "deadlines", "replies", "receptions")


def charts(secs: list[Section]) -> list[dict]:
    """The sections worth a chart, each with its SVG (ids ``chart-<code>``)."""
    return [{"section": s, "svg": bar_chart(s, f"chart-{s.code}")}
            for s in secs if s.code in CHARTED and s.rows]
