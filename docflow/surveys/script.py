"""The operator's call script, in the applicant's language (kk or ru, the appeal's language).

The sentences are ordinary translated strings, rendered with the applicant's locale forced
(``flask_babel.force_locale``), whatever language the operator reads the page in; the venue's
name and the dates come in that language too.
"""
from __future__ import annotations

from flask_babel import force_locale, format_date
from flask_babel import gettext as _

from .models import SurveyTask

SCRIPT_LANGUAGES = ("kk", "ru")


def script_language(task: SurveyTask) -> str:
    language = task.appeal.applicant_language if task.appeal else task.language
    return language if language in SCRIPT_LANGUAGES else "kk"


def call_script(task: SurveyTask) -> dict:
    """``{"language": "kk"|"ru", "lines": [str, ...]}``: what the operator says, in order."""
    appeal = task.appeal
    language = script_language(task)
    with force_locale(language):
        venue = task.venue.name(language) if task.venue else ""
        name = " ".join(p for p in (appeal.first_name, appeal.patronymic) if p)
        lines = [
            _("Good afternoon, %(name)s. This is the call center of %(venue)s.",
              name=name, venue=venue),
            _("On %(date)s you applied for a personal reception on the matter: %(subject)s.",
              date=format_date(appeal.registered_on, "long"), subject=appeal.subject),
            _("We are asking a few applicants how satisfied they are with our work. May I ask "
              "you two short questions?"),
        ]
        if task.category == "consulted":
            lines.append(_("On %(date)s you received a consultation or were received in "
                           "person. How satisfied are you with it, from 1 (not satisfied) to 5 "
                           "(fully satisfied)?", date=format_date(task.served_on, "long")))
        else:
            lines.append(_("On %(date)s your sign-up for the reception was refused or "
                           "withdrawn. How satisfied are you with how we explained it and "
                           "treated you, from 1 (not satisfied) to 5 (fully satisfied)?",
                           date=format_date(task.served_on, "long")))
        lines += [_("Is there anything you would like to tell us or suggest?"),
                  _("Thank you for your time. Goodbye.")]
    return {"language": language, "lines": [str(line) for line in lines]}
