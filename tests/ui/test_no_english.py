"""Every page in Kazakh and in Russian has no English left: each HTML GET route, signed in as the
role that works there (the catalog of tests/ui/conftest.py), fetched with ?lang=kk and ?lang=ru;
its visible text (and the text a screen reader reads: aria-label, title, alt, placeholder, button
values) holds no run of two Latin-alphabet words and none of the common English UI words.

A failure lists each leftover string with its page, so it can be wrapped in _() or translated.
Codes, numbers, e-mail addresses, URLs and the demo data's own Latin names are not English."""
import re
from html.parser import HTMLParser

import pytest

from docflow.auth.roles import ROLES
from tests.conftest import csrf_token
from tests.ui.conftest import PASSWORD, login_of, page_catalog

# Latin words that are right in Kazakh and Russian pages as they are.
ALLOWED = {"docflow", "PDF", "XLSX", "CSV", "ICS", "JSON", "API", "IIN", "BIN", "DOCX", "HTML",
           "eGov", "e-mail", "Email", "ID", "URL", "UTC", "v1", "OK"}
# A word from this list alone is English left behind.
UI_WORDS = {"save", "cancel", "edit", "delete", "search", "submit", "back", "next", "previous",
            "new", "add", "remove", "name", "status", "date", "time", "yes", "no", "none",
            "all", "open", "close", "closed", "view", "download", "upload", "sign", "login",
            "logout", "password", "page", "total", "filter", "sort", "reset", "apply", "home",
            "settings", "details", "actions", "action", "state", "due", "from", "to", "and",
            "or", "the", "of", "in", "on", "by", "for", "with", "pending", "running", "done",
            "failed", "error", "warning", "required", "optional", "unknown", "language", "body",
            "venue", "official", "appeal", "appeals", "schedule", "reception", "inbox", "today", "asked",
            "answered", "waived", "overdue", "draft", "submitted", "approved", "published"}
VOICED = ("aria-label", "title", "alt", "placeholder")
LATIN_WORD = re.compile(r"(?<![\w@./:-])[A-Za-z][a-z]+(?:'[a-z]+)?(?![\w@/-])")
NOISE = re.compile(r"\S+@\S+|https?://\S+|/\S*|\b[\w.-]*\d[\w.-]*\b|\b[A-Z][A-Z0-9_-]+\b")


class TextOf(HTMLParser):
    def __init__(self):
        super().__init__()
        self.skip = 0
        self.parts: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in ("script", "style", "template"):
            self.skip += 1
        for name in VOICED:
            if attrs.get(name):
                self.parts.append(attrs[name])
        if tag == "input" and attrs.get("type") in ("submit", "button", "reset") \
                and attrs.get("value"):
            self.parts.append(attrs["value"])

    def handle_endtag(self, tag):
        if tag in ("script", "style", "template") and self.skip:
            self.skip -= 1

    def handle_data(self, data):
        if not self.skip and data.strip():
            self.parts.append(data)


def demo_names() -> set[str]:
    """The demo users' full names ('Demo registrar'): data, not interface."""
    return {f"Demo {role}" for role in ROLES}


def english_in(html: str) -> list[str]:
    """The strings of a page that still read as English."""
    parser = TextOf()
    parser.feed(html)
    found = []
    for part in parser.parts:
        text = " ".join(part.split())
        for name in demo_names():
            text = text.replace(name, " ")
        cleaned = NOISE.sub(" ", text)
        words = [w for w in LATIN_WORD.findall(cleaned) if w not in ALLOWED]
        run = longest_run(cleaned)
        if run >= 2 or any(w.lower() in UI_WORDS for w in words):
            found.append(text)
    return sorted(set(found))


def longest_run(text: str) -> int:
    """The longest run of Latin words next to each other (spaces and punctuation between)."""
    best = current = 0
    for token in re.split(r"\s+", text):
        word = token.strip(".,;:!?()[]«»\"'—–-…·")
        if word and LATIN_WORD.fullmatch(word) and word not in ALLOWED:
            current += 1
            best = max(best, current)
        elif word:
            current = 0
    return best


def test_the_detector_finds_english_and_spares_the_rest():
    assert english_in("<p>Сохранить</p><button>Save changes</button>") == ["Save changes"]
    assert english_in('<input type="submit" value="Search">') == ["Search"]
    assert english_in('<a aria-label="Next page">→</a>') == ["Next page"]
    assert english_in("<p>PDF, ICS · demo@docflow.kz · CRC-AST · 12/2026 · Demo head</p>"
                      "<script>var a = 'hello world'</script>") == []


@pytest.fixture
def pages(ui_app):
    """Each role's test client, signed in once."""
    clients = {}

    def client_of(role):
        if role not in clients:
            client = ui_app.test_client()
            if role:
                token = csrf_token(client.get("/login").get_data(True))
                client.post("/login", data={"login": login_of(role), "password": PASSWORD,
                                            "csrf_token": token})
            clients[role] = client
        return clients[role]
    return client_of


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_no_english_left_in_any_page(ui_app, pages, lang):
    leftovers = []
    for entry in page_catalog(ui_app.config["UI_IDS"]):
        sep = "&" if "?" in entry.path else "?"
        response = pages(entry.role).get(f"{entry.path}{sep}lang={lang}")
        assert response.status_code == entry.status, (entry.path, entry.role)
        for text in english_in(response.get_data(True)):
            leftovers.append(f"  {entry.path} ({entry.role or 'public'}): {text!r}")
    assert not leftovers, (f"English left in the {lang} pages (wrap in _() or translate the "
                           "catalog):\n" + "\n".join(sorted(set(leftovers))))
