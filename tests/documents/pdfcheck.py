"""Reading generated PDFs back: text (poppler's pdftotext), fonts (pdffonts), metadata (pypdf).

Poppler is used for text and fonts because it is an independent reader: if a glyph has no
Unicode mapping, or a font was substituted or left unembedded, it shows here.
"""
import io
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
from pypdf import PdfReader

ALLOWED_FONTS = ("DejaVu", "Noto")
KAZAKH_LETTERS = "әғқңөұүһіӘҒҚҢӨҰҮҺІ"


def _need(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        pytest.skip(f"{tool} not installed (Debian package poppler-utils)")
    return path


def _run(tool: str, pdf: bytes, *args: str) -> str:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "doc.pdf"
        path.write_bytes(pdf)
        out = subprocess.run([_need(tool), *args, str(path), "-"] if tool == "pdftotext"
                             else [_need(tool), *args, str(path)],
                             check=True, capture_output=True, text=True, timeout=30)
    return out.stdout


def pdf_text(pdf: bytes) -> str:
    """The text as poppler extracts it, in drawing order (``-raw`` keeps the hyphen of a
    line-end "Вице-" / "министр" that the default mode drops), with the word joined again
    and whitespace collapsed."""
    text = re.sub(r"-\n\s*", "-", _run("pdftotext", pdf, "-raw", "-enc", "UTF-8"))
    return re.sub(r"\s+", " ", text)


def pdf_fonts(pdf: bytes) -> list[dict]:
    """pdffonts rows: name, type, embedded, subset, unicode-mapped."""
    rows = []
    for line in _run("pdffonts", pdf).splitlines()[2:]:
        cols = line.split()
        if len(cols) >= 7:
            # the last five columns are emb sub uni object-id generation
            rows.append({"name": cols[0], "emb": cols[-5], "sub": cols[-4], "uni": cols[-3]})
    return rows


def font_problems(pdf: bytes) -> list[str]:
    """Every font that is not embedded, has no Unicode map, or is not DejaVu/Noto — the sign
    of a glyph that fell back to another font (or to a missing-glyph box)."""
    problems = []
    fonts = pdf_fonts(pdf)
    if not fonts:
        problems.append("no fonts at all")
    for font in fonts:
        base = font["name"].split("+", 1)[-1]
        if font["emb"] != "yes":
            problems.append(f"{base} not embedded")
        if font["uni"] != "yes":
            problems.append(f"{base} has no ToUnicode map")
        if not base.startswith(ALLOWED_FONTS):
            problems.append(f"{base} is not DejaVu or Noto")
    return problems


def reader(pdf: bytes) -> PdfReader:
    return PdfReader(io.BytesIO(pdf))


def page_sizes(pdf: bytes) -> list[tuple[float, float]]:
    return [(float(p.mediabox.width), float(p.mediabox.height)) for p in reader(pdf).pages]


def lang(pdf: bytes) -> str | None:
    return reader(pdf).trailer["/Root"].get("/Lang")


def images(pdf: bytes) -> list[tuple[int, int]]:
    """(width, height) of every raster image XObject on every page."""
    found = []
    for page in reader(pdf).pages:
        for image in page.images:
            found.append(image.image.size)
    return found
