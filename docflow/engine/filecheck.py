"""Upload safety: what a file really is, whether we accept it, and its text for search.

Every file that enters the case file of an appeal passes `check_upload()` first. The rules:

- The media type is **sniffed from the content** (puremagic for the magic numbers, our own
  inspection for zip containers and plain text); the name is never trusted. A name whose
  extension disagrees with the content (an EXE or an HTML page called ``.pdf``) is refused, so
  what an official downloads opens in the program the name promises.
- Only an allow-list of types is accepted (PDF, PNG, JPEG, DOCX, ODT, TXT by default;
  ``UPLOAD_ALLOWED_TYPES`` in the config or ``allowed=`` narrows or widens it).
- Each type is checked deeply enough to be sure it opens: PDFs must parse with pypdf, images
  must decode with Pillow, DOCX/ODT must be the right zip container, and zip containers are
  refused when they would expand beyond fixed limits (zip bombs). Limits are checked on the zip
  directory first and again while actually decompressing, because the directory can lie.
- Text files must be UTF-8. Windows-1251 is refused on purpose: it cannot hold the Kazakh
  letters ә ғ қ ң ө ұ ү һ, every byte string "decodes" as cp1251 so it cannot be verified, and
  the stored file must stay byte-for-byte what the applicant handed in (no transcoding).
- The stored name is made safe (no directories, no control or bidi characters, no reserved
  Windows names, NFC, bounded length) but keeps Kazakh and Cyrillic letters.

Why puremagic: pure Python (no libmagic to install on Windows hosts or containers), actively
maintained, and it recognises the types we must *refuse* under a false name (PE executables,
HTML, SVG), not only the ones we accept. `filetype` was the alternative but has had no release
since 2022 and does not know HTML or SVG.
"""
from __future__ import annotations

import copy
import io
import logging
import re
import unicodedata
import warnings
import zipfile
from dataclasses import dataclass
from hashlib import sha256
from xml.etree import ElementTree

import puremagic
from flask import current_app, has_app_context
from flask_babel import lazy_gettext as _l
from PIL import Image
from pypdf import PdfReader
from pypdf.errors import PyPdfError

PDF = "application/pdf"
PNG = "image/png"
JPEG = "image/jpeg"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
ODT = "application/vnd.oasis.opendocument.text"
TXT = "text/plain"
ZIP = "application/zip"
BINARY = "application/octet-stream"

# The extensions a name may carry for each type; the first is the one we give a bare name.
EXTENSIONS: dict[str, tuple[str, ...]] = {
    PDF: ("pdf",),
    PNG: ("png",),
    JPEG: ("jpg", "jpeg", "jpe", "jfif"),
    DOCX: ("docx",),
    ODT: ("odt",),
    TXT: ("txt",),
}
DEFAULT_ALLOWED = frozenset(EXTENSIONS)
DEFAULT_MAX_BYTES = 20 * 1024 * 1024

# Zip containers (DOCX, ODT). A real 20 MB document expands to well under 100 MiB and keeps a
# few hundred members; deflate of XML reaches ~20:1, of zeros ~1000:1.
ZIP_MAX_MEMBERS = 1000
ZIP_MAX_TOTAL = 100 * 1024 * 1024
ZIP_MAX_RATIO = 100
ZIP_RATIO_FROM = 1024 * 1024  # small members may compress very well; only big ones are judged
_READ_CHUNK = 1024 * 1024
IMAGE_MAX_PIXELS = 120_000_000  # an A3 page scanned at 600 dpi is ~70 Mpx

_ODT_MIMETYPE = b"application/vnd.oasis.opendocument.text"
_DOCX_MAIN = b"wordprocessingml.document.main+xml"
_MARKUP = {"text/html", "image/svg+xml", "application/xml", "text/xml",
           "application/xhtml+xml", "text/javascript", "application/javascript"}
_EXTENSION_RE = re.compile(r"[a-z0-9]{1,8}")
_RESERVED_WINDOWS = {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$",
                     *(f"COM{i}" for i in range(10)), *(f"LPT{i}" for i in range(10))}
_FORBIDDEN_CHARS = set('<>:"/\\|?*')

log = logging.getLogger(__name__)


class FileRejected(ValueError):
    """An upload we refuse. `code` is for programs, `str(exc)` for people (translated)."""

    field = "file"

    def __init__(self, code: str, message):
        super().__init__(message)
        self.code = code
        self.message = message

    def __str__(self) -> str:
        return str(self.message)


@dataclass(frozen=True)
class CheckedFile:
    """A file that passed every check, with what the engine stores about it."""

    data: bytes
    sha256: str
    size: int
    media_type: str
    extension: str  # lower case, no dot: "pdf"
    safe_name: str


# --- the entry point ------------------------------------------------------------------------

def check_upload(filename: str, data: bytes, *, allowed: set[str] | None = None,
                 max_bytes: int | None = None) -> CheckedFile:
    """Accept `data` uploaded under `filename`, or raise FileRejected saying why."""
    data = bytes(data)
    limit = max_bytes if max_bytes is not None else _config("MAX_UPLOAD_BYTES", DEFAULT_MAX_BYTES)
    allowed_types = normalise_allowed(
        allowed if allowed is not None else _config("UPLOAD_ALLOWED_TYPES", DEFAULT_ALLOWED))
    if not data:
        raise FileRejected("empty", _l("The file is empty."))
    if len(data) > limit:
        raise FileRejected("too_large", _l("The file is %(size)s; the limit is %(limit)s.",
                                           size=_megabytes(len(data)), limit=_megabytes(limit)))

    media_type = sniff(data)
    claimed = name_extension(filename)
    claimed_type = media_type_for_extension(claimed) if claimed else None
    if media_type not in allowed_types:
        if claimed_type in allowed_types:
            raise _mismatch(claimed)
        raise FileRejected("type_not_allowed", _l(
            "This type of file is not accepted. Accepted: %(types)s.",
            types=", ".join(sorted(EXTENSIONS[t][0].upper() for t in allowed_types))))
    if claimed and claimed not in EXTENSIONS[media_type]:
        raise _mismatch(claimed)

    VALIDATORS[media_type](data)
    extension = claimed or EXTENSIONS[media_type][0]
    return CheckedFile(data=data, sha256=sha256(data).hexdigest(), size=len(data),
                       media_type=media_type, extension=extension,
                       safe_name=safe_filename(filename, extension))


def _config(key: str, default):
    if has_app_context():
        value = current_app.config.get(key)
        if value is not None:
            return value
    return default


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"


def _mismatch(claimed: str) -> FileRejected:
    return FileRejected("type_mismatch", _l(
        "The file is named .%(extension)s but its content is something else. "
        "Save it again in that format and upload it again.", extension=claimed))


def normalise_allowed(allowed) -> frozenset[str]:
    """Media types from a config value that may name types ("application/pdf") or extensions
    ("pdf"). An unknown entry is a configuration error, raised loudly, not silently ignored."""
    result = set()
    for entry in allowed:
        entry = entry.strip().lower().lstrip(".")
        media_type = entry if entry in EXTENSIONS else media_type_for_extension(entry)
        if media_type is None:
            raise ValueError(f"UPLOAD_ALLOWED_TYPES: {entry!r} is not a type docflow can check")
        result.add(media_type)
    return frozenset(result)


def media_type_for_extension(extension: str) -> str | None:
    for media_type, extensions in EXTENSIONS.items():
        if extension in extensions:
            return media_type
    return None


# --- names ----------------------------------------------------------------------------------

def name_extension(filename: str) -> str:
    """The extension a name claims, lower case without the dot; "" when it claims none.

    "Протокол 12.03.2024" claims none (a date, not a type), so it is not a mismatch."""
    base = _last_component(unicodedata.normalize("NFC", filename or "")).strip(" .")
    stem, dot, ext = base.rpartition(".")
    ext = ext.lower()
    if dot and stem and _EXTENSION_RE.fullmatch(ext) and not ext.isdigit():
        return ext
    return ""


def _last_component(name: str) -> str:
    return name.replace("\\", "/").rsplit("/", 1)[-1]


def safe_filename(filename: str, extension: str, *, max_bytes: int = 200) -> str:
    """A name safe to store and to send back in Content-Disposition, ending in `.extension`.

    Keeps letters of any script (Kazakh, Cyrillic), drops directories (`../../etc/passwd.pdf`,
    `C:\\Windows\\evil.pdf`), control and bidi-override characters (which can disguise
    `fdp.exe` as `exe.pdf`), characters Windows forbids, leading dots (hidden files) and
    reserved device names (CON, NUL, COM1...). Bounded in UTF-8 bytes so every file system
    takes it; never empty."""
    name = _last_component(unicodedata.normalize("NFC", filename or ""))
    name = "".join(ch for ch in name
                   if unicodedata.category(ch)[0] != "C" and ch not in _FORBIDDEN_CHARS)
    name = " ".join(name.split()).strip(" .")
    stem = name[: -len(extension) - 1] if name_extension(name) == extension else name
    stem = stem.strip(" .")
    if stem.split(".")[0].strip().upper() in _RESERVED_WINDOWS:
        stem = "_" + stem
    budget = max_bytes - len(extension.encode()) - 1
    stem = stem.encode()[:budget].decode("utf-8", "ignore").rstrip(" .") or "file"
    return f"{stem}.{extension}"


# --- sniffing -------------------------------------------------------------------------------

def sniff(data: bytes) -> str:
    """The media type of `data`, from its content only."""
    if data.startswith(b"PK\x03\x04"):
        return _sniff_zip(data)
    try:
        found = puremagic.from_string(data, mime=True)
    except puremagic.PureError:
        found = ""
    if found in (PDF, PNG, JPEG) or found in _MARKUP:
        return found
    if found and not found.startswith("text/"):
        return found
    return TXT if _looks_like_text(data) else (found or BINARY)


def _looks_like_text(data: bytes) -> bool:
    """No NUL and almost no other control bytes: text in *some* encoding (UTF-8 checked later)."""
    sample = data[:65536]
    if b"\x00" in sample:
        return False
    controls = sum(1 for b in sample if b < 32 and b not in (9, 10, 12, 13))
    return controls * 100 <= len(sample)


def _sniff_zip(data: bytes) -> str:
    with _open_zip(data) as zf:
        names = set(zf.namelist())
        if "mimetype" in names and "content.xml" in names:
            if _read_member(zf, zf.getinfo("mimetype"), 1024).strip() == _ODT_MIMETYPE:
                return ODT
        if "[Content_Types].xml" in names and "word/document.xml" in names:
            types = _read_member(zf, zf.getinfo("[Content_Types].xml"), 1024 * 1024)
            # The main part's content type tells DOCX from DOCM (macros), XLSX and PPTX.
            if _DOCX_MAIN in types and b"macroEnabled" not in types:
                return DOCX
    return ZIP


# --- zip containers -------------------------------------------------------------------------

def _open_zip(data: bytes) -> zipfile.ZipFile:
    """Open a zip, refusing it from its directory alone when it declares too much."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, OSError, EOFError) as exc:
        raise _broken() from exc
    infos = zf.infolist()
    if len(infos) > ZIP_MAX_MEMBERS:
        raise _bomb()
    if sum(info.file_size for info in infos) > ZIP_MAX_TOTAL:
        raise _bomb()
    for info in infos:
        if info.file_size > ZIP_RATIO_FROM and \
                info.file_size > ZIP_MAX_RATIO * max(info.compress_size, 1):
            raise _bomb()
        if info.flag_bits & 0x1 or info.compress_type not in (zipfile.ZIP_STORED,
                                                               zipfile.ZIP_DEFLATED):
            raise _broken()  # encrypted, or a compression no office program writes
    return zf


def _read_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, budget: int, *,
                 keep: bool = True) -> bytes:
    """A member's bytes, counted as they are decompressed: we never trust the declared size.

    zipfile stops at the declared size, so the member is opened with that size raised to our
    budget; a member that then yields more than it declared, or more than the budget, is a
    bomb whatever its directory entry says. The slack keeps zipfile from reaching its own
    end (and a CRC error) before we see the budget crossed: it buffers ahead of our reads.
    With `keep=False` the bytes are only counted (b"" is returned), to bound memory."""
    unbounded = copy.copy(info)
    unbounded.file_size = budget + _READ_CHUNK * 4
    out, count = bytearray(), 0
    try:
        with zf.open(unbounded) as member:
            while chunk := member.read(_READ_CHUNK):
                count += len(chunk)
                if count > budget:
                    raise _bomb()
                if keep:
                    out += chunk
    except FileRejected:
        raise
    except (zipfile.BadZipFile, RuntimeError, ValueError, OSError, EOFError,
            NotImplementedError) as exc:
        raise _broken() from exc
    if count != info.file_size:
        raise _bomb()
    return bytes(out)


def _check_office(main_member: str):
    """Decompress every member within ZIP_MAX_TOTAL bytes in all; the main XML must parse."""
    def check(data: bytes) -> None:
        left = ZIP_MAX_TOTAL
        with _open_zip(data) as zf:
            for info in zf.infolist():
                keep = info.filename == main_member
                content = _read_member(zf, info, left, keep=keep)
                left -= info.file_size
                if keep:
                    _parse_xml(content)
    return check


def _parse_xml(xml: bytes) -> ElementTree.Element:
    # Office formats never declare a DTD; refusing one rules out entity-expansion attacks.
    if b"<!DOCTYPE" in xml or b"<!ENTITY" in xml:
        raise _broken()
    try:
        return ElementTree.fromstring(xml)
    except ElementTree.ParseError as exc:
        raise _broken() from exc


def _bomb() -> FileRejected:
    return FileRejected("zip_bomb", _l(
        "The document expands to far more data than a real document does and was refused."))


def _broken() -> FileRejected:
    return FileRejected("broken", _l(
        "The file is damaged or incomplete and cannot be opened. Save it again and upload it."))


# --- the other types ------------------------------------------------------------------------

def _check_pdf(data: bytes) -> None:
    # A PDF ends with %%EOF; a truncated upload does not, and pypdf would try to repair it.
    if b"%%EOF" not in data[-2048:]:
        raise _broken()
    try:
        with _quiet_pypdf():
            reader = PdfReader(io.BytesIO(data), strict=False)
            if reader.is_encrypted and not reader.decrypt(""):
                raise FileRejected("encrypted", _l(
                    "The PDF is protected by a password. Upload it without the password."))
            if len(reader.pages) < 1:
                raise _broken()
            for page in reader.pages:
                page.mediabox  # noqa: B018 - resolves every page object: a missing one raises
    except FileRejected:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, OSError,
            RecursionError, NotImplementedError) as exc:
        raise _broken() from exc


def _check_image(expected_format: str):
    def check(data: bytes) -> None:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", Image.DecompressionBombWarning)
                with Image.open(io.BytesIO(data)) as image:
                    if image.format != expected_format:
                        raise _broken()
                    if image.width * image.height > IMAGE_MAX_PIXELS:
                        raise FileRejected("too_large", _l(
                            "The image has too many pixels. Scan it at a lower resolution."))
                    image.verify()
                with Image.open(io.BytesIO(data)) as image:
                    image.draft("L", (max(1, image.width // 8), max(1, image.height // 8)))
                    image.load()  # decodes the whole stream at reduced scale: catches truncation
        except FileRejected:
            raise
        except Image.DecompressionBombError as exc:
            raise FileRejected("too_large", _l(
                "The image has too many pixels. Scan it at a lower resolution.")) from exc
        except (OSError, ValueError, SyntaxError, EOFError) as exc:
            raise _broken() from exc
    return check


def _check_text(data: bytes) -> None:
    if b"\x00" in data:
        raise _broken()
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise FileRejected("encoding", _l(
            "The text file is not in UTF-8. Save it as UTF-8 and upload it again.")) from exc


VALIDATORS = {
    PDF: _check_pdf,
    PNG: _check_image("PNG"),
    JPEG: _check_image("JPEG"),
    DOCX: _check_office("word/document.xml"),
    ODT: _check_office("content.xml"),
    TXT: _check_text,
}


class _quiet_pypdf:
    """pypdf logs every repair it makes; on hostile uploads that is noise, not news."""

    def __enter__(self):
        self._logger = logging.getLogger("pypdf")
        self._level = self._logger.level
        self._logger.setLevel(logging.ERROR)

    def __exit__(self, *exc):
        self._logger.setLevel(self._level)


# --- text for the catalog -------------------------------------------------------------------

def extract_text(media_type: str, data: bytes, *, max_chars: int = 200_000) -> str:
    """The text of a document for full-text search, at most `max_chars` characters.

    Never raises: a file that half-parses gives the text we could get, a file that does not
    parse gives "". Images give "" (no OCR)."""
    parts: list[str] = []
    try:
        EXTRACTORS.get(media_type, lambda data, parts, max_chars: None)(data, parts, max_chars)
    except Exception:  # noqa: BLE001 - odd input must never break indexing
        log.info("text extraction of a %s stopped early", media_type, exc_info=True)
    return "".join(parts)[:max_chars].strip()


def _pdf_text(data: bytes, parts: list[str], max_chars: int) -> None:
    with _quiet_pypdf():
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            reader.decrypt("")
        for page in reader.pages:
            try:
                parts.append(page.extract_text() + "\n")
            except Exception:  # noqa: BLE001 - one bad page must not lose the others
                continue
            if sum(map(len, parts)) >= max_chars:
                return


def _text_text(data: bytes, parts: list[str], max_chars: int) -> None:
    parts.append(data[: max_chars * 4].decode("utf-8-sig", "replace").replace("\x00", ""))


def _xml_text(member: str, collect):
    def extract(data: bytes, parts: list[str], max_chars: int) -> None:
        with _open_zip(data) as zf:
            xml = _read_member(zf, zf.getinfo(member), ZIP_MAX_TOTAL)
        collect(_parse_xml(xml), parts)
    return extract


_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_TEXT = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}"
_OFFICE = "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}"


def _docx_collect(root: ElementTree.Element, parts: list[str]) -> None:
    def walk(element):
        tag = element.tag
        if tag == _W + "t":
            parts.append(element.text or "")
        elif tag == _W + "tab":
            parts.append("\t")
        elif tag in (_W + "br", _W + "cr"):
            parts.append("\n")
        for child in element:
            walk(child)
        if tag == _W + "p":
            parts.append("\n")
    walk(root)


def _odt_collect(root: ElementTree.Element, parts: list[str]) -> None:
    def walk(element):
        tag = element.tag
        if tag == _TEXT + "s":
            parts.append(" " * int(element.get(_TEXT + "c", "1") or 1))
        elif tag == _TEXT + "tab":
            parts.append("\t")
        elif tag == _TEXT + "line-break":
            parts.append("\n")
        elif element.text:
            parts.append(element.text)
        for child in element:
            walk(child)
            if child.tail:
                parts.append(child.tail)
        if tag in (_TEXT + "p", _TEXT + "h"):
            parts.append("\n")
    body = root.find(_OFFICE + "body")
    walk(body if body is not None else root)


EXTRACTORS = {
    PDF: _pdf_text,
    TXT: _text_text,
    DOCX: _xml_text("word/document.xml", _docx_collect),
    ODT: _xml_text("content.xml", _odt_collect),
}
