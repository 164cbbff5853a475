"""Whether a PDF is ever rendered inside a web request: measured, not assumed.

In a fresh process on a database of the forum's seeds, WeasyPrint's ``HTML.write_pdf`` is
wrapped to note, for every render, whether a request is being answered. Staff then ask for
what a person would: a preview and a publication of this week's Monday log, then the
meeting pack of the first meeting. Afterwards the jobs those requests queued are run as a
worker runs them, and the log and the pack are asked for again. The targets' "never inside
a web request" is met when no render happened in a request, the jobs rendered each PDF,
and the PDFs are then served.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from .harness import in_fresh_process
from .registry import Check

STAFF = "render-check@benchmark.example"
PASSWORD = "benchmark-only-password"  # noqa: S105 (a throwaway database)
TIMEOUT_SECONDS = 600

_results: dict[str, dict] = {}


def _in_child(url: str, results) -> None:
    import flask
    import sqlalchemy as sa
    import weasyprint

    from issues_tracker import create_app
    from issues_tracker.accounts.operations import create_user
    from issues_tracker.core.extensions import db
    from issues_tracker.jobs import run_queued_jobs
    from issues_tracker.models import Meeting, User

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "benchmark-only-secret",
                      "SESSION_COOKIE_SECURE": False, "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False,
                      "QUEUE_BACKEND": "memory", "MFA_REQUIRED_ROLES": ""})
    renders = {"in_request": [], "outside": 0}
    original = weasyprint.HTML.write_pdf

    def recording(self, *args, **kwargs):
        if flask.has_request_context():
            renders["in_request"].append(flask.request.path)
        else:
            renders["outside"] += 1
        return original(self, *args, **kwargs)

    weasyprint.HTML.write_pdf = recording
    with app.app_context():
        if db.session.scalar(sa.select(User.id).where(User.email == STAFF)) is None:
            create_user(STAFF, role="staff", organisation_name="Elexon", password=PASSWORD)
            db.session.commit()
        meeting_id = db.session.scalar(sa.select(Meeting.id).order_by(Meeting.id).limit(1))
        db.session.remove()
    client = app.test_client()
    if client.post("/login", data={"email": STAFF, "password": PASSWORD}).status_code != 303:
        raise RuntimeError("the render check could not sign in")
    monday = date.today() - timedelta(days=date.today().weekday())
    found = {}
    for kind, asks, then in (
        ("log", [("POST", "/log/preview"), ("POST", "/log/publish")], "/log/latest.pdf"),
        ("pack", [("GET", f"/forum/meetings/{meeting_id}/pack.pdf")], f"/forum/meetings/{meeting_id}/pack.pdf"),
    ):
        renders["in_request"].clear()
        renders["outside"] = 0
        statuses = {}
        for method, path in asks:
            if method == "POST":
                response = client.post(path, data={"week": monday.isoformat()})
            else:
                response = client.get(path)
            statuses[f"{method} {path}"] = response.status_code
        in_request = list(renders["in_request"])
        with app.app_context():
            jobs = run_queued_jobs()
        response = client.get(then)
        found[kind] = {"requests": statuses, "renders_in_requests": in_request, "jobs_run": jobs,
                       "renders_in_jobs": renders["outside"],
                       "then": {"path": then, "status": response.status_code, "mimetype": response.mimetype}}
    results.put(found)


def measure(workdir: Path) -> dict:
    """Both measurements, once per run (the log and the servicedesk sections both report from them)."""
    key = str(workdir)
    if key not in _results:
        from .servicedesk import _app, _fresh

        url = "sqlite:///" + str(workdir / "web-renders.sqlite")
        _fresh(url)
        app = _app(url)
        with app.app_context():
            from issues_tracker.core.extensions import db
            from issues_tracker.seeds.loader import seed_all

            seed_all()
            db.session.commit()
            db.session.remove()
            db.engine.dispose()
        _results[key] = in_fresh_process(_in_child, url, timeout=TIMEOUT_SECONDS)
    return _results[key]


def check(found: dict, kind: str, name: str, row: str) -> Check:
    """Met when nothing rendered during a request, the queued jobs rendered, and the PDF is then served."""
    result = found[kind]
    served = result["then"]["status"] == 200 and result["then"]["mimetype"] == "application/pdf"
    met = not result["renders_in_requests"] and result["renders_in_jobs"] > 0 and served
    asked = ", ".join(f"{ask} {status}" for ask, status in result["requests"].items())
    figure = (f"{len(result['renders_in_requests'])} renders in requests ({asked}); "
              f"{result['renders_in_jobs']} in {result['jobs_run']} queued jobs; then "
              f"{result['then']['path']} {result['then']['status']} {result['then']['mimetype']}")
    return Check(name, figure, "no render inside a web request", met, row)
