"""The templates' ``_()`` (docflow.i18n.template_gettext) gives exactly what Jinja's own newstyle
gettext gives: translated, markup when autoescaping (the variables escaped), ``%%`` read as a
per cent sign, and plain text where the template does not autoescape."""
import pytest
from jinja2.ext import _gettext_alias, _make_new_gettext

from docflow.i18n import current_translations, template_gettext

SOURCES = [
    "{{ _('Sign out') }}",
    "{{ _('Select %(number)s', number='<b>A&B</b>') }}",
    "{{ _('100%% sure') }}",
    "{{ _('Done for %(n)s appeal(s).', n=3) }}",
    "{% autoescape false %}{{ _('Select %(number)s', number='<b>') }}{% endautoescape %}",
    "{{ _('No such message in the catalog: <kept>') }}",
    "{{ gettext('Sign out') }}",
]


@pytest.mark.parametrize("lang", ["kk", "ru", "en"])
def test_the_same_text_as_jinjas_newstyle_gettext(app, lang):
    from flask_babel import force_locale
    env = app.jinja_env
    ours = {"_": env.globals["_"], "gettext": env.globals["gettext"]}
    assert ours["_"] is template_gettext
    jinjas = {"_": _gettext_alias,
              "gettext": _make_new_gettext(lambda s: current_translations().ugettext(s))}
    with app.test_request_context(), force_locale(lang):
        for source in SOURCES:
            env.globals.update(ours)
            got = env.from_string(source).render()
            env.globals.update(jinjas)
            try:
                expected = env.from_string(source).render()
            finally:
                env.globals.update(ours)
            assert got == expected, source
        translated = env.from_string("{{ _('Sign out') }}").render()
        assert (translated == "Sign out") == (lang == "en")
