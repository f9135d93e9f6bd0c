"""Sorting a list page on the server: one small parser every list uses, and its ORDER BY.

A list's URL carries ``sort=KEY`` (ascending) or ``sort=-KEY`` (descending); the older
``sort=KEY&dir=desc`` form (the worklist's first links) is still understood. Each list names
the keys it can sort by (a whitelist: key -> column or columns); an unknown key falls back to
the list's default, or raises :class:`SortError` naming it when the list asks for ``strict``
(never a 500). The order always ends with the row's id in the same direction, so pages are
stable when many rows share a value.

Templates draw the headers with ``templates/_sorting.html``: each sortable header is a real
link (it works without JavaScript) and the sorted one carries ``aria-sort``.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from flask_babel import gettext as _

MAX_KEY_CHARS = 40


class SortError(ValueError):
    """An unknown sort key asked for strictly; the message names it and the known ones."""


@dataclass(frozen=True)
class Sort:
    """The chosen order of a list: ``key`` (one of the list's keys) and its direction."""

    key: str
    desc: bool = False

    @property
    def arg(self) -> str:
        """The ``sort`` URL argument that asks for this order."""
        return f"-{self.key}" if self.desc else self.key

    def link(self, key: str) -> str:
        """The ``sort`` argument of a header link: the sorted column flips its direction, any
        other column starts ascending."""
        return f"-{key}" if key == self.key and not self.desc else key

    def aria(self, key: str) -> str | None:
        """``aria-sort`` of a header: only the sorted one has it."""
        if key != self.key:
            return None
        return "descending" if self.desc else "ascending"


def parse_sort(args: Mapping, allowed: Iterable[str], default: str, *,
               strict: bool = False) -> Sort:
    """The order a list's URL arguments ask for; ``default`` is a ``sort`` argument too
    (``"-modified"``). Unknown keys: the default, or :class:`SortError` if ``strict``."""
    allowed = set(allowed)
    raw = (args.get("sort") or "").strip() or default
    desc = raw.startswith("-")
    key = raw.removeprefix("-")
    if args.get("dir") == "desc":
        desc = True
    if key not in allowed:
        if strict:
            raise SortError(_("Unknown sort order %(sort)s; use one of: %(names)s.",
                              sort=raw[:MAX_KEY_CHARS], names=", ".join(sorted(allowed))))
        return Sort(default.removeprefix("-"), default.startswith("-"))
    return Sort(key, desc)


def order_by(sort: Sort, columns: Mapping, id_column) -> list:
    """ORDER BY clauses for ``sort``: the key's column(s) (a column, an expression or a list of
    them), then ``id_column`` as the tie-break, all in the chosen direction."""
    chosen = columns[sort.key]
    chosen = list(chosen) if isinstance(chosen, (list, tuple)) else [chosen]
    return [c.desc() if sort.desc else c.asc() for c in (*chosen, id_column)]


def list_args(args: Mapping, *, drop: Iterable[str] = ("page",)) -> dict:
    """The list's current URL arguments (repeated ones kept as lists) without ``page``: what
    header links, filter links and export links carry along."""
    dropped = set(drop)
    out = {}
    for key in args:
        if key in dropped:
            continue
        values = args.getlist(key) if hasattr(args, "getlist") else [args[key]]
        out[key] = values if len(values) > 1 else values[0]
    return out
