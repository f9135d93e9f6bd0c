"""`flask import-reference FILE.csv`: a thin wrapper around ``importer``."""
from pathlib import Path

import click
from flask_babel import force_locale, ngettext
from flask_babel import gettext as _

from ..extensions import db
from .importer import COLUMNS, RECORD_COLUMNS, import_file

OUTCOMES = ("created", "updated", "unchanged")

_RECORDS = "\n".join(
    f"  {record}: " + ", ".join(RECORD_COLUMNS[record]) for record in RECORD_COLUMNS)

HELP = f"""Load or update bodies, divisions, venues and officials from FILE (CSV, UTF-8).

\b
One row per record; the `record` column says which (body, division, venue,
official) and `code` identifies it: a known code is updated, a new one created.
Columns (any order; a missing column counts as empty; the separator is a comma,
or a semicolon as Excel writes it in Kazakh and Russian locales):
  {", ".join(COLUMNS)}
Used per record (* = required; the others must be empty):
{_RECORDS}

\b
kind: body central|local; venue reception_center|reception_room (a room needs
its body, a center has none). rank: first_head|deputy. Times HH:MM, with
opens < lunch_start < lunch_end < closes (defaults 09:00, 13:00, 14:30, 18:30);
timezone an IANA name (default Asia/Almaty); active yes|no (default yes); bin
12 digits with a valid check digit. `body` is the code of a body in the
database or anywhere in this file.

Every row is checked first. If any row is bad, each problem is printed with its
line number and field, nothing is changed, and the exit status is 1. Otherwise
everything is applied in one transaction and the counts are printed. Running
the same file again reports everything unchanged. See docs/reference-import.md.
"""


@click.command("import-reference", help=HELP)
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--lang", type=click.Choice(["en", "kk", "ru"]), default="en", show_default=True,
              help="Language of the messages.")
def import_reference(file: Path, lang: str) -> None:
    with force_locale(lang):
        report = import_file(file)
        if not report.ok:
            db.session.rollback()
            for error in report.errors:
                click.echo(error, err=True)
            click.echo(ngettext("%(num)d problem found; nothing was changed.",
                                "%(num)d problems found; nothing was changed.",
                                len(report.errors)), err=True)
            raise click.exceptions.Exit(1)
        db.session.commit()
        rows = [(record, counts) for record, counts in report.counts.items()]
        rows.append(("total", {outcome: report.total(outcome) for outcome in OUTCOMES}))
        for record, counts in rows:
            click.echo(_("%(record)-9s created %(created)4d  updated %(updated)4d  "
                         "unchanged %(unchanged)4d", record=record,
                         **{outcome: counts[outcome] for outcome in OUTCOMES}))
