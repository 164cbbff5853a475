"""Screenshots of the app's pages for the README.

    .venv/bin/python scripts/screenshots.py [OUTPUT_FOLDER]

A scratch SQLite database with the seeds (the April 2026 forum pack), the app served on a
free local port and Debian's Chromium through Playwright, signed in as a member of staff.
Writes issues.png (the list filtered to DIP), issues-phone.png (the list at 390 × 844),
home.png, issue.png, log.png and poll.png to docs/screenshots/ (or OUTPUT_FOLDER).
The performance dashboard and the meeting pack have their own script
(scripts/performance-screenshots.py).
"""

from __future__ import annotations

import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
PASSWORD = "screenshot-password"  # noqa: S105 (a scratch database)
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


def main(out: Path) -> int:
    import sqlalchemy as sa
    from flask_migrate import upgrade
    from playwright.sync_api import sync_playwright
    from werkzeug.serving import make_server

    from issues_tracker import create_app
    from issues_tracker.accounts.operations import create_user
    from issues_tracker.core.extensions import db
    from issues_tracker.models import Issue, Poll
    from issues_tracker.seeds.loader import seed_all

    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{scratch}/shots.sqlite", "SECRET_KEY": "screenshots",
                          "SESSION_COOKIE_SECURE": False, "RATELIMIT_ENABLED": False})
        with app.app_context():
            upgrade()
            seed_all()
            create_user("staff@example.org", role="staff", organisation_name="Elexon", password=PASSWORD, name="Sam Staff")
            db.session.commit()
            issue = db.session.scalar(sa.select(Issue.id).where(Issue.status == "Under investigation").order_by(Issue.id))
            poll = db.session.scalar(sa.select(Poll.id).order_by(Poll.id))

        server = make_server("127.0.0.1", 0, app, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        base = f"http://127.0.0.1:{server.server_port}"
        shots = [
            ("issues", DESKTOP, "/issues?service=DIP"),
            ("issues-phone", PHONE, "/issues"),
            ("home", DESKTOP, "/"),
            ("issue", DESKTOP, f"/issues/{issue}"),
            ("log", DESKTOP, "/log"),
            ("poll", DESKTOP, f"/polls/{poll}"),
        ]
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
            for name, viewport, path in shots:
                context = browser.new_context(base_url=base, viewport=viewport)
                page = context.new_page()
                page.goto("/login")
                page.get_by_label("Email address").fill("staff@example.org")
                page.get_by_label("Password").fill(PASSWORD)
                page.get_by_role("button", name="Sign in").click()
                page.wait_for_url("**/")
                page.goto(path)
                page.screenshot(path=str(out / f"{name}.png"))
                context.close()
            browser.close()
        server.shutdown()
    print(f"Wrote {', '.join(name + '.png' for name, _, _ in shots)} to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "screenshots"))
