"""The people of the capacity benchmark, for Locust: run by benchmarks/capacity.py as a subprocess.

    CAPACITY_PLAN=plan.json locust -f benchmarks/capacity_locustfile.py --headless -u 100 -r 5

Never import this module into another process: Locust patches the standard library with
gevent as it loads. Everything it needs comes from the JSON plan that CAPACITY_PLAN names
(written by capacity.write_plan): the servers, the accounts and their password, the issues
to open, words to search for, the filters to choose from, how long to think between
clicks, how long to measure and where to write what was measured.

Each simulated person signs in as their own account, through one of the servers (person i
through server i mod n, as a load balancer spreads people), and arrives from an address of
their own: X-Forwarded-For, read by servers with TRUSTED_PROXY_COUNT=1, so sign-in limits
count per person as behind the real proxy. Nine in ten are participants reading: the
issues list (first page, filters and sort as htmx fragments, a later page), searches as
they are typed, issue pages, the KPI dashboard and the home page. One in ten are staff,
who read too but also comment on issues (htmx, as the page does) and update them through
the edit form, with the CSRF token from the page they came from. A redirect is never
followed blindly: a page that answers 302 (signed out) or anything unexpected is an error.

Every request is written to the samples file (start time, kind, milliseconds, status,
error); the benchmark counts those inside the measured window, which starts when the last
person has arrived and signed in, and lasts the plan's `measure_seconds`, after which this
file stops the run.
"""

from __future__ import annotations

import csv
import html.parser
import itertools
import json
import os
import random
import re
import time
from pathlib import Path
from urllib.parse import urlencode

import gevent
from locust import FastHttpUser, between, events, task

PLAN = json.loads(Path(os.environ["CAPACITY_PLAN"]).read_text(encoding="utf-8"))
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')
_people = itertools.count()
_request_numbers = itertools.count()
SAMPLES: list[tuple] = []
RUN: dict = {}
COMMENT_WORDS = ("We see this too", "Same again overnight", "Our settlement team confirms the gap",
                 "Any news on the fix date?", "Thanks, the workaround helps", "Still happening on the latest run",
                 "Raised with our data collector", "Affects three of our MPANs")


def _slug(kind: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", kind.lower()).strip("-")


@events.request.add_listener
def _record(request_type, name, response_time, response_length, exception=None, start_time=None, response=None,
            **_kwargs):
    status = getattr(response, "status_code", 0) or 0
    SAMPLES.append((round(start_time or time.time(), 4), name, round(response_time, 2), status,
                    "" if exception is None else str(exception)[:200]))


@events.init.add_listener
def _keep_environment(environment, **_kwargs):
    RUN["environment"] = environment


@events.spawning_complete.add_listener
def _everyone_arrived(user_count, **_kwargs):
    RUN["people"] = user_count
    _maybe_start_window()


def _maybe_start_window():
    """Once everyone has arrived and signed in, the window runs; then the run stops (bounded by --run-time too)."""
    if "people" not in RUN or RUN.get("signed_in", 0) < RUN["people"] or "window" in RUN:
        return
    RUN["window"] = window = Path(PLAN["window_file"])
    window.write_text(json.dumps({"started": time.time(), "people": RUN["people"]}))

    def stop_after_window():
        gevent.sleep(PLAN["measure_seconds"])
        window.write_text(json.dumps({**json.loads(window.read_text()), "ended": time.time()}))
        RUN["environment"].runner.quit()

    gevent.spawn(stop_after_window)


@events.quitting.add_listener
def _write_samples(environment, **_kwargs):
    with open(PLAN["samples_file"], "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(("started", "kind", "ms", "status", "error"))
        writer.writerows(SAMPLES)


class FormFields(html.parser.HTMLParser):
    """The fields a browser would send from the first form whose action ends with `action`."""

    def __init__(self, action: str):
        super().__init__(convert_charrefs=True)
        self.action, self.inside, self.done = action, False, False
        self.fields: list[tuple[str, str]] = []
        self._select: str | None = None
        self._first_option: str | None = None
        self._chosen: str | None = None
        self._textarea: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and not self.done and (a.get("action") or "").endswith(self.action):
            self.inside = True
        if not self.inside:
            return
        name = a.get("name")
        if tag == "input" and name and a.get("type") not in ("submit", "button", "file"):
            if a.get("type") in ("checkbox", "radio") and "checked" not in a:
                return
            self.fields.append((name, a.get("value") or ("on" if a.get("type") == "checkbox" else "")))
        elif tag == "select" and name:
            self._select, self._first_option, self._chosen = name, None, None
        elif tag == "option" and self._select is not None:
            value = a.get("value") or ""
            if self._first_option is None:
                self._first_option = value
            if "selected" in a:
                self._chosen = value
        elif tag == "textarea" and name:
            self._textarea, self._text = name, []

    def handle_data(self, data):
        if self._textarea is not None:
            self._text.append(data)

    def handle_endtag(self, tag):
        if not self.inside:
            return
        if tag == "select" and self._select is not None:
            chosen = self._chosen if self._chosen is not None else self._first_option
            if chosen is not None:
                self.fields.append((self._select, chosen))
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            self.fields.append((self._textarea, "".join(self._text).removeprefix("\n")))
            self._textarea = None
        elif tag == "form":
            self.inside, self.done = False, True


def form_fields(page: str, action: str) -> list[tuple[str, str]]:
    parser = FormFields(action)
    parser.feed(page)
    return parser.fields


class Person(FastHttpUser):
    """Someone signed in to the tracker; subclasses say who and what they do."""

    abstract = True
    wait_time = between(*PLAN["think_seconds"])
    accounts: list[str] = []

    def __init__(self, environment):
        self.number = next(_people)
        self.host = PLAN["hosts"][self.number % len(PLAN["hosts"])]
        super().__init__(environment)
        # An address of its own in the benchmarking range (RFC 2544), as the proxy would pass it on.
        self.address = f"198.18.{self.number // 250}.{self.number % 250 + 1}"
        self.email = self.accounts[type(self)._next_account()]
        self.rng = random.Random(PLAN["random_seed"] + self.number)
        self.token = ""
        self.status = 0

    _counter: itertools.count

    @classmethod
    def _next_account(cls) -> int:
        return next(cls._counter) % len(cls.accounts)

    # ---------------------------------------------------------------- requests

    def _headers(self, kind: str, htmx: bool, extra: dict | None = None) -> dict:
        headers = {"X-Forwarded-For": self.address, "X-Request-ID": f"cap.{_slug(kind)}.{next(_request_numbers)}"}
        if htmx:
            headers["HX-Request"] = "true"
        return {**headers, **(extra or {})}

    def get(self, kind: str, path: str, htmx: bool = False, expect: int = 200) -> str:
        with self.client.get(path, name=kind, headers=self._headers(kind, htmx), allow_redirects=False,
                             catch_response=True) as response:
            return self._check(response, expect, path)

    def post(self, kind: str, path: str, fields, htmx: bool = False, expect: int | tuple[int, ...] = 200,
             ) -> tuple[str, str]:
        headers = self._headers(kind, htmx, {"Content-Type": "application/x-www-form-urlencoded"})
        with self.client.post(path, data=urlencode(fields), name=kind, headers=headers, allow_redirects=False,
                              catch_response=True) as response:
            text = self._check(response, expect, path)
            self.status = response.status_code
            return text, (response.headers or {}).get("Location", "")

    def _check(self, response, expect: int | tuple[int, ...], path: str) -> str:
        text = response.text or ""
        if response.status_code not in (expect if isinstance(expect, tuple) else (expect,)):
            reason = "signed out" if response.status_code == 302 else f"answered {response.status_code}"
            response.failure(f"{path} {reason}, expected {expect}")
            return ""
        response.success()
        match = CSRF.search(text)
        if match:
            self.token = match.group(1) or match.group(2)
        return text

    def on_start(self):
        self.get("sign-in form", "/login")
        _, where = self.post("sign in", "/login", {"email": self.email, "password": PLAN["password"],
                                                   "csrf_token": self.token}, expect=303)
        # As a browser does: the page after signing in carries the new session's form token.
        self.get("home", where or "/")
        RUN["signed_in"] = RUN.get("signed_in", 0) + 1
        _maybe_start_window()

    # ---------------------------------------------------------------- what people look at

    def issue_id(self) -> int:
        return self.rng.choice(PLAN["issues"])

    def list_first_page(self):
        self.get("issues list", "/issues")

    def list_filtered(self):
        filters = {"service": self.rng.choice(PLAN["services"]), "status": self.rng.choice(PLAN["statuses"])}
        if self.rng.random() < 0.4:
            filters["sort"] = self.rng.choice(PLAN["sorts"])
        if self.rng.random() < 0.3:
            filters["severity"] = self.rng.choice(PLAN["severities"])
        self.get("issues filtered (htmx)", "/issues?" + urlencode(filters), htmx=True)

    def list_later_page(self):
        self.get("issues later page", f"/issues?page={self.rng.randint(2, PLAN['last_page'])}")

    def search(self):
        words = self.rng.choice(PLAN["searches"])
        args = {"q": words, "status": "all"} if self.rng.random() < 0.7 else {"q": words}
        self.get("search (htmx)", "/issues?" + urlencode(args), htmx=True)

    def issue(self):
        self.get("issue", f"/issues/{self.issue_id()}")

    def dashboard(self):
        self.get("KPI dashboard", "/performance")

    def home(self):
        self.get("home", "/")


class Participant(Person):
    """Nine in ten: people from the industry reading issues, searching and following the figures."""

    accounts = PLAN["participants"]
    _counter = itertools.count()

    @task(2)
    def first_page(self):
        self.list_first_page()

    @task(2)
    def filtered(self):
        self.list_filtered()

    @task(1)
    def later_page(self):
        self.list_later_page()

    @task(3)
    def searching(self):
        self.search()

    @task(4)
    def reading(self):
        self.issue()

    @task(1)
    def figures(self):
        self.dashboard()

    @task(1)
    def start_page(self):
        self.home()


class Staff(Person):
    """One in ten: the service-management team, commenting on issues and updating them as they read."""

    # As many as the plan has staff accounts (one in ten people), arriving first; the rest are participants.
    fixed_count = len(PLAN["staff"])
    abstract = not PLAN["staff"]  # one person alone is a participant
    accounts = PLAN["staff"]
    _counter = itertools.count()

    @task(3)
    def comment(self):
        issue_id = self.issue_id()
        self.get("issue", f"/issues/{issue_id}")
        body = f"{self.rng.choice(COMMENT_WORDS)} ({self.email.split('@')[0]}, {time.strftime('%H:%M:%S')})"
        self.post("comment (htmx)", f"/issues/{issue_id}/comments", {"body": body, "csrf_token": self.token},
                  htmx=True)

    @task(2)
    def update(self):
        issue_id = self.issue_id()
        page = self.get("issue edit form", f"/issues/{issue_id}/edit")
        if not page:
            return
        fields = [(name, value) for name, value in form_fields(page, f"/issues/{issue_id}/edit")
                  if name != "progress_note"]
        fields.append(("progress_note", f"Checked with the service team at {time.strftime('%H:%M:%S')}; "
                                        "next update after the next settlement run."))
        page, where = self.post("issue update", f"/issues/{issue_id}/edit", fields, expect=(303, 409))
        if self.status == 409:
            # Someone else saved the issue after this person opened it: the form comes back with
            # their input kept and the issue's new version, and they save again, as a person would.
            fields = form_fields(page, f"/issues/{issue_id}/edit")
            _, where = self.post("issue update, saved again", f"/issues/{issue_id}/edit", fields, expect=303)
        if where:
            self.get("issue", where)

    @task(2)
    def reading(self):
        self.issue()

    @task(1)
    def listing(self):
        self.list_filtered()

    @task(1)
    def searching(self):
        self.search()
