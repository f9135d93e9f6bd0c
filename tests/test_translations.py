"""kk and ru catalogs are complete: no empty or fuzzy entry, no placeholder lost or invented."""
import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
PLACEHOLDER = re.compile(r"%\(\w+\)[-\d.]*[sdfr]|%[sd]|\{\d*\}")


def catalog(lang: str):
    with open(ROOT / "translations" / lang / "LC_MESSAGES" / "messages.po", "rb") as f:
        return read_po(f, locale=lang)


def forms(value) -> list[str]:
    return list(value) if isinstance(value, (tuple, list)) else [value]


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_catalog_is_complete(lang):
    cat = catalog(lang)
    empty = [m.id for m in cat if m.id and not all(forms(m.string))]
    fuzzy = [m.id for m in cat if m.id and m.fuzzy]
    assert empty == [] and fuzzy == []


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_placeholders_survive_translation(lang):
    wrong = []
    for m in catalog(lang):
        if not m.id:
            continue
        expected = sorted(PLACEHOLDER.findall(forms(m.id)[0]))
        for form in forms(m.string):
            if sorted(PLACEHOLDER.findall(form)) != expected and set(PLACEHOLDER.findall(form)) != set(expected):
                wrong.append((m.id, form))
    assert wrong == []


def test_every_message_in_the_code_is_in_the_catalogs(tmp_path):
    """Extract the messages as `make extract-messages` does: each must be in both catalogs."""
    import os
    import subprocess
    import sys
    pot = tmp_path / "messages.pot"
    subprocess.run([str(Path(sys.executable).parent / "pybabel"), "extract", "--no-location",
                    "-F", "babel.cfg", "-k", "_l", "-k", "lazy_gettext", "-k", "condition:2",
                    "-k", "N_", "-o", str(pot), "."], cwd=ROOT, check=True, capture_output=True,
                   env={**os.environ, "PYTHONPATH": str(ROOT)})
    with open(pot, "rb") as f:
        template = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(f) if m.id}
    for lang in ("kk", "ru"):
        ids = {m.id if isinstance(m.id, str) else m.id[0] for m in catalog(lang) if m.id}
        assert template <= ids, sorted(template - ids)[:10]
