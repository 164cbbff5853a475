"""Screenshots of the service-performance dashboard and a page of the meeting pack for the README.

    .venv/bin/python scripts/performance-screenshots.py

A scratch SQLite database with the seeds (the April 2026 forum pack), the app served on
a free local port, Debian's Chromium through Playwright for the dashboard, and the pack's
PDF rendered by its job with one page turned into a PNG by pdftoppm (poppler-utils).
Writes docs/screenshots/performance.png and docs/screenshots/meeting-pack.png.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import threading
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
OUT = ROOT / "docs" / "screenshots"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
PASSWORD = "screenshot-password"  # noqa: S105 (a scratch database)


def main() -> int:
    import sqlalchemy as sa
    from flask_migrate import upgrade
    from playwright.sync_api import sync_playwright
    from werkzeug.serving import make_server

    from issues_tracker import create_app
    from issues_tracker.accounts.operations import create_user
    from issues_tracker.core.extensions import db
    from issues_tracker.models import Meeting, MeetingPack
    from issues_tracker.seeds.loader import seed_all
    from issues_tracker.servicedesk.jobs import render_meeting_pack, run_job

    with tempfile.TemporaryDirectory() as scratch:
        app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{scratch}/shots.sqlite", "SECRET_KEY": "screenshots",
                          "SESSION_COOKIE_SECURE": False, "RATELIMIT_ENABLED": False})
        with app.app_context():
            upgrade()
            seed_all()
            create_user("staff@example.org", role="staff", organisation_name="Elexon", password=PASSWORD, name="Sam Staff")
            db.session.commit()
            meeting = db.session.scalar(sa.select(Meeting).where(Meeting.meeting_date == date(2026, 4, 14)))
            outcome = run_job(render_meeting_pack, meeting_id=meeting.id)
            assert outcome.succeeded, outcome.message
            pdf = db.session.scalar(sa.select(MeetingPack.pdf))
        (Path(scratch) / "pack.pdf").write_bytes(pdf)
        # The pack's case-management page and its major-incident review.
        for number, name in ((2, "meeting-pack-kpis"), (6, "meeting-pack")):
            subprocess.run(  # noqa: S603 (our own command line)
                ["pdftoppm", "-png", "-r", "80", "-f", str(number), "-l", str(number), "-singlefile",  # noqa: S607
                 f"{scratch}/pack.pdf", str(OUT / name)], check=True)

        server = make_server("127.0.0.1", 0, app, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        base = f"http://127.0.0.1:{server.server_port}"
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
            page = browser.new_page(base_url=base, viewport={"width": 1280, "height": 1500})
            page.goto("/login")
            page.get_by_label("Email address").fill("staff@example.org")
            page.get_by_label("Password").fill(PASSWORD)
            page.get_by_role("button", name="Sign in").click()
            page.wait_for_url("**/")
            page.goto("/performance?from=2025-10&to=2026-03")
            page.screenshot(path=str(OUT / "performance.png"))
            browser.close()
        server.shutdown()
    print(f"Wrote {OUT / 'performance.png'}, {OUT / 'meeting-pack.png'} and {OUT / 'meeting-pack-kpis.png'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
