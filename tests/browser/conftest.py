"""Browser tests: the app served on a real port, driven by Debian's Chromium through Playwright."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright
from werkzeug.serving import make_server

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
AXE = Path(__file__).parent / "vendor" / "axe-4.14.1.min.js"


@pytest.fixture(scope="session")
def chromium():
    if not Path(CHROMIUM).exists():
        pytest.fail("Chromium is required for the browser tests: apt-get install chromium")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def live_server(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture
def background_worker(app):
    """A worker beside the live server: runs queued jobs as they come, as `flask worker` does."""
    from issues_tracker.jobs import run_queued_jobs

    stop = threading.Event()

    def work():
        with app.app_context():
            while not stop.wait(0.2):
                run_queued_jobs()

    thread = threading.Thread(target=work, daemon=True)
    thread.start()
    yield
    stop.set()
    thread.join(timeout=60)


class Problems(list):
    """Console errors, uncaught exceptions and CSP violations seen on a page."""


# Runs before the page's own scripts, from the DevTools protocol (so the page's policy does not
# apply to it), and reports every Content-Security-Policy violation the page meets.
CSP_LISTENER = """document.addEventListener('securitypolicyviolation', event =>
  window.__reportProblem('CSP violation: ' + event.violatedDirective + ' refused ' + (event.blockedURI || 'inline')));"""


def watch_problems(page) -> Problems:
    """Collect on page.problems what a journey must not meet: console errors, uncaught exceptions, CSP violations."""
    problems = Problems()
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.expose_function("__reportProblem", lambda text: problems.append(text))
    page.add_init_script(CSP_LISTENER)
    page.problems = problems
    return problems


@pytest.fixture
def page(chromium, live_server):
    context = chromium.new_context(base_url=live_server, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    page = context.new_page()
    watch_problems(page)
    yield page
    context.close()


def sign_in(page, user, password="correct-horse-battery"):
    page.goto("/login")
    page.get_by_label("Email address").fill(user.email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/")


def axe_violations(page) -> list[dict]:
    """Serious and critical accessibility violations on the current page (axe-core)."""
    # Evaluated through the DevTools protocol, so the page's CSP (no inline script) still holds.
    page.evaluate("source => { (0, eval)(source); }", AXE.read_text(encoding="utf-8"))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        {"id": v["id"], "impact": v["impact"], "help": v["help"], "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]
