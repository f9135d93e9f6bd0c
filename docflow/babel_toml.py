"""A Babel extractor for the workflow data files: their state and transition titles are shown to
people (translated in templates with _()), so `make extract-messages` must find them."""
import re

TITLE = re.compile(r'^\s*title\s*=\s*"((?:[^"\\]|\\.)*)"')


def extract_toml(fileobj, keywords, comment_tags, options):
    """Yield (line number, function name, message, comments) for every ``title = "..."``."""
    for lineno, raw in enumerate(fileobj, start=1):
        match = TITLE.match(raw.decode("utf-8"))
        if match:
            yield lineno, None, match.group(1).encode().decode("unicode_escape"), []
