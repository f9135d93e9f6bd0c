"""A case's documents: the reference brief (R26) and the reply (R29), built from the case and
rendered through the one renderer (``render_pdf``), then stored as a generated file version with
its template version and data hash. Words printed in the documents are kk/ru here, not gettext.
"""
from __future__ import annotations

from datetime import date, datetime

from flask import current_app, has_request_context, request

from .. import i18n
from ..documents.hashing import data_hash
from ..documents.render import RenderedDocument, render_pdf
from ..engine.files import FileVersion, add_file_version
from ..engine.workflow import history
from ..extensions import db
from ..i18n import local_datetime, local_today
from ..reference.models import Official
from .models import Appeal

# History rows printed in a brief: the transition (or note) in the document's language.
EVENTS = {
    "start_review": ("Алдын ала қарау басталды", "Начато предварительное рассмотрение"),
    "request_materials": ("Материалдар сұралды", "Запрошены материалы"),
    "submit_brief": ("Анықтамалық ақпарат басшыға жіберілді",
                     "Справочная информация направлена руководителю"),
    "return_for_work": ("Пысықтауға қайтарылды", "Возвращено на доработку"),
    "shared_with_helper": ("Көмекшіге қолжетімділік берілді", "Предоставлен доступ помощнику"),
    "body_invited": ("Мүдделі орган шақырылды", "Приглашен заинтересованный орган"),
    "deadline_extended": ("Мерзім ұзартылды", "Срок продлен"),
    "deadline_suspended": ("Мерзім тоқтатыла тұрды", "Срок приостановлен"),
    "redirect": ("Құзыретті органға жіберілді", "Направлено в компетентный орган"),
}
REGISTERED = ("Тіркелді", "Зарегистрировано")
PREPARED_BY = ("Жауапты қызметкер", "Ответственный работник")
SIGNATORY = ("Жауапты қызметкер", "Ответственный работник")


def _pick(pair: tuple[str, str], language: str) -> str:
    return pair[0] if language == "kk" else pair[1]


def letterhead(appeal: Appeal) -> dict:
    body = appeal.body
    lang = appeal.applicant_language
    return {"name_kk": body.name_kk, "name_ru": body.name_ru,
            "address": body.address(lang) or appeal.venue.address(lang), "bin": body.bin or "",
            "phone": body.phone, "email": body.email, "website": body.website}


def applicant(appeal: Appeal) -> dict:
    # the templates read every key (StrictUndefined): an unknown address is printed as nothing
    return {"name": appeal.applicant_name, "address": appeal.address or ""}


def registration(appeal: Appeal) -> dict:
    return {"number": appeal.registration_number, "date": appeal.registered_on}


def local_now(appeal: Appeal) -> datetime:
    """Now at the appeal's venue (its time zone), to the second."""
    return i18n.local_now(appeal.venue.timezone).replace(microsecond=0)


def slot(appeal: Appeal, entry, at: datetime, language: str) -> dict:
    """A reception slot as the documents print it (R29: date, time, place, official)."""
    official = db.session.get(Official, entry.official_id) if entry.official_id else None
    local = local_datetime(at, appeal.venue.timezone)
    venue = appeal.venue
    return {"date": local.date(), "time": local.strftime("%H:%M"),
            "place": f"{venue.name(language)}, {venue.address(language)}",
            "official_name": official.full_name(language) if official else "",
            "official_position": official.position(language) if official else ""}


def history_rows(appeal: Appeal, language: str) -> list[dict]:
    rows = [{"date": appeal.registered_on, "event": _pick(REGISTERED, language),
             "actor": appeal.registered_by.full_name if appeal.registered_by else ""}]
    for h in history(appeal):
        if h.transition in EVENTS:
            rows.append({"date": h.at.date(), "event": _pick(EVENTS[h.transition], language),
                         "actor": h.actor.full_name if h.actor else ""})
    return rows


def store(appeal: Appeal, name: str, rendered: RenderedDocument, actor, *, filename: str,
          meta: dict) -> FileVersion:
    """The rendered PDF as the next generated version of the case's file ``name``."""
    return add_file_version(appeal, name, rendered.pdf, actor, filename=filename,
                            generated=True, text=rendered.text or None,
                            meta={"template_version": rendered.template_version,
                                  "data_hash": rendered.data_hash, "template": rendered.template,
                                  "language": rendered.language, "pages": rendered.pages,
                                  "media_type": "application/pdf", **meta})


def public_url(path: str) -> str:
    base = current_app.config.get("PUBLIC_BASE_URL") or (
        request.host_url if has_request_context() else "http://localhost/")
    return base.rstrip("/") + path


def render(kind: str, context: dict, language: str, title: str) -> RenderedDocument:
    return render_pdf(kind, context, language=language, title=title)


def verification_code(context: dict) -> str:
    """The letter's checksum printed in its QR code: the hash of everything the letter states
    except the link itself (a PDF cannot contain its own file hash)."""
    return data_hash({k: v for k, v in context.items() if k != "verification_url"})


def today_in_venue(appeal: Appeal) -> date:
    """Today at the appeal's venue: a letter's date, the day a reply is sent."""
    return local_today(appeal.venue.timezone)
