"""Upload checks: every accepted type built for real, every refusal, and kk/ru text extraction.

Files are generated here (WeasyPrint and pypdf for PDFs, Pillow for images, zipfile for DOCX
and ODT) rather than committed, so each case shows what makes it acceptable or not.
"""
import io
import struct
import unicodedata
import zipfile
import zlib
from hashlib import sha256
from xml.sax.saxutils import escape

import pytest
from flask import Flask
from flask_babel import Babel
from flask_babel.speaklater import LazyString
from PIL import Image
from pypdf import PdfWriter

from docflow.engine import filecheck
from docflow.engine.filecheck import (
    DOCX,
    JPEG,
    ODT,
    PDF,
    PNG,
    TXT,
    CheckedFile,
    FileRejected,
    check_upload,
    extract_text,
    safe_filename,
)

KAZAKH = "Өтініш: ә ғ қ ң ө ұ ү һ і — Әкімдікке"
RUSSIAN = "Заявление гражданина о приёме по личным вопросам"
MB = 1024 * 1024


# --- builders -------------------------------------------------------------------------------

def make_pdf(*paragraphs: str) -> bytes:
    from weasyprint import HTML

    body = "".join(f"<p>{escape(p)}</p>" for p in paragraphs)
    return HTML(string=f"<html><body>{body}</body></html>").write_pdf()


def make_image(fmt: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(out, fmt)
    return out.getvalue()


CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-'
    '{kind}"/></Types>')
DOCX_MAIN = "officedocument.wordprocessingml.document.main+xml"


def docx_xml(*paragraphs: str) -> str:
    body = "".join(f'<w:p><w:r><w:t xml:space="preserve">{escape(p)}</w:t></w:r></w:p>'
                   for p in paragraphs)
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document xmlns:w='
            '"http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
            f"<w:body>{body}</w:body></w:document>")


def make_docx(*paragraphs: str, document: str | None = None, kind: str = DOCX_MAIN) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", CONTENT_TYPES.format(kind=kind))
        zf.writestr("word/document.xml", document or docx_xml(*paragraphs))
    return out.getvalue()


def make_odt(*paragraphs: str, mimetype: str = "application/vnd.oasis.opendocument.text"):
    body = "".join(f"<text:p>{escape(p)}</text:p>" for p in paragraphs)
    content = ('<?xml version="1.0" encoding="UTF-8"?><office:document-content '
               'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
               'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0">'
               f"<office:body><office:text>{body}</office:text></office:body>"
               "</office:document-content>")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("mimetype", mimetype, compress_type=zipfile.ZIP_STORED)
        zf.writestr("content.xml", content)
    return out.getvalue()


def make_txt(*paragraphs: str) -> bytes:
    return "\n".join(paragraphs).encode("utf-8")


def deflate(data: bytes) -> bytes:
    compressor = zlib.compressobj(6, zlib.DEFLATED, -15)
    return compressor.compress(data) + compressor.flush()


def zeros_docx(size: int, declare: int | None = None) -> bytes:
    """A DOCX whose document.xml is `size` bytes of zeros in a few hundred KB; with `declare`,
    its directory entry and local header lie that it is only `declare` bytes.

    Built by hand (zipfile cannot write a lie): each MiB of zeros is deflated once and the
    block repeated, which is a valid deflate stream because a full flush resets the window."""
    compressor = zlib.compressobj(6, zlib.DEFLATED, -15)
    block = compressor.compress(bytes(MB)) + compressor.flush(zlib.Z_FULL_FLUSH)
    stream = block * (size // MB) + compressor.flush()
    crc = 0
    for _ in range(size // MB):
        crc = zlib.crc32(bytes(MB), crc)
    content_types = CONTENT_TYPES.format(kind=DOCX_MAIN).encode()
    return raw_zip([
        ("[Content_Types].xml", deflate(content_types), zlib.crc32(content_types),
         len(content_types)),
        ("word/document.xml", stream, crc, size if declare is None else declare),
    ])


def raw_zip(members) -> bytes:
    """A zip from (name, deflated bytes, crc, declared size) as written, true or not."""
    out, central = bytearray(), bytearray()
    for name, stream, crc, declared in members:
        name = name.encode()
        fields = struct.pack("<HHHHHIIIH", 20, 0, 8, 0, 0x21, crc, len(stream), declared,
                             len(name))
        central += b"PK\x01\x02" + struct.pack("<H", 20) + fields + \
            struct.pack("<HHHHII", 0, 0, 0, 0, 0, len(out)) + name
        out += b"PK\x03\x04" + fields + struct.pack("<H", 0) + name + stream
    return bytes(out + central + b"PK\x05\x06" + struct.pack(
        "<HHHHIIH", 0, 0, len(members), len(members), len(central), len(out), 0))


@pytest.fixture(scope="module")
def bomb():
    return zeros_docx(200 * MB)


@pytest.fixture(scope="module")
def lying_bomb():
    return zeros_docx(200 * MB, declare=1000)


SAMPLES = {
    "pdf": lambda: make_pdf(KAZAKH, RUSSIAN),
    "png": lambda: make_image("PNG"),
    "jpeg": lambda: make_image("JPEG"),
    "docx": lambda: make_docx(KAZAKH, RUSSIAN),
    "odt": lambda: make_odt(KAZAKH, RUSSIAN),
    "txt": lambda: make_txt(KAZAKH, RUSSIAN),
}


@pytest.fixture(scope="module")
def samples():
    return {kind: build() for kind, build in SAMPLES.items()}


# --- accepted -------------------------------------------------------------------------------

@pytest.mark.parametrize("kind, filename, media_type, extension, safe_name", [
    ("pdf", "Өтініш №12.pdf", PDF, "pdf", "Өтініш №12.pdf"),
    ("pdf", "SCAN.PDF", PDF, "pdf", "SCAN.pdf"),
    ("png", "фото.png", PNG, "png", "фото.png"),
    ("jpeg", "photo.JPG", JPEG, "jpg", "photo.jpg"),
    ("jpeg", "photo.jpeg", JPEG, "jpeg", "photo.jpeg"),
    ("docx", "Анықтама.docx", DOCX, "docx", "Анықтама.docx"),
    ("odt", "хат.odt", ODT, "odt", "хат.odt"),
    ("txt", "notes.txt", TXT, "txt", "notes.txt"),
    ("pdf", "Протокол 12.03.2024", PDF, "pdf", "Протокол 12.03.2024.pdf"),  # a date, no type
])
def test_accepted_types(samples, kind, filename, media_type, extension, safe_name):
    data = samples[kind]
    checked = check_upload(filename, data)
    assert checked == CheckedFile(data=data, sha256=sha256(data).hexdigest(), size=len(data),
                                  media_type=media_type, extension=extension,
                                  safe_name=safe_name)


# --- refused --------------------------------------------------------------------------------

EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48 + \
    b"PE\x00\x00" + b"\x00" * 200
HTML = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'


def encrypted_pdf() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(200, 200)
    writer.encrypt("secret", algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


REFUSALS = {
    "exe named pdf": ("invoice.pdf", lambda s: EXE, "type_mismatch"),
    "html named pdf": ("invoice.pdf", lambda s: HTML, "type_mismatch"),
    "svg named pdf": ("invoice.pdf", lambda s: SVG, "type_mismatch"),
    "pdf named docx": ("letter.docx", lambda s: s["pdf"], "type_mismatch"),
    "docx named pdf": ("letter.pdf", lambda s: s["docx"], "type_mismatch"),
    "png named jpg": ("photo.jpg", lambda s: s["png"], "type_mismatch"),
    "exe as exe": ("setup.exe", lambda s: EXE, "type_not_allowed"),
    "html as html": ("page.html", lambda s: HTML, "type_not_allowed"),
    "plain zip": ("archive.zip", lambda s: _zip({"a.txt": b"hello"}), "type_not_allowed"),
    "xlsx named docx": ("table.docx", lambda s: make_docx("x", kind="officedocument."
                        "spreadsheetml.sheet.main+xml"), "type_mismatch"),
    "docm named docx": ("macro.docx", lambda s: make_docx("x", kind="ms-word.document."
                        "macroEnabled.main+xml"), "type_mismatch"),
    "odt with another mimetype": ("sheet.odt", lambda s: make_odt(
        "x", mimetype="application/vnd.oasis.opendocument.spreadsheet"), "type_mismatch"),
    "empty": ("empty.pdf", lambda s: b"", "empty"),
    "truncated pdf": ("cut.pdf", lambda s: s["pdf"][: len(s["pdf"]) // 2], "broken"),
    "pdf without its end": ("cut.pdf", lambda s: s["pdf"][:-40], "broken"),
    "pdf header only": ("fake.pdf", lambda s: b"%PDF-1.7\n%%EOF\n", "broken"),
    "encrypted pdf": ("locked.pdf", lambda s: encrypted_pdf(), "encrypted"),
    "truncated png": ("cut.png", lambda s: s["png"][:-30], "broken"),
    "truncated jpeg": ("cut.jpg", lambda s: s["jpeg"][: len(s["jpeg"]) // 2], "broken"),
    "truncated docx": ("cut.docx", lambda s: s["docx"][:-60], "broken"),
    "docx with bad xml": ("bad.docx", lambda s: make_docx(document="<w:document>"), "broken"),
    "docx with entities": ("lol.docx", lambda s: make_docx(
        document='<!DOCTYPE d [<!ENTITY a "aaaa">]><d>&a;</d>'), "broken"),
    "cp1251 text": ("письмо.txt", lambda s: RUSSIAN.encode("cp1251"), "encoding"),
    "utf-16 text": ("письмо.txt", lambda s: RUSSIAN.encode("utf-16"), "broken"),
}


def _zip(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return out.getvalue()


@pytest.mark.parametrize("filename, build, code", REFUSALS.values(), ids=REFUSALS.keys())
def test_refused(samples, filename, build, code):
    with pytest.raises(FileRejected) as refused:
        check_upload(filename, build(samples))
    assert refused.value.code == code
    assert refused.value.field == "file"
    assert isinstance(refused.value, ValueError)
    assert len(str(refused.value)) > 10  # a sentence for the person, not a code


def test_zip_bomb_refused(bomb):
    assert len(bomb) < MB  # 200 MB inside well under 1 MB: that is what makes it a bomb
    with pytest.raises(FileRejected) as refused:
        check_upload("bomb.docx", bomb)
    assert refused.value.code == "zip_bomb"
    assert extract_text(DOCX, bomb) == ""


def test_lying_zip_is_caught_while_reading_not_from_its_directory(lying_bomb):
    assert len(lying_bomb) < MB
    declared = zipfile.ZipFile(io.BytesIO(lying_bomb)).getinfo("word/document.xml")
    assert declared.file_size == 1000  # the directory passes every declared-size limit
    assert declared.file_size < filecheck.ZIP_RATIO_FROM
    with pytest.raises(FileRejected) as refused:
        check_upload("bomb.docx", lying_bomb)
    assert refused.value.code == "zip_bomb"
    assert extract_text(DOCX, lying_bomb) == ""


def test_bomb_is_refused_from_its_directory_before_any_reading(bomb, monkeypatch):
    def no_reading(*args):
        raise AssertionError("a member was decompressed")
    monkeypatch.setattr(filecheck, "_read_member", no_reading)
    with pytest.raises(FileRejected) as refused:
        check_upload("bomb.docx", bomb)
    assert refused.value.code == "zip_bomb"


def test_a_lie_within_the_budget_is_caught_by_the_size_check():
    liar = zeros_docx(2 * MB, declare=1000)  # 2 MiB in all: far below ZIP_MAX_TOTAL
    with pytest.raises(FileRejected) as refused:
        check_upload("liar.docx", liar)
    assert refused.value.code == "zip_bomb"


def test_too_many_members():
    members = {"[Content_Types].xml": CONTENT_TYPES.format(kind=DOCX_MAIN).encode(),
               "word/document.xml": docx_xml("x").encode()}
    members |= {f"word/media/{i}.xml": b"" for i in range(filecheck.ZIP_MAX_MEMBERS)}
    with pytest.raises(FileRejected) as refused:
        check_upload("many.docx", _zip(members))
    assert refused.value.code == "zip_bomb"


@pytest.mark.parametrize("max_bytes, accepted", [(None, True), (10, False), (4096, True)])
def test_size_limit_argument(max_bytes, accepted):
    data = make_txt("x" * 100)
    if accepted:
        assert check_upload("a.txt", data, max_bytes=max_bytes).size == 100
    else:
        with pytest.raises(FileRejected) as refused:
            check_upload("a.txt", data, max_bytes=max_bytes)
        assert refused.value.code == "too_large"


def test_default_size_limit_is_20_mib():
    assert check_upload("a.txt", b"a" * (20 * MB)).size == 20 * MB
    with pytest.raises(FileRejected) as refused:
        check_upload("a.txt", b"a" * (20 * MB + 1))
    assert refused.value.code == "too_large"
    assert "20.0 MB" in str(refused.value)


@pytest.fixture
def bare_app():
    """A bare Flask app: filecheck reads only `current_app.config`, nothing of docflow's."""
    app = Flask(__name__)
    Babel(app)
    with app.app_context():
        yield app


def test_limits_and_types_come_from_the_app_config(bare_app, samples):
    bare_app.config["MAX_UPLOAD_BYTES"] = 1000
    with pytest.raises(FileRejected) as refused:
        check_upload("a.pdf", samples["pdf"])
    assert refused.value.code == "too_large"
    bare_app.config["MAX_UPLOAD_BYTES"] = 10 * MB
    bare_app.config["UPLOAD_ALLOWED_TYPES"] = {"pdf", "image/png"}
    assert check_upload("a.pdf", samples["pdf"]).media_type == PDF
    assert check_upload("a.png", samples["png"]).media_type == PNG
    with pytest.raises(FileRejected) as refused:
        check_upload("a.txt", samples["txt"])
    assert refused.value.code == "type_not_allowed"
    assert "PDF, PNG" in str(refused.value)


def test_allowed_argument_narrows_the_list(samples):
    with pytest.raises(FileRejected) as refused:
        check_upload("a.docx", samples["docx"], allowed={"pdf"})
    assert refused.value.code == "type_not_allowed"
    assert check_upload("a.docx", samples["docx"], allowed={DOCX}).media_type == DOCX


def test_unknown_allowed_type_is_a_configuration_error(samples):
    with pytest.raises(ValueError, match="exe"):
        check_upload("a.pdf", samples["pdf"], allowed={"pdf", "exe"})


def test_refusal_messages_are_lazy_and_readable():
    """Translated when rendered (in the request's language), readable outside any app."""
    with pytest.raises(FileRejected) as refused:
        check_upload("empty.pdf", b"")
    assert isinstance(refused.value.message, LazyString)
    assert str(refused.value) == "The file is empty."
    with pytest.raises(FileRejected) as refused:
        check_upload("x.pdf", EXE)
    assert str(refused.value).startswith("The file is named .pdf but its content")


# --- names ----------------------------------------------------------------------------------

@pytest.mark.parametrize("filename, expected", [
    ("../../etc/passwd.pdf", "passwd.pdf"),
    ("C:\\Windows\\evil.pdf", "evil.pdf"),
    ("..\\..\\boot.ini.pdf", "boot.ini.pdf"),
    ("/abs/path/ok.pdf", "ok.pdf"),
    ("..", "file.pdf"),
    ("", "file.pdf"),
    (".pdf", "pdf.pdf"),  # a hidden name is not an extension
    (".hidden.pdf", "hidden.pdf"),
    ("a\x00b.pdf", "ab.pdf"),
    ("line\nbreak\t.pdf", "linebreak.pdf"),
    ("report\u202efdp.exe.pdf", "reportfdp.exe.pdf"),  # right-to-left override
    ("CON.pdf", "_CON.pdf"),
    ("nul.tar.pdf", "_nul.tar.pdf"),
    ("com1 .pdf", "_com1.pdf"),
    ('what?<is>"this"|*.pdf', "whatisthis.pdf"),
    ("  spaced   out  .pdf", "spaced out.pdf"),
    ("trailing dots....", "trailing dots.pdf"),
    ("Қазақ тілі әліпбиі.PDF", "Қазақ тілі әліпбиі.pdf"),
    ("Заявление (копия).pdf", "Заявление (копия).pdf"),
])
def test_safe_filename(filename, expected):
    assert safe_filename(filename, "pdf") == expected


def test_safe_filename_normalises_to_nfc():
    decomposed = unicodedata.normalize("NFD", "Қайта йод.pdf")
    assert decomposed != "Қайта йод.pdf"
    assert safe_filename(decomposed, "pdf") == "Қайта йод.pdf"


@pytest.mark.parametrize("letter", ["ә", "ж", "a", "中"])
def test_safe_filename_is_bounded_in_bytes_without_breaking_letters(letter):
    name = safe_filename(letter * 500 + ".pdf", "pdf")
    assert name.endswith(".pdf")
    assert len(name.encode()) <= 200
    assert set(name[:-4]) == {letter}


@pytest.mark.parametrize("filename", ["../../etc/passwd.pdf", "C:\\Windows\\evil.pdf"])
def test_upload_under_a_traversal_name_gets_a_safe_name(samples, filename):
    checked = check_upload(filename, samples["pdf"])
    assert "/" not in checked.safe_name and "\\" not in checked.safe_name
    assert not checked.safe_name.startswith(".")


# --- text -----------------------------------------------------------------------------------

@pytest.mark.parametrize("kind, media_type", [
    ("pdf", PDF), ("docx", DOCX), ("odt", ODT), ("txt", TXT)])
def test_extract_kazakh_and_russian_text(samples, kind, media_type):
    text = extract_text(media_type, samples[kind])
    assert KAZAKH in text
    assert RUSSIAN in text
    assert text.index(KAZAKH) < text.index(RUSSIAN)


def test_extract_keeps_paragraphs_apart():
    assert extract_text(DOCX, make_docx("бір", "екі")).split("\n") == ["бір", "екі"]
    assert extract_text(ODT, make_odt("один", "два")).split("\n") == ["один", "два"]


def test_extract_odt_spaces_tabs_and_spans():
    content = ('<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:'
               'xmlns:office:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0">'
               '<office:body><office:text><text:p>қ<text:s text:c="3"/>ң<text:tab/>'
               '<text:span>ү</text:span>һ</text:p></office:text></office:body>'
               '</office:document-content>')
    data = _zip({"content.xml": content.encode()})
    assert extract_text(ODT, data) == "қ   ң\tүһ"


@pytest.mark.parametrize("kind, media_type", [
    ("pdf", PDF), ("docx", DOCX), ("odt", ODT), ("txt", TXT)])
def test_extract_is_bounded(samples, kind, media_type):
    assert len(extract_text(media_type, samples[kind], max_chars=10)) <= 10


def test_extract_strips_the_utf8_bom():
    assert extract_text(TXT, b"\xef\xbb\xbf" + make_txt(KAZAKH)) == KAZAKH


@pytest.mark.parametrize("media_type, data", [
    (PDF, b"%PDF-1.7 garbage"),
    (PDF, b""),
    (DOCX, b"PK\x03\x04 not really"),
    (DOCX, _zip({"other.xml": b"<a/>"})),
    (ODT, _zip({"content.xml": b"<unclosed"})),
    (TXT, b"\xff\xfe\x00broken"),
    (PNG, b"\x89PNG"),
    ("application/x-unknown", b"anything"),
])
def test_extract_never_raises(media_type, data):
    assert isinstance(extract_text(media_type, data), str)


def test_extract_from_a_broken_txt_keeps_what_it_can():
    assert extract_text(TXT, "қазақ".encode() + b"\xff") == "қазақ\ufffd"
