"""The e-mail job: renders a template and sends it through SMTP (stdlib smtplib).

The Message-ID is derived from the outbox key, so if the job is retried after the SMTP server
accepted the mail but before the job was marked done, the second copy is the *same* message
(receivers and archives de-duplicate by Message-ID), never a different one.

Configuration: ``MAIL_SERVER``, ``MAIL_PORT``, ``MAIL_FROM`` from the app config, else from the
environment (an RQ worker's app reads its environment).
"""
from __future__ import annotations

import hashlib
import os
import smtplib
from email.message import EmailMessage

from flask import current_app, render_template
from flask_babel import force_locale


def _setting(name: str, default=None):
    return current_app.config.get(name) or os.environ.get(name) or default


def message_id(message_key: str) -> str:
    digest = hashlib.sha256(message_key.encode()).hexdigest()[:32]
    return f"<{digest}@docflow.engine>"


def build_message(*, to: str, template: str, context: dict, message_key: str,
                  language: str | None = None) -> EmailMessage:
    """The message: first line of the rendered template is ``Subject: ...``, then the body."""
    with force_locale(language or current_app.config.get("BABEL_DEFAULT_LOCALE", "kk")):
        rendered = render_template(f"engine/mail/{template}.txt", **context)
    head, _sep, body = rendered.lstrip().partition("\n")
    subject = head.removeprefix("Subject:").strip() if head.startswith("Subject:") else template
    msg = EmailMessage()
    msg["Subject"] = subject
    msg["From"] = _setting("MAIL_FROM", "docflow@localhost")
    msg["To"] = to
    msg["Message-ID"] = message_id(message_key)
    msg.set_content(body.strip() + "\n")
    return msg


def send_email(*, to: str, template: str, context: dict, message_key: str,
               language: str | None = None) -> dict:
    """Job: send one e-mail. Raises on SMTP failure so the outbox retries it."""
    msg = build_message(to=to, template=template, context=context, message_key=message_key,
                        language=language)
    host = _setting("MAIL_SERVER", "localhost")
    port = int(_setting("MAIL_PORT", 25))
    with smtplib.SMTP(host, port, timeout=30) as smtp:
        smtp.send_message(msg)
    return {"to": to, "message_id": msg["Message-ID"]}
