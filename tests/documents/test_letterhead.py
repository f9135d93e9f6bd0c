"""The reply letter's letterhead, laid out once per body and language and drawn under the page
(``Renderer.letterhead``): the letter must print and read exactly as with the letterhead in flow."""
import re
import shutil
import subprocess
import tempfile
from collections import Counter
from pathlib import Path

import pytest

from docflow.documents import samples
from docflow.documents.render import Renderer

from .pdfcheck import font_problems, pdf_fonts, pdf_text, reader


def raster(pdf: bytes, dpi: int = 72) -> bytes:
    """The first page as pixels (poppler's pdftoppm), to compare two PDFs as printed."""
    tool = shutil.which("pdftoppm")
    if tool is None:
        pytest.skip("pdftoppm not installed (Debian package poppler-utils)")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "doc.pdf"
        path.write_bytes(pdf)
        subprocess.run([tool, "-r", str(dpi), "-f", "1", "-l", "1", "-gray", str(path),
                        str(Path(tmp) / "page")], check=True, timeout=60)
        (page,) = Path(tmp).glob("page*.pgm")
        return page.read_bytes()


@pytest.fixture(scope="module")
def in_flow():
    return Renderer(letterhead_underlay=False)


@pytest.mark.parametrize("language", ["kk", "ru"])
@pytest.mark.parametrize("decision", ["slot", "refusal"])
def test_underlaid_letterhead_prints_and_reads_as_in_flow(renderer, in_flow, language, decision):
    context = samples.reply_letter(language, refusal=decision == "refusal")
    drawn = renderer.render("reply_letter", context, language=language, title="t")
    flowed = in_flow.render("reply_letter", context, language=language, title="t")
    assert raster(drawn.pdf) == raster(flowed.pdf)  # same pixels: same place, same glyphs
    # The same words; in drawing order the whole letterhead now comes first (in flow, its
    # absolutely positioned names were painted after the body).
    assert Counter(re.findall(r"\w+", pdf_text(drawn.pdf))) == Counter(
        re.findall(r"\w+", pdf_text(flowed.pdf)))
    text = pdf_text(drawn.pdf)
    assert text.index("Министерство труда") < text.index(context["registration"]["number"])
    assert drawn.text == flowed.text
    assert drawn.pages == flowed.pages == len(reader(drawn.pdf).pages) == 1
    assert reader(drawn.pdf).metadata == reader(flowed.pdf).metadata
    assert font_problems(drawn.pdf) == []
    assert drawn.template_version == flowed.template_version
    assert drawn.data_hash == flowed.data_hash


def test_letterhead_subsets_have_tags_of_their_own(renderer):
    doc = renderer.render("reply_letter", samples.reply_letter("kk"), language="kk", title="t")
    names = [font["name"] for font in pdf_fonts(doc.pdf)]
    assert len(names) == 4 and len(set(names)) == 4  # letter's and letterhead's subsets
    assert {name.split("+", 1)[1] for name in names} == {"Noto-Sans", "Noto-Sans-Bold"}


def test_letterhead_is_laid_out_once_per_body_and_language():
    renderer = Renderer()
    for i in range(3):
        for language in ("kk", "ru"):
            renderer.render("reply_letter", samples.reply_letter(language, number=f"Т-{i}"),
                            language=language, title="t")
    assert len(renderer.letterheads) == 2
    other = samples.reply_letter("kk")
    other["letterhead"] = {**other["letterhead"], "name_kk": "Астана қаласы әкімдігі",
                           "name_ru": "Акимат города Астаны"}
    doc = renderer.render("reply_letter", other, language="kk", title="t")
    assert len(renderer.letterheads) == 3
    text = pdf_text(doc.pdf)
    assert "Астана қаласы әкімдігі" in text and "Акимат города Астаны" in text
    assert "Еңбек" not in text  # not the other body's letterhead
    assert "Астана қаласы әкімдігі" in doc.text


def test_a_long_requisites_line_moves_the_letter_down_as_in_flow(renderer, in_flow):
    context = samples.reply_letter("ru")
    context["letterhead"] = {**context["letterhead"],
                             "address": context["letterhead"]["address"] * 4}
    drawn = renderer.render("reply_letter", context, language="ru", title="t")
    flowed = in_flow.render("reply_letter", context, language="ru", title="t")
    assert raster(drawn.pdf) == raster(flowed.pdf)


def test_tagged_pdf_keeps_the_letterhead_in_flow():
    tagged = Renderer(pdf_tags=True)
    doc = tagged.render("reply_letter", samples.reply_letter("kk"), language="kk", title="t")
    assert not tagged.underlay and len(tagged.letterheads) == 0
    assert samples.LETTERHEAD["name_kk"].split()[0] in pdf_text(doc.pdf)
    assert "/StructTreeRoot" in reader(doc.pdf).trailer["/Root"]
