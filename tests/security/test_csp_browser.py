"""The Content-Security-Policy in a real browser: Chromium reports no blocked script or style on
docflow's pages, and the scripts moved to static files still run (the schedule's Print button
is shown by static/js/print.js)."""
from datetime import date

import pytest

from docflow.demo import DEMO_PASSWORD
from docflow.extensions import db

pytestmark = pytest.mark.browser

PAGES = ["/", "/worklist", "/search?q=test", "/inbox", "/dashboard", "/intake/new",
         "/intake/call", "/admin/reference/", "/admin/calendar/", "/admin/jobs",
         "/account/password", "/no-such-page"]


def test_no_csp_violations_on_pages_and_moved_scripts_run(app, demo, live, page):
    from tests.schedules.conftest import World
    world = World()
    world.schedule("CRC-AST", [world.entry("MLSPP-DEP1", 10)], state="published",
                   month=date(2026, 12, 1))
    db.session.commit()
    problems = []
    page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error"
            and ("Content Security Policy" in msg.text or "Refused to" in msg.text) else None)
    page.on("pageerror", lambda exc: problems.append(str(exc)))

    page.goto(f"{live.url}/login?lang=en")
    page.get_by_label("Login").fill("demo-admin")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live.url}/")
    for path in PAGES:
        page.goto(f"{live.url}{path}")
        # the stylesheet applies (a blocked app.css would leave the header unstyled)
        assert page.locator(".site-header").evaluate(
            "el => getComputedStyle(el).display") == "flex", path
    page.goto(f"{live.url}/schedules/CRC-AST/2026-12?lang=ru")
    assert page.locator("[data-print]").is_visible()
    assert problems == []


def test_an_injected_inline_script_would_be_blocked(app, live, page):
    """The policy itself, checked in the browser: an inline script in a response is refused."""
    blocked = []
    page.on("console", lambda msg: blocked.append(msg.text)
            if "Content Security Policy" in msg.text else None)
    app.view_functions["csp_probe"] = lambda: "<html><body><script>document.title='ran'</script>" \
        "<p style='color:red' id=p>x</p></body></html>"
    page.goto(f"{live.url}/csp-probe")
    assert page.title() != "ran" and blocked
    assert page.locator("#p").evaluate("el => getComputedStyle(el).color") != "rgb(255, 0, 0)"


@pytest.fixture
def live(app):
    from tests.conftest import LiveServer, wait_for_port
    app.add_url_rule("/csp-probe", "csp_probe", lambda: "")
    server = LiveServer(app)
    server.start()
    wait_for_port(server.server.server_port)
    yield server
    server.stop()
