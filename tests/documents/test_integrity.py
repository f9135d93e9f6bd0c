"""What a stored document promises: refusal letters without a date (R29), reproducible hashes,
inert data, no network, and a font check that really catches substituted fonts."""
import shutil
from datetime import date

import pytest
from weasyprint import HTML

from docflow.documents import contexts, render_pdf, samples
from docflow.documents.hashing import canonical_json, data_hash
from docflow.documents.labels import LABELS, format_date, labels
from docflow.documents.qr import qr_png
from docflow.documents.render import OfflineFetcher, Renderer

from ..services import unavailable
from .pdfcheck import font_problems, pdf_text


@pytest.mark.parametrize("language", ["kk", "ru"])
def test_refusal_letter_states_the_reason_and_no_reception_date_or_time(renderer, language):
    offer = samples.reply_letter(language)
    context = samples.reply_letter(language, refusal=True)
    text = pdf_text(renderer.render("reply_letter", context, language=language, title="t").pdf)
    L = LABELS[language]
    assert context["refusal_reason"] in text and L["reply_refusal"] in text
    for absent in (L["reception_date"], L["reception_time"], L["official"],
                   format_date(offer["reception"]["date"]), offer["reception"]["time"]):
        assert absent not in text


def test_a_refusal_carrying_a_slot_is_rejected_before_rendering():
    context = samples.reply_letter("kk", refusal=True)
    context["reception"] = samples.reply_letter("kk")["reception"]
    with pytest.raises(ValueError, match="must not carry 'reception'"):
        render_pdf("reply_letter", context, language="kk", title="t")


@pytest.mark.parametrize("kind,context,message", [
    ("reply_letter", {}, "missing 'applicant'"),
    ("reply_letter", {**samples.reply_letter(), "decision": "maybe"}, "'decision' must be"),
    ("reply_letter", {k: v for k, v in samples.reply_letter().items() if k != "reception"},
     "needs 'reception'"),
    ("quarterly_report", {**samples.quarterly_report(), "quarter": 5}, "'quarter' must be 1..4"),
    ("schedule_poster", {**samples.schedule_poster(1), "month": 13}, "'month' must be 1..12"),
    ("invoice", {}, "unknown document kind"),
])
def test_context_check_names_what_is_wrong(kind, context, message):
    with pytest.raises(ValueError, match=message):
        contexts.check(kind, context)


def test_documents_are_made_in_kk_or_ru_only():
    with pytest.raises(ValueError, match="kk or ru"):
        labels("en")


def test_same_data_same_hashes_and_same_bytes(renderer):
    first = renderer.render("reply_letter", samples.reply_letter("kk"), language="kk", title="t")
    again = Renderer().render("reply_letter", samples.reply_letter("kk"), language="kk", title="t")
    assert (again.data_hash, again.template_version) == (first.data_hash, first.template_version)
    assert again.pdf == first.pdf  # creation date and identifier come from the data


def test_changed_data_changes_data_hash_not_template_version(renderer):
    base = renderer.render("reply_letter", samples.reply_letter("kk"), language="kk", title="t")
    other = renderer.render("reply_letter", samples.reply_letter("kk", number="ЕҢБ-2024-000124"),
                            language="kk", title="t")
    assert other.data_hash != base.data_hash
    assert other.template_version == base.template_version
    assert other.data_hash == data_hash(samples.reply_letter("kk", number="ЕҢБ-2024-000124"))


def test_data_hash_is_canonical_json_with_iso_dates():
    a = {"b": [1, date(2024, 5, 17)], "a": "Әсем"}
    b = {"a": "Әсем", "b": [1, "2024-05-17"]}
    assert canonical_json(a) == '{"a":"Әсем","b":[1,"2024-05-17"]}'.encode()
    assert data_hash(a) == data_hash(b)
    with pytest.raises(TypeError):
        data_hash({"x": object()})


def test_template_version_covers_included_templates_and_the_stylesheet(tmp_path, renderer):
    copy = tmp_path / "documents"
    shutil.copytree(renderer.template_dir, copy)
    assert Renderer(copy).template_version("reply_letter") == \
        renderer.template_version("reply_letter")
    (copy / "_letterhead.html").write_text((copy / "_letterhead.html").read_text() + "\n")
    changed_include = Renderer(copy).template_version("reply_letter")
    assert changed_include != renderer.template_version("reply_letter")
    (copy / "print.css").write_text((copy / "print.css").read_text() + "\n")
    changed_css = Renderer(copy).template_version("reply_letter")
    assert changed_css != changed_include
    (copy / "emblem.svg").write_text((copy / "emblem.svg").read_text().replace("#f2c230", "#ffd700"))
    assert Renderer(copy).template_version("reply_letter") != changed_css
    # the poster does not include the letterhead; its version did not move with it
    (copy / "print.css").write_text(renderer.stylesheet_source)
    (copy / "emblem.svg").write_text(renderer.emblem_source)
    assert Renderer(copy).template_version("schedule_poster") == \
        renderer.template_version("schedule_poster")


INJECTION = "<script>alert(1)</script> {{ 7*7 }} {% if true %}X{% endif %}"


def test_markup_in_the_data_is_printed_as_typed(renderer):
    clean = renderer.render("reply_letter", samples.reply_letter("ru"), language="ru", title="t")
    assert "49" not in pdf_text(clean.pdf)  # so the assertion below can fail
    context = samples.reply_letter("ru")
    context["applicant"]["name"] = INJECTION
    context["reception"]["place"] = "<b>Кабинет</b> <img src='http://example.com/x.png'>"
    doc = renderer.render("reply_letter", context, language="ru", title="<title>")
    text = pdf_text(doc.pdf)
    assert "{{ 7*7 }}" in text and "{% if true %}X{% endif %}" in text and "49" not in text
    assert "<script>alert(1)</script>" in text  # shown, not executed or dropped
    assert "<script" not in doc.html and "&lt;script&gt;" in doc.html
    assert "<b>" not in doc.html and "<img src='http" not in doc.html


@pytest.mark.parametrize("url", ["http://example.com/logo.png", "https://example.com/x.css",
                                 "file:///etc/hostname", "ftp://example.com/x"])
def test_the_fetcher_refuses_everything_but_data_urls(url):
    with pytest.raises(ValueError, match="disallowed protocol"):
        OfflineFetcher().fetch(url)


def test_the_fetcher_serves_data_urls():
    response = OfflineFetcher().fetch("data:text/plain;base64,0JDRgdGC")
    assert response.read() == "Аст".encode()


def test_qr_code_is_per_content_with_a_quiet_zone():
    from io import BytesIO

    from PIL import Image

    one = Image.open(BytesIO(qr_png("https://docflow.gov.kz/verify/A-1"))).convert("L")
    two = qr_png("https://docflow.gov.kz/verify/A-2")
    assert one.size[0] == one.size[1] >= 21 + 8  # version 1 plus two 4-module margins
    assert {one.getpixel((x, 0)) for x in range(one.size[0])} == {255}
    assert one.getpixel((4, 4)) == 0  # the finder pattern's corner
    assert two != qr_png("https://docflow.gov.kz/verify/A-1")
    with pytest.raises(ValueError):
        qr_png("")


@pytest.mark.parametrize("drawn", [True, False], ids=["drawn-by-finisher", "png-in-flow"])
def test_letter_qr_is_the_code_of_its_verification_url(renderer, drawn):
    """The QR code read back from the PDF's image is the code of the letter's own URL, with
    its quiet zone, whether the finisher drew it (warm plain renderer: a 1-bit image) or
    WeasyPrint laid out the PNG (letterhead in flow, tagged and PDF/A renderers)."""
    import segno

    from docflow.documents.qr import QUIET_ZONE, qr_data_url

    from .pdfcheck import reader

    context = samples.reply_letter("kk", number="ЕҢБ-2024-000777")
    doc = (renderer if drawn else Renderer(letterhead_underlay=False)).render(
        "reply_letter", context, language="kk", title="t")
    assert (qr_data_url(context["verification_url"]) in doc.html) is not drawn
    (image,) = reader(doc.pdf).pages[0].images
    image = image.image.convert("L")
    expected = segno.make_qr(context["verification_url"], error="m", mask=0,
                             boost_error=False).matrix
    assert image.size == (len(expected) + 2 * QUIET_ZONE,) * 2
    drawn_modules = [tuple(int(image.getpixel((x + QUIET_ZONE, y + QUIET_ZONE)) == 0)
                           for x in range(len(expected))) for y in range(len(expected))]
    assert drawn_modules == [tuple(row) for row in expected]
    assert {image.getpixel((x, 0)) for x in range(image.size[0])} == {255}  # quiet zone


def test_warm_up_renders_every_kind_once():
    from docflow.documents import KINDS, get_renderer, warm_up

    renderer = warm_up()
    assert renderer is get_renderer()
    assert set(renderer._versions) == set(KINDS)  # each kind rendered (and versioned) once


def test_font_check_catches_a_font_other_than_dejavu_or_noto():
    liberation = HTML(string='<p style="font-family: \'Liberation Serif\'">Астана</p>').write_pdf()
    if "Liberation" not in " ".join(font_problems(liberation)):
        unavailable("A Liberation font (Debian package fonts-liberation)",
                    "without a font other than DejaVu or Noto there is nothing to catch")
    assert any("is not DejaVu or Noto" in p for p in font_problems(liberation))


def test_threads_sharing_the_renderer_get_their_own_documents(renderer):
    from concurrent.futures import ThreadPoolExecutor

    numbers = [f"ЕҢБ-2024-{i:06d}" for i in range(4)]

    def one(number):
        context = samples.reply_letter("kk", number=number)
        return number, renderer.render("reply_letter", context, language="kk", title=number)

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(one, numbers))
    for number, doc in results:
        assert doc.data_hash == data_hash(samples.reply_letter("kk", number=number))
        assert number in pdf_text(doc.pdf)
