"""Messages: translated in a request (the reader's language), plain English elsewhere.

Operations also run in jobs, commands and tests, where there is no request to choose a locale
from; there they produce the English msgid with its parameters filled in.
"""
from flask import has_request_context
from flask_babel import gettext


def _(msgid: str, **params) -> str:
    if has_request_context():
        return gettext(msgid, **params)
    return msgid % params if params else msgid
