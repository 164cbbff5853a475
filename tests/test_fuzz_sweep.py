"""Every route, every role, odd input: never a 5xx, and a refused request stores nothing.

The routes come from the app's own URL map, so a new route is swept without anyone
adding it here. For each role (anonymous, participant, a participant of another
organisation, staff, admin) Hypothesis draws, for every route and method in turn:
path values (real ids, hidden ones, missing ones, the largest an address allows),
query strings and form fields with odd Unicode, control characters, whitespace,
characters Python calls digits that int() refuses, huge numbers, repeated parameters
and missing fields — on their own, or as a real form with some fields removed or spoiled.

Bounded: a fixed number of requests per route and method for each role — a few in the
everyday run (the same ones each time: derandomized), hundreds with TEST_DEPTH=deep
(`scripts/test.sh --deep`, fresh ones each run); FUZZ_PASSES sets any other number. Set
FUZZ_REPORT_DIR to keep a JSON summary of each run (requests, statuses, routes).
"""

from __future__ import annotations

import functools
import json
import os
from collections import Counter
from datetime import date

import pytest
import sqlalchemy as sa
from forum_builders import make_action, make_meeting, make_poll
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict

from issues_tracker.core.extensions import db
from issues_tracker.issues import operations as issue_service
from issues_tracker.log import operations as log_service
from issues_tracker.log import weeks as log_weeks
from issues_tracker.models import ForumAction, Issue, LogCommentary, Meeting, Poll
from tests.conftest import Browser, csrf_for
from tests.helpers import VALID_SUBMISSION, make_issue

pytestmark = pytest.mark.both_databases

DEEP = os.environ.get("TEST_DEPTH") == "deep"
PASSES_PER_ROLE = int(os.environ.get("FUZZ_PASSES") or (200 if DEEP else 4))

ODD_TEXT = [
    "", " ", "\t \n", "\u00a0", "\u3000", "²", "³⁴", "١٢", "٣", "४२", "𝟙𝟚", "Ⅻ", "½", "\x00", "a\x00b", "\x07\x1b[2J",
    "\x7f", "\u202eevil", "\ufeff", "é", "😀", "-1", "0", "00", "1e309", "9" * 40, "-" + "9" * 25, "2147483648",
    "NaN", "inf", "2026-02-30", "0001-01-01", "9999-12-31", "IIT-²", "#١", "%", "%00", "'; DROP TABLE issue;--",
    "<script>alert(1)</script>", "{{7*7}}", "../../etc/passwd", "x" * 5_000, "In Progress", "OPEN", "published",
]
# What Python calls digits but int() refuses, or nothing but space: the commonest cause of a 500.
ODD_DIGITS = ["²", "³⁴", "١٢", "٣", "४२", "𝟙𝟚", "፩", " ", "\t", "\u3000", "1²", " 7 ", "\x00", "a\x00b", "\x7f\x01"]
# Field names a form reads by pattern (rows of a list, poll questions), written with odd digits.
ODD_NAMES = ["agenda-²-topic", "agenda-١-number", "questions-³-text", "questions-٣-kind", "q²", "q١", "q" + "9" * 20]
odd_text = st.one_of(
    st.sampled_from(ODD_DIGITS), st.sampled_from(ODD_TEXT), st.text(max_size=40), st.integers().map(str)
)

FIELD_NAMES = [
    "q", "service", "status", "resolution_status", "impact", "next_run", "severity", "owner", "triage", "stale", "sort",
    "page", "summary", "services", "description", "root_cause", "root_cause_certainty", "supplier_impact",
    "distributor_impact", "messages", "settlement_impact", "dependencies", "parties_responsible", "next_run_resolves",
    "service_desk_refs", "impact_assessment", "action_underway", "resolution_description", "owner_id", "target_date",
    "progress_note", "version", "submission_token", "decision", "reason", "owner_name", "due_date", "date_raised",
    "meeting_id", "issue_ref", "text", "title", "intro", "closes_at", "use_standard", "add_question", "meeting_date",
    "chair", "start_time", "end_time", "recording_url", "minutes", "add_agenda_item", "agenda-0-topic",
    "agenda-0-number", "agenda-²-topic", "agenda-١-topic", "agenda-99999999-topic", "questions-0-text",
    "questions-0-kind", "questions-0-options", "questions-³-text", "trends", "emerging_risks", "decisions_required",
    "week", "revise", "email", "password", "name", "role", "organisation_id", "active", "kind", "next", "revision",
    "from", "to", "as_at", "key", "q1", "q²", "q١", "q" + "9" * 20,
]
field_name = st.one_of(st.sampled_from(FIELD_NAMES), st.text(min_size=1, max_size=12))
# A list of pairs, so the same name can come more than once (repeated parameters).
odd_pairs = st.lists(st.tuples(field_name, odd_text), max_size=6)
# The query parameters each page reads; any other route gets the generic ones.
QUERY_PARAMS = {
    "issues.index": ["q", "service", "status", "resolution_status", "impact", "next_run", "severity", "owner",
                     "triage", "stale", "sort", "page"],
    "forum.actions": ["status", "owner"],
    "log.week_pdf": ["revision"],
    "accounts.login": ["next"],
}
QUERY_PARAMS["issues.export_csv"] = QUERY_PARAMS["issues.export_xlsx"] = QUERY_PARAMS["issues.index"]
GENERIC_PARAMS = ["page", "q", "next", "meeting_id", "revision", "key", "week", "from", "to", "as_at"]


def pairs_for(names: list[str]) -> st.SearchStrategy:
    """Odd values for the names a route reads (sometimes repeated), and now and then a stranger."""
    name = st.one_of(st.sampled_from(names), st.sampled_from(names), st.sampled_from(names), field_name)
    return st.lists(st.tuples(name, odd_text), min_size=1, max_size=8)

ROLES = ["anonymous", "participant", "other_org", "staff", "admin"]
EXCLUDED_ENDPOINTS = set()  # nothing is left out


CURRENT = object()  # in a baseline form: the record's version now, as a freshly opened form has it
VERSIONED = {
    "issues.edit": (Issue, "issue_id"),
    "polls.edit": (Poll, "poll_id"),
    "forum.edit_meeting": (Meeting, "meeting_id"),
    "forum.update_action": (ForumAction, "number"),
    "forum.edit_action": (ForumAction, "number"),
    "log.commentary": (LogCommentary, "week"),
}


class World:
    """The records the sweep points at, with the forms that would change them."""

    def __init__(self, users: dict, staff):
        participant = users["participant"]
        self.published = make_issue(participant, publish_by=staff, summary="Published issue for the sweep")
        self.pending = make_issue(participant, summary="Pending issue of the participant's organisation")
        self.rejected = make_issue(participant, summary="Rejected issue for the sweep")
        issue_service.triage_issue(self.rejected, staff, "reject", "Duplicate of another issue")
        self.action = issue_service.add_action(self.published, staff, {"description": "Check", "owner_name": "Ann"})
        db.session.commit()
        self.meeting = make_meeting(date(2026, 5, 12), agenda=[(1, "Welcome", "Chair")])
        self.open_poll = make_poll(meeting=self.meeting)
        self.draft_poll = make_poll(state="draft", title="Draft poll")
        self.forum_action = make_action(staff, meeting=self.meeting, issue=self.pending)
        self.week = log_weeks.current_week()
        log_service.save_commentary(self.week, {"trends": "Fewer DIP rejections"}, staff)
        db.session.commit()
        self.victim = users["victim"]
        self.ids = {
            "issue_id": [self.published.id, self.pending.id, self.rejected.id],
            "action_id": [self.action.id],
            "number": [self.forum_action.number],
            "meeting_id": [self.meeting.id],
            "poll_id": [self.open_poll.id, self.draft_poll.id],
            "org_id": [participant.organisation_id],
            "user_id": [self.victim.id],
        }
        questions = self.open_poll.questions
        self.baselines = {
            "issues.new": dict(VALID_SUBMISSION),
            "issues.edit": {**{k: v for k, v in VALID_SUBMISSION.items()}, "status": "Under investigation",
                            "impact_assessment": "In progress", "resolution_status": "Planned", "owner_id": "0",
                            "progress_note": "Checked", "version": CURRENT},
            "issues.triage": {"decision": "reject", "reason": "Not an industry issue"},
            "issues.add_action": {"description": "Share the fix", "owner_name": "Joe", "due_date": "2026-06-01",
                                  "status": "Open"},
            "issues.update_action": {"status": "Done"},
            "polls.respond": {f"q{questions[0].id}": "Yes", f"q{questions[1].id}": "4", f"q{questions[2].id}": "Fine"},
            "polls.new": {"title": "Sweep poll", "questions-0-text": "Useful?", "questions-0-kind": "choice",
                          "questions-0-options": "Yes\nNo"},
            "polls.edit": {"title": "Draft poll", "version": CURRENT},
            "forum.new_meeting": {"meeting_date": "2026-07-14", "title": "Forum", "start_time": "10:00",
                                  "end_time": "12:00", "agenda-0-topic": "Welcome"},
            "forum.edit_meeting": {"meeting_date": "2026-05-12", "title": "Forum", "start_time": "10:00",
                                   "end_time": "12:00", "version": CURRENT},
            "forum.new_action": {"description": "Publish the backlog", "owner_name": "Joe", "date_raised": "2026-05-12",
                                 "meeting_id": "0", "status": "Open"},
            "forum.update_action": {"status": "Propose Close", "text": "Done", "version": CURRENT},
            "forum.edit_action": {"description": "Publish the backlog", "owner_name": "Joe", "date_raised": "2026-05-12",
                                  "meeting_id": "0", "version": CURRENT},
            "log.commentary": {"trends": "More", "version": CURRENT},
            "log.publish": {"week": self.week.isoformat()},
            "log.start_preview": {"week": self.week.isoformat()},
            "admin.new_organisation": {"name": "Sweep Org", "kind": "supplier"},
            "admin.edit_organisation": {"name": "Northern Supply Co", "kind": "supplier"},
            "admin.new_user": {"email": "new@sweep.example", "name": "New", "role": "participant",
                               "organisation_id": str(participant.organisation_id), "password": "a-long-password",
                               "active": "y"},
            "admin.edit_user": {"email": self.victim.email, "name": "Victim", "role": "participant",
                                "organisation_id": str(self.victim.organisation_id), "active": "y"},
            "accounts.login": {"email": "nobody@example.org", "password": "wrong-password"},
        }

    def version_of(self, endpoint: str, values: dict) -> str:
        """The version the record named in the address has now: the form as freshly opened."""
        model, key = VERSIONED.get(endpoint, (None, None))
        if model is None or key not in values:
            return ""
        column = model.number if key == "number" else (model.week_commencing if key == "week" else model.id)
        try:
            version = db.session.scalar(sa.select(model.version).where(column == values[key]))
        except Exception:  # noqa: BLE001 (a path value the column cannot hold)
            version = None
        db.session.rollback()
        return str(version or 0)

    def path_values(self, name: str, converter) -> st.SearchStrategy:
        if isinstance(converter, list):  # <any(a, b):name>: one of its words (anything else is not a route)
            return st.sampled_from(converter)
        if converter == "DatabaseIdConverter" or converter == "IntegerConverter":
            known = self.ids.get(name, [])
            return st.sampled_from([*known, 0, 1, 999_999, 2**31 - 1, 2**31, 10**30])
        if name == "week":
            return st.one_of(st.sampled_from([self.week.isoformat(), "2026-02-30", "2026-04-07", "²"]), odd_text)
        if name == "job_id":
            return st.sampled_from(["0" * 32, "f" * 32, "../x", "²" * 32])
        if name == "filename":
            return st.sampled_from(["css/app.css", "../../etc/passwd", "nope.js", "%00"])
        return odd_text


@functools.cache
def _fingerprint_query():
    parts = []
    for table in db.metadata.sorted_tables:
        parts.append(sa.select(sa.literal(table.name), sa.func.count()).select_from(table))
        if "version" in table.c:
            parts.append(sa.select(sa.literal(table.name + ".version"), sa.func.coalesce(sa.func.sum(table.c.version), 0)))
    return sa.union_all(*parts)


def _fingerprint() -> tuple:
    """Row counts of every table and the sum of every record version: unchanged means nothing was stored."""
    rows = db.session.execute(_fingerprint_query()).all()
    db.session.rollback()
    return tuple(sorted((name, int(value)) for name, value in rows))


def _rules(app):
    rules = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: (r.rule, r.endpoint)):
        if rule.endpoint in EXCLUDED_ENDPOINTS:
            continue
        converters = {name: (sorted(conv.items) if type(conv).__name__ == "AnyConverter" else type(conv).__name__)
                      for name, conv in rule._converters.items()}
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            rules.append((rule, method, converters))
    return rules


def _form(data, world: World, endpoint: str, values: dict) -> list[tuple[str, str]]:
    baseline = world.baselines.get(endpoint)
    if baseline and data.draw(st.booleans(), label="start from the real form"):
        baseline = {k: world.version_of(endpoint, values) if v is CURRENT else v for k, v in baseline.items()}
        pairs = [(k, v) for k, values in baseline.items() for v in (values if isinstance(values, list) else [values])]
        drop = data.draw(st.sets(st.integers(0, max(0, len(pairs) - 1)), max_size=len(pairs)), label="fields left out")
        pairs = [pair for index, pair in enumerate(pairs) if index not in drop]
        names = st.one_of(st.sampled_from(sorted(baseline)), st.sampled_from(sorted(baseline)), st.sampled_from(ODD_NAMES))
        spoil = data.draw(st.lists(st.tuples(names, odd_text), max_size=4), label="spoiled")
        spoiled = {name for name, _ in spoil}
        return [pair for pair in pairs if pair[0] not in spoiled] + spoil
    names = sorted(baseline) if baseline else FIELD_NAMES
    return data.draw(st.one_of(pairs_for(names), odd_pairs), label="odd fields")


@pytest.fixture
def roles(app, make_user):
    users = {
        "participant": make_user("participant", org="Northern Supply Co"),
        "other_org": make_user("participant", org="Eastern Networks"),
        "staff": make_user("staff", org="Elexon"),
        "admin": make_user("admin", org="Elexon"),
        "victim": make_user("participant", org="Solent Power"),
    }
    return users


# Each role's sweep in a few parts (every part-th route), so parallel test processes share it evenly.
PARTS = 3


@pytest.mark.parametrize("part", range(PARTS), ids=lambda part: f"part{part + 1}of{PARTS}")
@pytest.mark.parametrize("role", ROLES)
def test_no_route_answers_5xx_or_stores_a_refused_request(app, roles, role, part):
    world = World(roles, roles["staff"])
    browser = Browser(app.test_client())

    def sign_in():
        if role != "anonymous":
            with app.app_context():
                browser.login(roles[role])

    sign_in()
    rules = _rules(app)[part::PARTS]
    report = {"role": role, "part": part + 1, "requests": 0, "statuses": Counter(), "routes": set(), "failures": []}
    # The fingerprint taken after a refused request, which must equal the one before it: nothing the
    # sweep does between requests writes, so it stands as the next request's "before" (counting every
    # table again for each request was a third of the sweep's time on PostgreSQL).
    unchanged: list[tuple] = []

    def send(data, rule, method, converters):
        values = {name: data.draw(world.path_values(name, conv), label=f"{rule.endpoint}:{name}")
                  for name, conv in converters.items()}
        try:
            path = rule.build(values, append_unknown=False)[1]
        except Exception:  # noqa: BLE001 (a value the converter cannot put in an address)
            return
        query = data.draw(pairs_for(QUERY_PARAMS.get(rule.endpoint, GENERIC_PARAMS)), label="query")
        before = unchanged.pop() if unchanged else _fingerprint()
        if method == "GET":
            response = browser.client.get(path, query_string=query)
        else:
            body = MultiDict(_form(data, world, rule.endpoint, values))
            headers = {}
            if data.draw(st.sampled_from([True, True, True, False]), label="csrf"):
                token = csrf_for(browser.client)
                htmx = data.draw(st.booleans(), label="htmx")
                if htmx:
                    headers = {"X-CSRFToken": token, "HX-Request": "true"}
                else:
                    body.add("csrf_token", token)
            response = browser.client.post(path, query_string=query, data=body, headers=headers)
        status = response.status_code
        report["requests"] += 1
        report["statuses"][status] += 1
        report["routes"].add(f"{method} {rule.rule}")
        assert status < 500, (role, method, path, query, response.get_data(as_text=True)[:300])
        if status >= 400:
            after = _fingerprint()
            assert after == before, (role, method, path, "stored something although refused", status)
            unchanged.append(after)
        if rule.endpoint == "accounts.logout" and status < 400:
            sign_in()

    # No shrinking: a failure is reported as found (request and answer), so a failing run stays as short as a passing one.
    # Each route is its own Hypothesis run: one example is one request, small enough never to overrun
    # Hypothesis's buffer (a whole pass over the URL map in one example did, and was run again and again).
    # Each example is a request through the whole app, so generating the next one waits on the last:
    # Hypothesis's "too slow" check would measure the app, not the strategies.
    # Hypothesis reads the source of the function it runs twice for each route (to seed the run and
    # to name it), so that function is one line: reading send's would cost more than the requests.
    @settings(max_examples=PASSES_PER_ROLE, deadline=None, derandomize=not DEEP, database=None,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=[HealthCheck.too_slow])
    @given(data=st.data())
    def one_request(data, rule, method, converters):
        send(data, rule, method, converters)

    for rule, method, converters in rules:
        one_request(rule=rule, method=method, converters=converters)
    assert report["routes"] == {f"{method} {rule.rule}" for rule, method, _ in rules}
    if os.environ.get("FUZZ_REPORT_DIR"):
        path = os.path.join(os.environ["FUZZ_REPORT_DIR"], f"fuzz-{role}-part{part + 1}-{db.engine.dialect.name}.json")
        with open(path, "w") as out:
            json.dump({**report, "statuses": dict(report["statuses"]), "routes": sorted(report["routes"])}, out, indent=1)

