"""Every gettext (templates, views, lazy strings) finds its catalog once per locale (docflow.i18n.current_translations): a
language chosen per request, a refresh and force_locale (a letter or call script in the
applicant's language inside an officer's request) must each get their own catalog."""
from flask import render_template_string
from flask_babel import force_locale, gettext, lazy_gettext, refresh

from docflow.i18n import current_translations

PAGE = "{{ _('Filter') }}|{{ ngettext('%(num)d report', '%(num)d reports', 5) }}"


def test_each_request_and_forced_locale_gets_its_own_catalog(app):
    # test_request_context shares the fixture's app context and skips before_request: refresh()
    # as the app does before every request
    with app.test_request_context("/?lang=kk"):
        refresh()
        kk = render_template_string(PAGE)
        assert gettext("Filter") == "Сүзу" and str(lazy_gettext("Filter")) == "Сүзу"
        with force_locale("ru"):
            ru = render_template_string(PAGE)
            assert current_translations() is not None
            assert gettext("Filter") == "Фильтровать" and str(lazy_gettext("Filter")) == "Фильтровать"
        assert gettext("Filter") == "Сүзу"
        assert render_template_string(PAGE) == kk  # back to the request's language
    with app.test_request_context("/?lang=en"):
        refresh()
        en = render_template_string(PAGE)
    assert kk == "Сүзу|5 есеп"
    assert ru == "Фильтровать|5 отчётов"
    assert en == "Filter|5 reports"


def test_a_refresh_chooses_the_catalog_again(app):
    with app.test_request_context("/?lang=ru"):
        refresh()
        assert render_template_string(PAGE).startswith("Фильтровать")
        from flask import request
        request.args = request.args.copy()
        request.args["lang"] = "kk"
        refresh()
        assert render_template_string(PAGE).startswith("Сүзу")
