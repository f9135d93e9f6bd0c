"""The one rendering path: Jinja template -> HTML -> PDF (WeasyPrint).

Speed is a requirement (a one-page reply letter in a median of <= 30 ms in a warm worker), so a
``Renderer`` holds everything that does not depend on the data and reuses it across documents:
the Jinja environment with its compiled templates, the print stylesheet parsed once into a
``weasyprint.CSS``, one ``FontConfiguration``, an image cache, each kind's template version, and
each issuing body's letterhead, laid out once and drawn under every reply letter's page.
Nothing is fetched from outside: the URL fetcher accepts only ``data:`` URLs.

A reply letter's letterhead and QR code are written into the PDF by a WeasyPrint ``finisher``
while WeasyPrint writes it (``Renderer._finisher``): the letterhead as a form XObject copied in
as bytes (``CopiedForm``), the QR code as a 1-bit image where the layout left its box. The PDF
is written once, never opened and saved again.
"""
import base64
import functools
import gc
import hashlib
import io
import re
import threading
import zlib
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from xml.etree import ElementTree

import cssselect2
import jinja2
import pikepdf
import pydyf
from jinja2 import meta
from weasyprint import CSS, HTML
from weasyprint import html as weasyprint_html
from weasyprint.css.counters import CounterStyle
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher

from . import contexts
from .hashing import canonical_json, data_hash, sources_hash
from .labels import LABELS, format_date, labels, month_name
from .qr import qr_bitmap, qr_data_url

TEMPLATE_ROOT = Path(__file__).resolve().parents[2] / "templates"
TEMPLATE_DIR = TEMPLATE_ROOT / "documents"
STYLESHEET = "print.css"
EMBLEM = "emblem.svg"  # drawn for docflow: a sun in a circle, no state symbol reproduced

LETTERHEAD = "letterhead.html"  # the letterhead alone, drawn under each reply letter
# Kinds whose letterhead is laid out once per body and language and drawn under the page as a
# form XObject (``Letterheads``): a reply letter is one page and its letterhead is ~20 % of its
# layout and painting. Briefs and reports (several pages, page numbers) lay it out in flow.
UNDERLAID_KINDS = frozenset({"reply_letter"})
PDF_SCALE = 0.75  # PDF points per CSS pixel (72 / 96), as WeasyPrint writes pages

# Plain (untagged) PDF 1.7 by default, measured in bench/README.md: tags cost ~8 % per letter and,
# in WeasyPrint 69, number table headers by Python object id, so the same data would no longer
# give the same bytes; PDF/A-3b costs ~5 % and ~3 kB. Both stay available per Renderer.
PDF_OPTIONS = {"pdf_tags": False, "pdf_variant": None}


@dataclass(frozen=True)
class RenderedDocument:
    """A PDF and what it was made from, as the case file stores it."""

    pdf: bytes
    html: str  # as laid out: an underlaid letterhead is a blank band here (see ``letterhead``)
    template: str  # path under templates/, e.g. "documents/reply_letter.html"
    template_version: str  # SHA-256 of the template sources and the stylesheet
    data_hash: str  # SHA-256 of the canonical JSON of the context
    pages: int
    language: str = field(default="")
    # The document's words for full-text search, taken from the HTML it was laid out from: the
    # file store then need not parse the PDF back (pypdf took ~40 ms a letter, more than
    # half the render).
    text: str = field(default="", repr=False)


_REFERENCE = re.compile(rb"\((?:\\.|[^\\()])*\)|(\d+) (\d+) R")  # a string, or "N G R"


def _split_references(data: bytes) -> list:
    """PDF syntax as bytes between ``(number, generation)`` references (not inside strings)."""
    parts, start = [], 0
    for match in _REFERENCE.finditer(data):
        if match[1] is not None:
            parts += [data[start:match.start()], (int(match[1]), int(match[2]))]
            start = match.end()
    parts.append(data[start:])
    return parts


class _CopiedObject(pydyf.Object):
    """One object of another PDF, as its serialized bytes; references to the other copied
    objects are filled in with their numbers in the new PDF when it is written."""

    def __init__(self, parts: list, copies: dict, stream: bool):
        super().__init__()
        self.parts, self.copies, self.stream = parts, copies, stream

    @property
    def data(self) -> bytes:
        return b"".join(part if isinstance(part, bytes) else self.copies[part].reference
                        for part in self.parts)

    @property
    def compressible(self) -> bool:  # streams never go into an object stream
        return not self.stream


class CopiedForm:
    """A form XObject of a PDF made once (the letterhead), ready to be copied into each PDF
    WeasyPrint writes: the form and every object it needs (fonts, their files, colour spaces)
    serialized once; a copy is a few dozen byte strings added to the new PDF (``add_to``),
    instead of opening the finished PDF with qpdf and saving it again (~2 ms a letter)."""

    def __init__(self, source: pikepdf.Pdf, form: pikepdf.Object):
        self.root = form.objgen
        self.objects: list[tuple[tuple[int, int], list, bool]] = []
        seen, pending = set(), [form.objgen]
        while pending:
            objgen = pending.pop()
            if objgen in seen:
                continue
            seen.add(objgen)
            obj = source.get_object(objgen)
            if isinstance(obj, pikepdf.Stream):  # filters and /Length kept with the raw bytes
                parts = _split_references(obj.stream_dict.unparse(resolved=True))
                parts += [b"\nstream\n" + obj.read_raw_bytes() + b"\nendstream"]
            else:
                parts = _split_references(obj.unparse(resolved=True))
            pending += [part for part in parts if isinstance(part, tuple)]
            self.objects.append((objgen, parts, isinstance(obj, pikepdf.Stream)))

    def add_to(self, pdf: pydyf.PDF) -> bytes:
        """Add a copy to ``pdf``; returns the reference to the form."""
        copies: dict = {}
        for objgen, parts, stream in self.objects:
            copies[objgen] = _CopiedObject(parts, copies, stream)
            pdf.add_object(copies[objgen])
        return copies[self.root].reference


@dataclass
class Letterhead:
    """A body's letterhead laid out once: the page as a form XObject (``CopiedForm``), the
    height the letter leaves free for it (CSS px, its bottom margin included) and its printed
    text."""

    form: CopiedForm
    height: float
    text: str


def _find_box(box, css_class: str):
    """The first laid-out box whose element has ``css_class``, depth first."""
    element = getattr(box, "element", None)
    if element is not None and css_class in (element.get("class") or "").split():
        return box
    for child in getattr(box, "children", ()):
        found = _find_box(child, css_class)
        if found is not None:
            return found
    return None


_SUBSET_TAG = re.compile(r"^/([A-Z]{6})\+")


def _retag_subsets(pdf: pikepdf.Pdf) -> None:
    """Give the letterhead's font subsets tags of their own. WeasyPrint names a subset after
    the font (``/HUHQIP+Noto-Sans``), so the letter's subset of the same font would carry the
    same tag, while different subsets in one PDF must have different tags."""
    for obj in pdf.objects:
        if not isinstance(obj, pikepdf.Dictionary):
            continue
        for key in ("/BaseFont", "/FontName"):
            name = obj.get(key)
            if isinstance(name, pikepdf.Name) and (match := _SUBSET_TAG.match(str(name))):
                digest = hashlib.sha256(b"letterhead" + match[1].encode()).digest()[:6]
                tag = "".join(chr(65 + b % 26) for b in digest)
                obj[key] = pikepdf.Name(f"/{tag}+{str(name)[8:]}")


# WeasyPrint's user-agent stylesheet styles the ::marker, ::footnote-call, ::footnote-marker,
# ::note-call, ::note-marker and ::note-callback pseudo-elements of *every* element: a reply
# letter's ~35 elements had ~200 computed styles for pseudo-elements nothing draws (markers are
# drawn for list items only; documents have no footnotes), ~3 ms a letter. It also aligns the
# 16 page-margin boxes, so every page computes 16 margin-box styles though no page here prints
# in more than one (print.css aligns that one, @bottom-right of numbered pages, itself): ~1.5 ms
# a letter. The lean copy styles markers of list items only and leaves those rules out
# (templates here use neither ``float: footnote`` nor notes). The rest is WeasyPrint's own
# sheet, unchanged; tests compare every kind's pages, in pixels, with the stock sheet.
_UNIVERSAL_PSEUDO_RULES = re.compile(
    r"^::(?:footnote-call|footnote-marker|note-call|note-marker|note-callback) \{[^}]*\}\n",
    re.MULTILINE)


_MARGIN_BOX_RULES = re.compile(
    r"^  @(?:top|bottom|left|right)-[a-z-]+ +\{ text-align: [a-z]+; +vertical-align: [a-z]+ +\}\n",
    re.MULTILINE)


def lean_ua_css() -> str:
    """WeasyPrint's HTML user-agent stylesheet less its rules for every element's
    pseudo-elements and for the page-margin boxes (see above)."""
    source = weasyprint_html.UA
    lean, markers = re.subn(r"^::marker \{", "li::marker {", source, flags=re.MULTILINE)
    lean, notes = _UNIVERSAL_PSEUDO_RULES.subn("", lean)
    lean, margins = _MARGIN_BOX_RULES.subn("", lean)
    if (markers, notes, margins) != (1, 5, 16):  # a WeasyPrint upgrade changed the sheet: look again
        raise RuntimeError(f"WeasyPrint's UA stylesheet changed ({markers} ::marker, {notes} "
                           f"note, {margins} margin-box rules found); review "
                           "docflow.documents.render.lean_ua_css")
    return lean


_lean_ua: CSS | None = None


class _Element(cssselect2.ElementWrapper):
    """cssselect2's element wrapper keeping the selectors it compiled: WeasyPrint queries each
    document for the same few selectors (``style``, ``link``, ``title``, ``meta``...) and
    cssselect2 compiles them again (through ``eval``) on every query, ~0.5 ms a letter."""

    _compile = staticmethod(functools.lru_cache(maxsize=64)(cssselect2.ElementWrapper._compile))


class LeanHTML(HTML):
    """WeasyPrint's ``HTML`` with the lean user-agent stylesheet (parsed once per process), and
    ``parse`` for markup that is also well-formed XML."""

    @classmethod
    def parse(cls, markup: str, url_fetcher: URLFetcher) -> HTML:
        """The document tree of ``markup``: read by the C XML parser (expat) when it is
        well-formed XML, as the templates here are written (XHTML: ``<br/>``, ``<img .../>``),
        which is ~2 ms a letter less than WeasyPrint's pure-Python HTML5 parser; anything else
        (a character XML refuses, from the data) goes through that HTML5 parser as before."""
        try:
            root = ElementTree.fromstring(markup)
        except ElementTree.ParseError:
            return cls(string=markup, url_fetcher=url_fetcher)
        html = cls.__new__(cls)  # what HTML.__init__ sets, from this tree
        html.base_url = None
        html.url_fetcher = url_fetcher
        html.media_type = "print"
        html.wrapper_element = _Element.from_html_root(root, content_language=None)
        html.etree_element = html.wrapper_element.etree_element
        return html

    def _ua_stylesheets(self, forms=False):
        global _lean_ua
        if forms:  # documents have no form fields; keep WeasyPrint's own sheets if one does
            return super()._ua_stylesheets(forms)
        if _lean_ua is None:
            _lean_ua = CSS(string=lean_ua_css(), counter_style=CounterStyle())
        return [_lean_ua]


class OfflineFetcher(URLFetcher):
    """Refuses every URL except inline ``data:`` ones: a document never reaches the network
    or the file system, whatever its data contains."""

    def __init__(self):
        super().__init__(allowed_protocols={"data"}, fail_on_errors=False)


class BoundedCache(dict):
    """WeasyPrint's image cache (it must be a dict): the emblem stays parsed across renders,
    per-letter images do not pile up in a long-lived worker."""

    def __init__(self, limit: int = 256):
        super().__init__()
        self.limit = limit

    def __setitem__(self, key, value):
        if len(self) >= self.limit and key not in self:
            del self[next(iter(self))]
        super().__setitem__(key, value)


BLOCKS = frozenset({"p", "div", "h1", "h2", "h3", "h4", "li", "tr", "table", "section",
                    "header", "footer", "caption", "br", "ul", "ol", "dl", "dt", "dd"})
CELLS = frozenset({"td", "th"})
_SPACES = re.compile(r"\s+")  # source whitespace, newlines included, is one space in print
_BREAKS = re.compile(r" ?\x00[\x00 ]*")  # block boundaries (marked \x00) are line breaks


def printed_text(root) -> str:
    """The text a reader sees, in reading order: a line per block (paragraph, row, ``<br>``),
    cells of a row separated by spaces; ``<head>``, ``<style>`` and ``<script>`` left out."""
    parts: list[str] = []

    def walk(element):
        tag = element.tag if isinstance(element.tag, str) else ""
        if tag in ("head", "style", "script", "title"):
            return
        if tag in BLOCKS:
            parts.append("\x00")
        elif tag in CELLS:
            parts.append(" ")
        if element.text:
            parts.append(element.text)
        for child in element:
            walk(child)
            if child.tail:
                parts.append(child.tail)
        if tag in BLOCKS:
            parts.append("\x00")

    walk(root)
    return _BREAKS.sub("\n", _SPACES.sub(" ", "".join(parts))).strip()


def svg_data_uri(svg: str) -> str:
    """An SVG given as data (a chart) becomes an image, never markup inside the document."""
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")


def w3c_datetime(value: date | datetime | str) -> str:
    """The PDF creation date, as WeasyPrint reads it from ``<meta name=dcterms.created>``."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value) if "T" in value else date.fromisoformat(value)
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    return value.isoformat()


class Renderer:
    """Warm rendering state for one process (a web worker or an RQ worker)."""

    def __init__(self, template_dir: Path = TEMPLATE_DIR, *, letterhead_underlay: bool = True,
                 html_class: type[HTML] = LeanHTML, **pdf_options):
        self.template_dir = Path(template_dir)
        self.pdf_options = {**PDF_OPTIONS, **pdf_options}
        self.html_class = html_class  # tests compare LeanHTML with WeasyPrint's HTML
        self.env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(str(self.template_dir)),
            autoescape=True,  # data is text: <script> and {{ 7*7 }} print as typed
            undefined=jinja2.StrictUndefined,
            auto_reload=False,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.env.filters.update(d=format_date, svg_data_uri=svg_data_uri, month=month_name)
        # The emblem is an <img> with a data: URL rather than inline <svg>: WeasyPrint then
        # parses it once and keeps it in the image cache; inline SVG is re-parsed every time.
        self.emblem_source = (self.template_dir / EMBLEM).read_text("utf-8")
        self.env.globals.update(KK=LABELS["kk"], RU=LABELS["ru"], qr_data_url=qr_data_url,
                                emblem_src=svg_data_uri(self.emblem_source))
        self.font_config = FontConfiguration()
        self.fetcher = OfflineFetcher()
        self.stylesheet_source = (self.template_dir / STYLESHEET).read_text("utf-8")
        self.stylesheet = CSS(string=self.stylesheet_source, font_config=self.font_config,
                              url_fetcher=self.fetcher)
        self.image_cache = BoundedCache()
        # (language, letterhead) -> Letterhead; a worker serves a few bodies, the bound keeps a
        # long-lived process from piling them up.
        self.letterheads: BoundedCache = BoundedCache(limit=64)
        # A drawn-in letterhead would be untagged content in a tagged PDF: tagged and PDF/A
        # renderers lay it out in flow.
        self.underlay = letterhead_underlay and not self.pdf_options.get(
            "pdf_tags") and not self.pdf_options.get("pdf_variant")
        self._versions: dict[str, str] = {}
        # Web processes run threads (gunicorn gthread) and may render a schedule PDF in a
        # request: the shared font configuration and image cache are not made for concurrent
        # use, and rendering is CPU-bound under the GIL anyway, so renders take turns.
        self._lock = threading.Lock()

    def template_name(self, kind: str) -> str:
        if kind not in contexts.KINDS:
            raise ValueError(f"unknown document kind {kind!r}; known: {', '.join(contexts.KINDS)}")
        return f"{kind}.html"

    def _sources(self, name: str, seen: set[str]) -> None:
        """Collect a template and everything it extends, includes or imports."""
        if name in seen:
            return
        seen.add(name)
        source, _, _ = self.env.loader.get_source(self.env, name)
        for child in meta.find_referenced_templates(self.env.parse(source)):
            if child is None:
                raise ValueError(f"{name}: template names must be literal to be versioned")
            self._sources(child, seen)

    def template_version(self, kind: str) -> str:
        """SHA-256 of every template source a kind uses, the stylesheet and the emblem;
        computed once per kind (templates are not reloaded in a running worker)."""
        if kind not in self._versions:
            names: set[str] = set()
            self._sources(self.template_name(kind), names)
            if kind in UNDERLAID_KINDS:
                self._sources(LETTERHEAD, names)
            sources = [(n, self.env.loader.get_source(self.env, n)[0]) for n in names]
            sources += [(STYLESHEET, self.stylesheet_source), (EMBLEM, self.emblem_source)]
            self._versions[kind] = sources_hash(sources)
        return self._versions[kind]

    def render_html(self, kind: str, context: dict, *, language: str, title: str,
                    author: str = "docflow", letterhead_space: float | None = None) -> str:
        """The document's HTML; with ``letterhead_space`` (CSS px) an underlaid kind leaves
        that much room at the top instead of laying out its letterhead, and an empty ``.qr``
        box where the finisher draws the QR code."""
        contexts.check(kind, context)
        template = self.env.get_template(self.template_name(kind))
        return template.render(
            c=context, L=labels(language), lang=language, title=title, author=author,
            created=w3c_datetime(context["issued_at"]), letterhead_space=letterhead_space,
            qr_drawn=letterhead_space is not None,
        )

    def _layout(self, html: str):
        if issubclass(self.html_class, LeanHTML):
            parsed = self.html_class.parse(html, self.fetcher)
        else:
            parsed = self.html_class(string=html, url_fetcher=self.fetcher)
        document = parsed.render(font_config=self.font_config, stylesheets=[self.stylesheet],
                                 cache=self.image_cache, **self.pdf_options)
        return parsed, document

    def letterhead(self, letterhead: dict, language: str) -> Letterhead:
        """The body's letterhead in ``language``, laid out and written once (call with the
        lock held). Its height is read from the layout, so the letter below it sits exactly
        where it would with the letterhead in flow."""
        key = (language, canonical_json(letterhead))
        cached = self.letterheads.get(key)
        if cached is None:
            html = self.env.get_template(LETTERHEAD).render(
                c={"letterhead": letterhead}, L=labels(language), lang=language,
                title="letterhead", author="docflow", created="2000-01-01")
            parsed, document = self._layout(html)
            page = document.pages[0]._page_box
            requisites = _find_box(page, "requisites")
            bottom = requisites.position_y + requisites.margin_height()
            with pikepdf.open(io.BytesIO(document.write_pdf(**self.pdf_options))) as pdf:
                _retag_subsets(pdf)
                form = pdf.make_indirect(pdf.pages[0].as_form_xobject())
                form.write(zlib.compress(form.read_bytes(), 9), filter=pikepdf.Name.FlateDecode)
                cached = Letterhead(form=CopiedForm(pdf, form),
                                    height=round(bottom - page.content_box_y(), 4),
                                    text=printed_text(parsed.etree_element))
            self.letterheads[key] = cached
        return cached

    def render(self, kind: str, context: dict, *, language: str, title: str,
               author: str = "docflow") -> RenderedDocument:
        underlaid = self.underlay and kind in UNDERLAID_KINDS
        with self._lock:
            head = self.letterhead(context["letterhead"], language) if underlaid else None
            html = self.render_html(kind, context, language=language, title=title,
                                    author=author, letterhead_space=head and head.height)
            parsed, document = self._layout(html)
            finisher = None
            if head is not None:
                finisher = self._finisher(document, head, context["verification_url"])
            pdf = document.write_pdf(finisher=finisher, **self.pdf_options)
            text = printed_text(parsed.etree_element)
            if head is not None:
                text = f"{head.text}\n{text}"
        return RenderedDocument(
            pdf=pdf, html=html, template=f"documents/{self.template_name(kind)}",
            template_version=self.template_version(kind), data_hash=data_hash(context),
            pages=len(document.pages), language=language, text=text,
        )

    @staticmethod
    def _finisher(document, head: Letterhead, qr_data: str):
        """What WeasyPrint calls once it has made the PDF's objects, before it writes the file:
        the letterhead drawn under the first page (a form XObject painted before the page's own content,
        so readers meet it first, as in flow), the QR code of ``qr_data`` drawn over the
        ``.qr`` box (a 1-bit image, sharp at any size, as ``image-rendering: pixelated``), on
        the page the layout put that box."""
        located = next(((number, page, box) for number, page in enumerate(document.pages)
                        if (box := _find_box(page._page_box, "qr")) is not None), None)
        if located is None:  # (a long letter may carry its box over to another page)
            raise ValueError("an underlaid letter needs a .qr box for its QR code")
        number, page, box = located
        size, rows = qr_bitmap(qr_data)
        x, width = box.content_box_x() * PDF_SCALE, box.width * PDF_SCALE
        y = (page.height - box.content_box_y() - box.height) * PDF_SCALE
        height = box.height * PDF_SCALE

        def finish(_document, pdf: pydyf.PDF) -> None:
            kids = pdf.pages["Kids"]  # [number, 0, "R", number, 0, "R", ...]
            first, last = pdf.objects[kids[0]], pdf.objects[kids[3 * number]]
            resources = pdf.objects[int(first["Resources"].split()[0])]  # shared by the pages
            image = pydyf.Stream([rows], pydyf.Dictionary({
                "Type": "/XObject", "Subtype": "/Image", "Width": size, "Height": size,
                "ColorSpace": "/DeviceGray", "BitsPerComponent": 1, "Interpolate": "false",
            }), compress=True)
            pdf.add_object(image)
            # Fixed resource names: the same data still gives the same bytes.
            resources["XObject"]["Letterhead"] = head.form.add_to(pdf)
            resources["XObject"]["QR"] = image.reference
            # WeasyPrint's page stream leaves its y-flip in force: each is wrapped in q ... Q.
            def stream(data: bytes) -> bytes:
                added = pydyf.Stream([data], compress=False)
                pdf.add_object(added)
                return added.reference

            under, restore = stream(b"q /Letterhead Do Q q"), stream(b"Q")
            draw_qr = stream(b"q " + pydyf.Array((width, 0, 0, height, x, y)).data[1:-1]
                             + b" cm /QR Do Q")
            if last is first:
                first["Contents"] = pydyf.Array((under, first["Contents"], restore, draw_qr))
            else:
                first["Contents"] = pydyf.Array((under, first["Contents"], restore))
                last["Contents"] = pydyf.Array((stream(b"q"), last["Contents"], restore,
                                                draw_qr))

        return finish


_renderer: Renderer | None = None


_renderer_lock = threading.Lock()


def get_renderer() -> Renderer:
    """The process's warm renderer, built on first use (a worker pays the start-up once)."""
    global _renderer
    with _renderer_lock:
        if _renderer is None:
            _renderer = Renderer()
        return _renderer


def render_pdf(kind: str, context: dict, *, language: str, title: str,
               author: str = "docflow") -> RenderedDocument:
    """Render one document of ``kind`` in ``language`` (kk or ru) from a plain context dict.

    The context is described per kind in ``docflow.documents.contexts``.
    """
    return get_renderer().render(kind, context, language=language, title=title, author=author)


def warm_up() -> Renderer:
    """Build the renderer and render each kind once (fonts loaded, templates compiled), so the
    first real document in a fresh worker is as fast as the rest."""
    from . import samples

    renderer = get_renderer()
    for kind, context in (("reply_letter", samples.reply_letter()),
                          ("reference_brief", samples.reference_brief()),
                          ("schedule_poster", samples.schedule_poster(rows=2)),
                          ("quarterly_report", samples.quarterly_report())):
        renderer.render(kind, context, language="kk", title=kind)
    # Everything built so far (the app, fonts, templates, stylesheet) lives as long as the
    # process: out of the collector's sight, full collections no longer walk it (a few % per
    # document), and an RQ work horse forked from here does not copy it by touching it.
    gc.collect()
    gc.freeze()
    return renderer
