"""Each document kind in Kazakh and Russian, read back from the PDF (R8, R26, R29, R40)."""
import pytest

from docflow.documents import render_pdf, samples
from docflow.documents.hashing import canonical_json
from docflow.documents.labels import LABELS, format_date

from .pdfcheck import KAZAKH_LETTERS, font_problems, images, lang, page_sizes, pdf_text, reader

LANGS = ("kk", "ru")


def expected_strings(kind: str, context: dict, language: str) -> list[str]:
    """What a reader must find in the document: the data it was made from and fixed labels."""
    L = LABELS[language]
    if kind == "reply_letter":
        r = context["reception"]
        return [context["applicant"]["name"], context["registration"]["number"],
                format_date(context["registration"]["date"]), format_date(r["date"]), r["time"],
                r["official_name"], r["official_position"], L["reply_title"],
                L["reception_date"], L["reception_time"], L["official"],
                context["letterhead"]["name_kk"], context["letterhead"]["name_ru"],
                context["letterhead"]["bin"], context["letterhead"]["email"]]
    if kind == "reference_brief":
        return [context["applicant"]["name"], context["subject"], context["addressee"]["name"],
                L["brief_title"], L["history"], L["materials"], L["proposal_slot"],
                *(row["event"] for row in context["history"]),
                *(m["title"] for m in context["materials"]),
                format_date(context["reception"]["date"]), context["prepared_by"]["name"]]
    if kind == "schedule_poster":
        row = context["rows"][0]
        return [LABELS["kk"]["schedule_title"], LABELS["ru"]["schedule_title"],
                LABELS["kk"]["official_position"], LABELS["ru"]["official_position"],
                context["venue_kk"], context["venue_ru"], row["official_kk"], row["official_ru"],
                row["position_kk"], format_date(row["date"]), row["time"], "маусым", "июнь"]
    if kind == "quarterly_report":
        return [L["report_title"], context["scope"], L["indicator"], L["value"],
                *(f["label"] for f in context["figures"]),
                *(str(f["value"]) for f in context["figures"]), context["charts"][0]["title"]]
    raise AssertionError(kind)


def make(kind: str, language: str) -> dict:
    if kind == "schedule_poster":
        return samples.schedule_poster(rows=3)
    return getattr(samples, kind)(language)


CASES = [(kind, language) for kind in ("reply_letter", "reference_brief", "schedule_poster",
                                       "quarterly_report") for language in LANGS]


@pytest.fixture(scope="module")
def rendered():
    """Every (kind, language) rendered once; the tests below read the same PDFs."""
    out = {}
    for kind, language in CASES:
        context = make(kind, language)
        title = f"{kind} {language} ({context['letterhead']['bin']})"
        out[kind, language] = (context, title, render_pdf(kind, context, language=language,
                                                          title=title, author="docflow test"))
    return out


@pytest.mark.parametrize("kind,language", CASES)
def test_text_holds_the_data_and_the_labels(rendered, kind, language):
    context, _, doc = rendered[kind, language]
    text = pdf_text(doc.pdf)
    missing = [s for s in expected_strings(kind, context, language) if s not in text]
    assert not missing, f"not in the PDF text: {missing}"


@pytest.mark.parametrize("kind,language", CASES)
def test_kazakh_letters_round_trip_in_embedded_dejavu_or_noto(rendered, kind, language):
    context, _, doc = rendered[kind, language]
    assert font_problems(doc.pdf) == []
    used = {ch for ch in KAZAKH_LETTERS if ch in canonical_json(context).decode()}
    if language == "kk" or kind == "schedule_poster":
        assert set("әғқңөұүһі") <= used, "the sample data must exercise every Kazakh letter"
    text = pdf_text(doc.pdf)
    assert {ch for ch in used if ch not in text} == set()


@pytest.mark.parametrize("kind,language", CASES)
def test_metadata_title_language_author_and_fixed_creation_date(rendered, kind, language):
    context, title, doc = rendered[kind, language]
    meta = reader(doc.pdf).metadata
    assert meta.title == title
    assert meta.author == "docflow test"
    assert lang(doc.pdf) == language
    issued = context["issued_at"]
    assert meta["/CreationDate"].startswith("D:" + issued.strftime("%Y%m%d"))


@pytest.mark.parametrize("kind,language", CASES)
def test_page_count_and_orientation(rendered, kind, language):
    _, _, doc = rendered[kind, language]
    sizes = page_sizes(doc.pdf)
    assert doc.pages == len(sizes)
    landscape = kind == "schedule_poster"
    assert all((w > h) == landscape for w, h in sizes)
    if kind in ("reply_letter", "quarterly_report"):
        assert doc.pages == 1


def test_reply_letter_is_one_a4_page_with_a_qr_code(rendered):
    _, _, doc = rendered["reply_letter", "kk"]
    (w, h), = page_sizes(doc.pdf)
    assert (round(w), round(h)) == (595, 842)  # A4 in points
    assert len(images(doc.pdf)) == 1  # the QR code
    assert doc.template == "documents/reply_letter.html"


def test_a_longer_history_adds_pages(renderer):
    short = renderer.render("reference_brief", samples.reference_brief("kk", history_rows=1),
                            language="kk", title="t")
    long = renderer.render("reference_brief", samples.reference_brief("kk", history_rows=28),
                           language="kk", title="t")
    assert long.pages > short.pages
    assert pdf_text(long.pdf).count("Материалдар алынды") == 7


def test_poster_carries_both_languages_whatever_the_document_language(renderer):
    context = samples.schedule_poster(rows=2)
    for language in LANGS:
        text = pdf_text(renderer.render("schedule_poster", context, language=language,
                                        title="t").pdf)
        assert LABELS["kk"]["venue"] in text and LABELS["ru"]["venue"] in text


def test_report_chart_is_drawn_without_its_markup(renderer):
    context = samples.quarterly_report("ru")
    context["charts"][0]["svg"] = context["charts"][0]["svg"].replace(
        "</svg>", "<script>alert('x')</script><text x='5' y='15'>ЛЕГЕНДА</text></svg>")
    doc = renderer.render("quarterly_report", context, language="ru", title="t")
    assert "<script" not in doc.html and "alert" not in pdf_text(doc.pdf)
    assert "data:image/svg+xml;base64," in doc.html
    assert "ЛЕГЕНДА" in pdf_text(doc.pdf)  # the chart itself was drawn


@pytest.mark.parametrize("kind,language", CASES)
def test_search_text_has_the_words_of_the_pdf(rendered, kind, language):
    """The stored search text comes from the laid-out HTML, not from parsing the PDF back:
    it must hold the same words as the PDF (read with pypdf, as uploads are), line by line."""
    import re

    _, title, doc = rendered[kind, language]
    words = set(re.findall(r"\w+", pdf_text(doc.pdf)))
    assert set(re.findall(r"\w+", doc.text)) == words and len(words) > 50
    assert title not in doc.text  # <head> is not printed
    if kind == "reply_letter":  # the addressee's <br> and the reception's lines end lines
        context = rendered[kind, language][0]
        lines = doc.text.splitlines()
        assert context["applicant"]["name"] in lines
        assert f"{LABELS[language]['reception_time']}: {context['reception']['time']}" in lines
