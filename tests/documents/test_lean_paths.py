"""The renderer's shortcuts (issue 8: a reply letter in <= 30 ms) must not change what is
printed: each is compared here with the plain WeasyPrint way, page by page, in pixels."""
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
from weasyprint import HTML

from docflow.documents import samples
from docflow.documents.render import LeanHTML, Renderer, lean_ua_css

from .pdfcheck import font_problems, pdf_text

KINDS = ("reply_letter", "reference_brief", "schedule_poster", "quarterly_report")


def rasters(pdf: bytes, dpi: int = 60) -> list[bytes]:
    """Every page as pixels (poppler's pdftoppm)."""
    tool = shutil.which("pdftoppm")
    if tool is None:
        pytest.skip("pdftoppm not installed (Debian package poppler-utils)")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "doc.pdf"
        path.write_bytes(pdf)
        subprocess.run([tool, "-r", str(dpi), "-gray", str(path), str(Path(tmp) / "page")],
                       check=True, timeout=60)
        return [page.read_bytes() for page in sorted(Path(tmp).glob("page*.pgm"))]


def context_for(kind: str, language: str) -> dict:
    if kind == "schedule_poster":
        return samples.schedule_poster(rows=3)
    return getattr(samples, kind)(language)


@pytest.fixture(scope="module")
def stock():
    """WeasyPrint's own user-agent stylesheet, everything else as in a worker."""
    return Renderer(html_class=HTML)


@pytest.mark.parametrize("language", ["kk", "ru"])
@pytest.mark.parametrize("kind", KINDS)
def test_lean_user_agent_stylesheet_prints_the_same_pages(renderer, stock, kind, language):
    assert renderer.html_class is LeanHTML and stock.html_class is HTML
    context = context_for(kind, language)
    lean = renderer.render(kind, context, language=language, title="t")
    plain = stock.render(kind, context, language=language, title="t")
    assert lean.pages == plain.pages
    assert rasters(lean.pdf) == rasters(plain.pdf)
    assert lean.text == plain.text and pdf_text(lean.pdf) == pdf_text(plain.pdf)
    assert font_problems(lean.pdf) == []


def test_lean_user_agent_stylesheet_leaves_out_only_pseudo_element_and_margin_box_rules():
    stock_css = HTML(string="<p>x</p>")._ua_stylesheets()[0]
    lean = LeanHTML(string="<p>x</p>")._ua_stylesheets()[0]
    assert lean is LeanHTML(string="<p>y</p>")._ua_stylesheets()[0]  # parsed once, reused
    assert lean is not stock_css
    text = lean_ua_css()
    assert "li::marker {" in text and "\n::marker" not in text
    assert "::footnote-call" not in text and "::note-callback" not in text
    assert "@top-left " not in text and "@bottom-right " not in text  # margin boxes
    assert "@footnote" in text and "br::before" in text  # the rest is WeasyPrint's own sheet


def test_numbered_pages_still_print_their_page_number_at_the_bottom_right(renderer):
    doc = renderer.render("reference_brief", samples.reference_brief("kk", history_rows=28),
                          language="kk", title="t")
    assert doc.pages >= 2
    assert f"1 / {doc.pages}" in pdf_text(doc.pdf) and f"2 / {doc.pages}" in pdf_text(doc.pdf)


def test_selectors_weasyprint_queries_are_compiled_once_per_process(renderer):
    from docflow.documents.render import _Element

    renderer.render("reply_letter", samples.reply_letter("kk"), language="kk", title="t")
    before = _Element._compile.cache_info()
    renderer.render("reply_letter", samples.reply_letter("ru", number="В-3"), language="ru",
                    title="t")
    after = _Element._compile.cache_info()
    assert after.misses == before.misses and after.hits > before.hits


def test_a_list_item_keeps_its_marker():
    pdf = LeanHTML(string="<ol><li>Бірінші</li><li>Екінші</li></ol>").write_pdf()
    text = pdf_text(pdf)
    assert "1." in text and "2." in text and "Екінші" in text


def test_well_formed_markup_is_read_by_the_xml_parser_and_the_rest_by_the_html5_parser():
    from docflow.documents.render import OfflineFetcher

    table = "<html><body><table><tr><td>Астана</td></tr></table></body></html>"
    xml = LeanHTML.parse(table, OfflineFetcher())
    assert xml.etree_element.find("body/table/tr/td").text == "Астана"  # as written
    html5 = LeanHTML.parse(table.replace("<td>", "<td>&nbsp;"), OfflineFetcher())  # not XML
    assert html5.etree_element.find("body/table/tbody/tr/td").text == "\xa0Астана"


def test_a_character_xml_refuses_still_renders_through_the_html5_parser(renderer):
    context = samples.reply_letter("kk")
    context["applicant"]["name"] = "Әсем\x0bҚасымова"  # a vertical tab pasted from a form
    doc = renderer.render("reply_letter", context, language="kk", title="t")
    assert "Қасымова" in pdf_text(doc.pdf) and doc.pages == 1
    assert font_problems(doc.pdf) == []


def test_templates_are_well_formed_xml_so_the_fast_parser_reads_them(renderer):
    from xml.etree import ElementTree

    for kind in KINDS:
        for language in ("kk", "ru"):
            for space in (None, 100.0):
                html = renderer.render_html(kind, context_for(kind, language), language=language,
                                            title="t <&>", letterhead_space=space)
                ElementTree.fromstring(html)  # raises on a template that is not XHTML


def test_letterhead_and_qr_are_written_into_a_valid_pdf_once_per_letter(renderer):
    """The finisher copies the letterhead form (and its fonts) into each PDF as WeasyPrint
    writes it: qpdf finds nothing wrong, the page draws exactly one letterhead and one QR
    image, and a letter rendered again after another is byte-for-byte the same."""
    import io

    import pikepdf

    first = renderer.render("reply_letter", samples.reply_letter("kk", number="А-1"),
                            language="kk", title="t")
    renderer.render("reply_letter", samples.reply_letter("ru", number="Б-2"), language="ru",
                    title="t")
    again = renderer.render("reply_letter", samples.reply_letter("kk", number="А-1"),
                            language="kk", title="t")
    assert again.pdf == first.pdf
    with pikepdf.open(io.BytesIO(first.pdf)) as pdf:
        assert pdf.check_pdf_syntax() == []
        (page,) = pdf.pages
        assert sorted(page.Resources.XObject.keys()) == ["/Letterhead", "/QR"]
        content = b"".join(stream.read_bytes() for stream in page.Contents)
        assert content.count(b"/Letterhead Do") == 1 and content.count(b"/QR Do") == 1
        fonts = page.Resources.XObject.Letterhead.Resources.Font
        assert len(fonts.keys()) == 2  # the letterhead's own subsets travel with its form


def test_a_letter_running_over_a_page_gets_its_qr_code_on_the_page_with_its_box(renderer):
    import io

    import pikepdf

    from .pdfcheck import reader

    context = samples.reply_letter("ru")
    context["reception"]["place"] = " ".join([context["reception"]["place"]] * 40)
    doc = renderer.render("reply_letter", context, language="ru", title="t")
    assert doc.pages == 2 == len(reader(doc.pdf).pages)
    assert "Министерство труда" in pdf_text(doc.pdf)
    with pikepdf.open(io.BytesIO(doc.pdf)) as pdf:
        assert pdf.check_pdf_syntax() == []
        first, second = (b"".join(s.read_bytes() for s in page.Contents) for page in pdf.pages)
        assert first.count(b"/Letterhead Do") == 1 and b"/QR Do" not in first
        assert second.count(b"/QR Do") == 1 and b"/Letterhead Do" not in second
