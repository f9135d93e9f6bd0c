"""WCAG 2.1 AA in the real browser: axe-core runs in every page of the app (each HTML GET route,
signed in as the role that works there, on the demo data) and finds no serious or critical
violation; every route is in the catalog; every page names its language; the keyboard reaches
every control of every form, with a visible focus."""
import json

import pytest

from tests.ui.conftest import html_endpoints, page_catalog

pytestmark = pytest.mark.browser

CATALOG = page_catalog({k: 0 for k in ("appeal", "uid", "request", "job", "schedule", "entry",
                                       "venue_code", "month", "Body", "Division", "Official",
                                       "Venue", "survey_task", "report")})
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def run_axe(page, axe_script) -> list[dict]:
    page.add_script_tag(path=str(axe_script))
    result = page.evaluate("""tags => axe.run(document, {runOnly: {type: 'tag', values: tags},
                                                          resultTypes: ['violations']})""", WCAG)
    return result["violations"]


def serious(violations) -> list[str]:
    return [f"{v['id']} ({v['impact']}): {v['help']} — "
            + "; ".join(n["target"][0] if len(n["target"]) == 1 else json.dumps(n["target"])
                        for n in v["nodes"][:5])
            for v in violations if v["impact"] in ("serious", "critical")]


def open_page(site, entry, lang="ru"):
    page = site.tab(entry.role)
    sep = "&" if "?" in entry.path else "?"
    response = page.goto(f"{site.url}{entry.path}{sep}lang={lang}")
    assert response.status == entry.status, f"{entry.path} as {entry.role}: {response.status}"
    return page


def test_every_page_route_is_in_the_catalog(ui_app):
    missing = html_endpoints(ui_app) - {p.endpoint for p in CATALOG}
    assert not missing, f"pages not checked by tests/ui (add them to page_catalog): {missing}"


@pytest.mark.parametrize("entry", CATALOG, ids=lambda p: f"{p.endpoint}-{p.role}")
def test_no_serious_axe_violation(site, axe_script, entry):
    entry = next(p for p in page_catalog(site.ids)
                 if (p.endpoint, p.role) == (entry.endpoint, entry.role))
    page = open_page(site, entry)
    found = serious(run_axe(page, axe_script))
    assert not found, f"{entry.path} as {entry.role}:\n" + "\n".join(found)
    unreachable = page.evaluate(KEYBOARD_CHECK)
    assert not unreachable, f"{entry.path}: not reachable by keyboard or no visible focus: " \
        f"{unreachable}"


# Every visible form control takes the keyboard focus (no tabindex=-1, not disabled by script)
# and shows it: an outline or a box shadow when focused (WCAG 2.1.1, 2.4.7).
KEYBOARD_CHECK = """() => {
  const bad = [];
  for (const el of document.querySelectorAll(
      'main input:not([type=hidden]), main select, main textarea, main button, main a[href], main summary')) {
    if (!el.checkVisibility() || el.disabled) continue;
    const closed = el.closest('details:not([open])');
    if (closed && el.tagName !== 'SUMMARY') continue;  // reached once its summary opens it
    if (el.tabIndex < 0) { bad.push((el.id || el.name || el.outerHTML.slice(0, 60)) + ' tabindex<0'); continue; }
    el.focus();
    if (document.activeElement !== el) { bad.push((el.id || el.outerHTML.slice(0, 60)) + ' no focus'); continue; }
    const st = getComputedStyle(el);
    if ((st.outlineStyle === 'none' || parseFloat(st.outlineWidth) === 0) && st.boxShadow === 'none')
      bad.push((el.id || el.outerHTML.slice(0, 60)) + ' focus not visible');
  }
  return bad.slice(0, 10);
}"""


@pytest.mark.parametrize("lang", ["kk", "ru", "en"])
def test_public_pages_name_their_language(site, axe_script, lang):
    for entry in (p for p in page_catalog(site.ids) if p.role is None):
        page = open_page(site, entry, lang)
        # the published schedule is in Kazakh or Russian only (R8); English readers get kk
        expected = "kk" if lang == "en" and entry.endpoint.startswith("public_") else lang
        assert page.locator("html").get_attribute("lang") == expected
        found = serious(run_axe(page, axe_script))
        assert not found, f"{entry.path} in {lang}:\n" + "\n".join(found)


def test_axe_finds_what_it_should(site, axe_script):
    """The check can fail: a page with an unlabeled field and a low-contrast text is caught."""
    page = site.tab(None)
    page.set_content('<html lang="en"><body><main><h1>x</h1><input id="q">'
                     '<p style="color:#bbb;background:#fff">faint</p></main></body></html>')
    found = " ".join(serious(run_axe(page, axe_script)))
    assert "label" in found and "color-contrast" in found
