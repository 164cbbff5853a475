"""Poll results under a live meeting: N browsers polling the results fragment every 3 s.

Run against a real server on the same database (sign-in rate limits off: the
benchmark signs in N accounts from one address), e.g.

    export DATABASE_URL=sqlite:////tmp/bench.sqlite SECRET_KEY=bench-secret
    flask --app issues_tracker db upgrade && flask --app issues_tracker seed
    gunicorn --workers 4 --bind 127.0.0.1:5078 'issues_tracker:create_app({"RATELIMIT_ENABLED": False})' &
    PYTHONPATH=. python benchmarks/poll_results.py --base http://127.0.0.1:5078 --browsers 100 --seconds 60

Each simulated browser signs in, then asks for /polls/<id>/results every 3 s with
HX-Request and, like a real browser's cache, If-None-Match. Meanwhile some of them
answer the poll (one response a second by default), so the results keep changing
and the fragment is re-rendered, as during a meeting. /healthz is timed alongside
as the floor. Prints p50/p95/p99 per kind of request and the ratio to the floor.
"""

from __future__ import annotations

import argparse
import http.client
import random
import re
import statistics
import threading
import time
from urllib.parse import urlencode, urlsplit

PASSWORD = "bench-password-123"  # noqa: S105 (benchmark accounts on a throwaway database)


def ensure_accounts(count: int) -> tuple[list[str], int]:
    """Create the benchmark's participant accounts (one password hash, reused) and find the open poll."""
    import sqlalchemy as sa
    from werkzeug.security import generate_password_hash

    from issues_tracker import create_app
    from issues_tracker.extensions import db
    from issues_tracker.models import Organisation, Poll, User

    app = create_app()
    with app.app_context():
        org = db.session.scalar(sa.select(Organisation).where(Organisation.name == "Benchmark Supply"))
        if org is None:
            org = Organisation(name="Benchmark Supply", kind="supplier")
            db.session.add(org)
        password_hash = generate_password_hash(PASSWORD)
        emails = [f"poller{i}@bench.example" for i in range(count)]
        existing = set(db.session.scalars(sa.select(User.email).where(User.email.in_(emails))))
        for email in emails:
            if email not in existing:
                db.session.add(User(email=email, name=email, role="participant", organisation=org,
                                    password_hash=password_hash))
        poll_id = db.session.scalar(sa.select(Poll.id).where(Poll.state == "open").order_by(Poll.id))
        db.session.commit()
        if poll_id is None:
            raise SystemExit("No open poll: run `flask --app issues_tracker seed` first.")
        return emails, poll_id


class Browser:
    def __init__(self, base: str):
        parts = urlsplit(base)
        self.host, self.port = parts.hostname, parts.port or 80
        self.cookies: dict[str, str] = {}
        self.etag: str | None = None

    def request(self, method: str, path: str, body: dict | None = None, headers: dict | None = None):
        conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        data = None
        if body is not None:
            data = urlencode(body)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        start = time.perf_counter()
        conn.request(method, path, body=data, headers=headers)
        response = conn.getresponse()
        payload = response.read()
        elapsed = time.perf_counter() - start
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name] = rest.split(";", 1)[0]
        conn.close()
        return response, payload.decode("utf-8", "replace"), elapsed

    def csrf(self, path: str) -> str:
        _, page, _ = self.request("GET", path)
        return re.search(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"', page).group(1)

    def login(self, email: str) -> None:
        token = self.csrf("/login")
        response, _, _ = self.request("POST", "/login", {"email": email, "password": PASSWORD, "csrf_token": token})
        if response.status != 303:
            raise SystemExit(f"sign-in failed for {email}: {response.status}")


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(pct / 100 * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", default="http://127.0.0.1:5078")
    parser.add_argument("--browsers", type=int, default=100)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--interval", type=float, default=3.0)
    parser.add_argument("--answers-per-second", type=float, default=1.0)
    parser.add_argument("--no-etag", action="store_true", help="ignore ETags: every request renders in full")
    args = parser.parse_args()

    emails, poll_id = ensure_accounts(args.browsers)
    browsers = [Browser(args.base) for _ in emails]
    for browser, email in zip(browsers, emails, strict=True):
        browser.login(email)
    _, form_page, _ = browsers[0].request("GET", f"/polls/{poll_id}")
    questions = re.findall(r'name="(q\d+)"[^>]*type="radio"[^>]*value="([^"]+)"|name="(q\d+)"[^>]*rows', form_page)
    choice_values: dict[str, list[str]] = {}
    text_names: list[str] = []
    for radio_name, value, text_name in questions:
        if radio_name:
            choice_values.setdefault(radio_name, []).append(value)
        elif text_name and text_name not in text_names:
            text_names.append(text_name)
    print(f"{len(browsers)} browsers signed in; poll {poll_id}; polling every {args.interval:g}s for {args.seconds}s")

    timings: dict[str, list[float]] = {"results 200": [], "results 304": [], "healthz": [], "answer": []}
    errors: list[str] = []
    lock = threading.Lock()
    stop_at = time.monotonic() + args.seconds

    def record(kind: str, seconds: float) -> None:
        with lock:
            timings[kind].append(seconds)

    def poller(browser: Browser, offset: float) -> None:
        time.sleep(offset)
        while time.monotonic() < stop_at:
            started = time.monotonic()
            headers = {"HX-Request": "true"}
            if browser.etag and not args.no_etag:
                headers["If-None-Match"] = browser.etag
            try:
                response, _, elapsed = browser.request("GET", f"/polls/{poll_id}/results", headers=headers)
            except OSError as exc:
                errors.append(repr(exc))
                continue
            if response.status == 304:
                record("results 304", elapsed)
            elif response.status in (200, 286):
                browser.etag = response.getheader("ETag")
                record("results 200", elapsed)
            else:
                errors.append(f"results {response.status}")
            time.sleep(max(0.0, args.interval - (time.monotonic() - started)))

    def answerer() -> None:
        rng = random.Random(2026)  # noqa: S311
        while time.monotonic() < stop_at:
            browser = rng.choice(browsers)
            token = browser.csrf(f"/polls/{poll_id}")
            data = {name: rng.choice(values) for name, values in choice_values.items()}
            data.update({name: f"Comment {rng.randint(1, 10_000)}" for name in text_names})
            data["csrf_token"] = token
            response, _, elapsed = browser.request("POST", f"/polls/{poll_id}", data)
            if response.status != 303:
                errors.append(f"answer {response.status}")
            record("answer", elapsed)
            time.sleep(1 / args.answers_per_second)

    def floor() -> None:
        probe = Browser(args.base)
        while time.monotonic() < stop_at:
            _, _, elapsed = probe.request("GET", "/healthz")
            record("healthz", elapsed)
            time.sleep(0.2)

    threads = [threading.Thread(target=poller, args=(b, i * args.interval / len(browsers))) for i, b in enumerate(browsers)]
    if args.answers_per_second > 0:
        threads.append(threading.Thread(target=answerer))
    threads.append(threading.Thread(target=floor))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    floor_p50 = statistics.median(timings["healthz"]) if timings["healthz"] else float("nan")
    all_results = timings["results 200"] + timings["results 304"]
    print(f"{'request':<14}{'count':>7}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'p50/floor':>11}")
    for kind, values in list(timings.items()) + [("results (all)", all_results)]:
        if not values:
            continue
        p50 = statistics.median(values)
        print(f"{kind:<14}{len(values):>7}{p50 * 1000:>9.1f}{percentile(values, 95) * 1000:>9.1f}"
              f"{percentile(values, 99) * 1000:>9.1f}{p50 / floor_p50:>11.1f}")
    rate = len(all_results) / args.seconds
    print(f"results requests: {rate:.1f}/s; errors: {len(errors)}{' ' + str(errors[:5]) if errors else ''}")


if __name__ == "__main__":
    main()
