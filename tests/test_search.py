"""Searching the issues: ranking, what a search may and may not see, and an index that follows every change."""

import csv
import io
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from issues_tracker.core.extensions import db
from issues_tracker.core.models import utcnow
from issues_tracker.issues import operations as issue_service
from issues_tracker.issues import queries as issue_queries
from issues_tracker.issues.synthetic import generate
from issues_tracker.issues.tracker_import import import_tracker
from issues_tracker.models import Issue, IssueEvent, Organisation
from issues_tracker.search import queries as search_queries
from issues_tracker.search.text import highlight, parse_search
from tests.helpers import make_issue

pytestmark = pytest.mark.both_databases


def found(browser, q, **args) -> list[int]:
    """The issue ids a search lists, in order (every status unless asked otherwise)."""
    response = browser.get("/issues", query_string={"q": q, "status": "all", **args})
    assert response.status_code == 200, (q, response.status_code)
    return [int(ref) for ref in re.findall(r'<td><a href="/issues/(\d+)">IIT-', response.get_data(as_text=True))]


def count_line(browser, q, **args) -> str:
    html = browser.get("/issues", query_string={"q": q, "status": "all", **args}).get_data(as_text=True)
    return re.search(r'<p class="results-count">(.*?)</p>', html, re.S).group(1)


# ------------------------------------------------------------------ ranking


@pytest.mark.parametrize("service_first", [True, False], ids=["service older", "service newer"])
def test_an_issue_for_the_service_outranks_one_that_mentions_it_in_passing(browser, staff, participant, service_first):
    """Whichever is newer: among equals the newer comes first, so both orders are tried."""
    made = {}
    for kind in (("service", "mention") if service_first else ("mention", "service")):
        if kind == "service":
            made[kind] = make_issue(
                participant, publish_by=staff, services=["DIP"], summary="Acknowledgements missing",
                description="No acknowledgement for messages sent in the morning.",
            )
        else:
            made[kind] = make_issue(
                participant, publish_by=staff, services=["ISD"], summary="Standing data published late",
                description="Seen while checking the DIP logs and the ISD extract for the morning run.",
            )
    browser.login(participant)
    assert found(browser, "DIP") == [made["service"].id, made["mention"].id]
    assert found(browser, "dip") == [made["service"].id, made["mention"].id]


@pytest.mark.parametrize("owner_first", [True, False], ids=["owner older", "owner newer"])
def test_an_exact_reference_outranks_a_passing_mention(browser, staff, participant, owner_first):
    def make_owner():
        return make_issue(participant, publish_by=staff, summary="Scheduled extract not delivered",
                          service_desk_refs="CS0016629, INC0126133")

    owner = make_owner() if owner_first else None
    noted = make_issue(participant, publish_by=staff, summary="Late certificate renewal reminders")
    issue_service.update_issue(noted, {}, staff, expected_version=None, note="Compare with CS0016629, raised in March.")
    db.session.commit()
    owner = owner or make_owner()
    browser.login(participant)
    assert found(browser, "CS0016629") == [owner.id, noted.id]
    assert found(browser, "cs0016629")[0] == owner.id
    assert found(browser, "INC0126133") == [owner.id]
    assert found(browser, owner.reference)[0] == owner.id
    assert found(browser, f"#{owner.id}")[0] == owner.id


def test_the_summary_outranks_the_description(browser, staff, participant):
    in_description = make_issue(participant, publish_by=staff, summary="Morning run questions",
                                description="Participants ask about reconciliation of volumes.")
    in_summary = make_issue(participant, publish_by=staff, summary="Reconciliation discrepancies",
                            description="Volumes differ from participants' own records.")
    browser.login(participant)
    assert found(browser, "reconciliation") == [in_summary.id, in_description.id]


def test_search_looks_at_everything_a_reader_sees_on_the_issue(browser, staff, participant, make_user):
    supplier = make_user("participant", org="Brightwater Energy")
    issue = make_issue(
        supplier, publish_by=staff, summary="Large file processing delays", services=["DIP", "Service Management"],
        messages=["PUB"], description="Files over 50 MB wait in the queue.", root_cause="Throughput under load",
        parties_responsible="Platform provider", settlement_impact="Late settlement inputs",
        dependencies="Capacity upgrade",
    )
    issue_service.update_issue(issue, {"action_underway": "Throttling tuned", "resolution_description": "Autoscaling",
                                       "status": "Fix in progress"},
                               staff, expected_version=None, note="Workaround agreed with the wholesale team.")
    db.session.commit()
    issue_service.add_action(issue, staff, {"description": "Confirm the backlog cleared", "owner_name": "Morgan Hale"})
    db.session.commit()
    make_issue(participant, publish_by=staff, summary="Unrelated onboarding question", services=["Other"], messages=["N/A"])
    browser.login(participant)
    for words in ("processing delays", "queue", "throughput", "platform provider", "late settlement", "capacity",
                  "throttling", "autoscaling", "wholesale", "backlog", "Morgan Hale", "Brightwater", "PUB",
                  "publications", "Data Integration Platform", "service management", issue.reference, "fix in progress"):
        assert found(browser, words) == [issue.id], words


def test_words_match_as_people_type_them_and_in_other_forms(browser, staff, participant):
    issue = make_issue(participant, publish_by=staff, summary="Message schema validation failures",
                       description="Rejections of queries about the reconciliation.")
    browser.login(participant)
    for typed in ("valida", "validat", "validation", "validated", "schema valid", "reconcil", "failure", "failures",
                  "rejected", "query", "Schéma", "SCHEMA VALIDATION FAILURES"):
        assert found(browser, typed) == [issue.id], typed
    # Only the word being typed is a prefix; a finished word must match as a word.
    assert found(browser, "valid schema") == [issue.id]
    assert found(browser, "valida schema") == []
    assert found(browser, "schema valid ") == [issue.id]  # "valid" and "validation" share a stem


# ------------------------------------------------------------------ what a search may see


def test_search_never_shows_or_counts_what_the_person_may_not_see(browser, staff, participant, colleague, outsider):
    make_issue(outsider, summary="Quokka sightings in the other organisation's submission")
    rejected = make_issue(outsider, summary="Quokka sightings rejected")
    issue_service.triage_issue(rejected, staff, "reject", "Not an industry issue.")
    db.session.commit()
    own = make_issue(colleague, summary="Quokka sightings in our own submission")
    published = make_issue(outsider, publish_by=staff, summary="Quokka sightings published")

    browser.login(participant)
    assert sorted(found(browser, "quokka")) == sorted([own.id, published.id])
    assert "<strong>2</strong> issues" in count_line(browser, "quokka")
    assert sorted(found(browser, "quokka", sort="id")) == sorted([own.id, published.id])
    csv_text = browser.get("/issues.csv?status=all&q=quokka").get_data(as_text=True)
    assert "other organisation" not in csv_text and "rejected" not in csv_text.lower()
    browser.logout()

    browser.login(staff)
    assert len(found(browser, "quokka")) == 4


@pytest.mark.parametrize("hidden_word", ["omega", "kappa"])
def test_the_order_of_results_says_nothing_of_issues_the_person_may_not_see(
    browser, staff, participant, outsider, hidden_word
):
    """Two of the participant's issues that rank alike must stay in the same order whichever
    words another organisation's unpublished issues use (an index-wide word weighting would
    put first the one richer in the word the hidden issues lack)."""
    for number in range(10):
        make_issue(outsider, publish_by=staff, summary=f"Filler {number}", description="routine filler text")
    first = make_issue(participant, summary="Probe one", description="kappa kappa kappa omega")
    second = make_issue(participant, summary="Probe two", description="kappa omega omega omega")
    browser.login(participant)
    before = found(browser, "kappa omega", status="")
    for number in range(3):
        make_issue(outsider, summary=f"Confidential {number}", description=f"Our {hidden_word} contract")
    assert sorted(before) == sorted([first.id, second.id])
    assert found(browser, "kappa omega", status="") == before
    browser.logout()
    browser.login(staff)
    assert len(found(browser, hidden_word)) == 3 + 2  # the hidden issues are there, for those who may see them


def test_the_index_words_that_hold_visibility_cannot_be_searched_for(browser, staff, participant, outsider):
    hidden = make_issue(outsider, summary="Hidden submission")
    other_org = f"o{outsider.organisation_id}"
    browser.login(participant)
    for typed in ("private", "tpending", other_org, "facets : private", "{facets}: tpending", "sopen", "stnew"):
        assert hidden.id not in found(browser, typed), typed
        assert found(browser, typed) == [], typed


# ------------------------------------------------------------------ the index follows every change


def test_the_index_follows_every_change_to_an_issue(browser, staff, participant, outsider):
    issue = make_issue(participant, summary="Wombat feed outage")
    browser.login(outsider)
    assert found(browser, "wombat") == []  # awaiting triage: not the outsider's to see
    browser.logout()
    browser.login(participant)
    assert found(browser, "wombat") == [issue.id]

    issue_service.triage_issue(issue, staff, "publish")
    db.session.commit()
    issue_service.update_issue(issue, {"summary": "Numbat feed outage"}, staff, expected_version=None)
    db.session.commit()
    assert found(browser, "wombat") == []
    assert found(browser, "numbat") == [issue.id]
    issue_service.update_issue(issue, {}, staff, expected_version=None, note="Bilby gateway restarted.")
    db.session.commit()
    assert found(browser, "bilby") == [issue.id]
    issue_service.add_action(issue, staff, {"description": "Check the dingo queue", "owner_name": "Kim Kelpie"})
    db.session.commit()
    assert found(browser, "dingo") == [issue.id] and found(browser, "kelpie") == [issue.id]
    issue_service.update_issue(issue, {"services": ["LSS"], "messages": ["REP"]}, staff, expected_version=None)
    db.session.commit()
    assert found(browser, "LSS REP") == [issue.id] and found(browser, "Load Shaping") == [issue.id]
    issue_service.update_issue(issue, {"status": "Resolved", "resolution_description": "Feed replaced."}, staff,
                               expected_version=None)
    db.session.commit()
    assert found(browser, "numbat", status="open") == []
    assert found(browser, "numbat", status="closed") == [issue.id]

    issue.description = "Changed directly on the model: platypus"
    db.session.commit()
    assert found(browser, "platypus") == [issue.id]

    organisation = db.session.get(Organisation, participant.organisation_id)
    organisation.name = "Echidna Energy"
    db.session.commit()
    assert found(browser, "echidna") == [issue.id]
    browser.logout()

    browser.login(outsider)
    assert found(browser, "numbat") == [issue.id]  # published: everyone's to see
    rejected = make_issue(participant, summary="Quoll meter gaps", publish_by=None)
    browser.logout()
    browser.login(participant)
    assert found(browser, "quoll") == [rejected.id]
    issue_service.triage_issue(rejected, staff, "reject", "Handled as a service-desk case.")
    db.session.commit()
    browser.logout()
    browser.login(outsider)
    assert found(browser, "quoll") == []


def test_a_change_rolled_back_leaves_the_index_as_it_was(browser, staff, participant):
    issue = make_issue(participant, publish_by=staff, summary="Kookaburra alarms")
    issue.summary = "Cassowary alarms"
    db.session.flush()
    hits = search_queries.count_matches(db.session, parse_search("cassowary"), search_queries.Facets())
    assert hits == 1  # within the transaction, the index already agrees with the issue
    db.session.rollback()
    browser.login(participant)
    assert found(browser, "cassowary") == []
    assert found(browser, "kookaburra") == [issue.id]


def test_seeds_imports_and_generated_issues_are_searchable(app, browser, staff, participant, seeded_database):
    generate(20, random_seed=5)
    db.session.commit()
    header = "Issue ID,Issue Summary,Service / System,Current Status\n"
    result = import_tracker("tracker.csv", (header + "T-9,Galah imported from the spreadsheet,VAS,Under analysis\n").encode(), staff)
    db.session.commit()
    assert result.created == 1
    browser.login(participant)
    assert len(found(browser, "Certificate expiry")) >= 1  # the pack's row
    assert len(found(browser, "galah")) == 1
    synthetic = db.session.scalar(sa.select(Issue).where(Issue.source_ref.like("synthetic:%"), Issue.triage_state == "published"))
    assert synthetic.id in found(browser, synthetic.reference)


def test_a_bulk_load_holds_one_lock_on_the_index_not_one_per_issue(app, browser, participant):
    """A load of many issues in one transaction (the synthetic seed, an import) must not fill
    PostgreSQL's lock table, which holds 64 locks per connection by default: 100,000 generated
    issues once failed with "out of shared memory"."""
    from issues_tracker.search.index import LOCK_EACH_UP_TO

    generate(LOCK_EACH_UP_TO + 30, random_seed=7)
    db.session.flush()
    if db.engine.dialect.name == "postgresql":
        held = db.session.execute(sa.text(
            "SELECT locktype, coalesce(relation::regclass::text, ''), mode FROM pg_locks WHERE pid = pg_backend_pid()"
        )).all()
        assert not [lock for lock in held if lock[0] == "advisory"], held
        assert ("relation", "issue_search", "ShareRowExclusiveLock") in held
    db.session.commit()
    browser.login(participant)
    synthetic = db.session.scalar(sa.select(Issue).where(Issue.source_ref.like("synthetic:%"), Issue.triage_state == "published")
                                  .order_by(Issue.id.desc()))
    assert synthetic.id in found(browser, synthetic.reference)


def test_telling_followers_of_a_change_leaves_the_index_alone(browser, staff, participant):
    """Fan-out marks journal entries as sent; no searchable text changes, so nothing is re-indexed."""
    from issues_tracker.notifications.outbox import fan_out

    issue = make_issue(participant, publish_by=staff, summary="Bittern alarms")
    issue_service.update_issue(issue, {}, staff, expected_version=None, note="Bittern heard again at dawn.")
    db.session.commit()
    index_statements = []

    def seen(conn, cursor, statement, *args):
        if "issue_search" in statement:
            index_statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", seen)
    try:
        result = fan_out()
        db.session.commit()
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", seen)
    assert result.records >= 2 and index_statements == []
    browser.login(participant)
    assert found(browser, "dawn") == [issue.id]  # the note is still found
    issue_service.update_issue(issue, {}, staff, expected_version=None, note="Heard at dusk instead.")
    db.session.commit()
    assert found(browser, "dusk") == [issue.id]  # and a new note is indexed as before


def test_a_comment_is_indexed_once_though_it_is_also_journalled(browser, staff, participant):
    """The comment's row is part of the document; its journal entry (not a progress note) is not."""
    issue = make_issue(participant, publish_by=staff, summary="Curlew counts")
    db.session.commit()
    browser.login(participant)
    index_writes = []

    def seen(conn, cursor, statement, *args):
        if statement.lstrip().upper().startswith("DELETE FROM ISSUE_SEARCH "):
            index_writes.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", seen)
    try:
        response = browser.post(f"/issues/{issue.id}/comments", {"body": "Whimbrel seen on the estuary too."})
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", seen)
    assert response.status_code in (200, 303)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(IssueEvent).where(
        IssueEvent.issue_id == issue.id, IssueEvent.kind == "comment")) == 1
    assert len(index_writes) == 1
    assert found(browser, "whimbrel") == [issue.id]


def test_the_rebuild_command_restores_a_lost_index(app, browser, staff, participant):
    issue = make_issue(participant, publish_by=staff, summary="Lyrebird signal loss")
    db.session.execute(sa.text("DELETE FROM issue_search"))
    db.session.commit()
    browser.login(participant)
    assert found(browser, "lyrebird") == []
    result = app.test_cli_runner().invoke(args=["search", "rebuild"])
    assert result.exit_code == 0, result.output
    assert "Search index rebuilt: 1 issue indexed." in result.output
    assert found(browser, "lyrebird") == [issue.id]


# ------------------------------------------------------------------ filters, sorting, counts


def test_filters_and_search_combine(browser, staff, participant, colleague, outsider):
    dip_open = make_issue(participant, publish_by=staff, summary="Emu gateway timeouts", services=["DIP"])
    isd_open = make_issue(outsider, publish_by=staff, summary="Emu extract gaps", services=["ISD"], severity=1)
    closed = make_issue(outsider, publish_by=staff, summary="Emu certificate renewal", services=["DIP"])
    issue_service.update_issue(closed, {"status": "Closed", "resolution_description": "Certificates renewed."}, staff,
                               expected_version=None)
    db.session.commit()
    stale = make_issue(colleague, publish_by=staff, summary="Emu stale question", services=["MDS"])
    stale.last_update_at = utcnow() - timedelta(days=30)
    db.session.commit()

    browser.login(participant)
    assert sorted(found(browser, "emu")) == sorted([dip_open.id, isd_open.id, closed.id, stale.id])
    assert sorted(found(browser, "emu", status="open")) == sorted([dip_open.id, isd_open.id, stale.id])
    assert found(browser, "emu", status="closed") == [closed.id]
    assert sorted(found(browser, "emu", service="DIP")) == sorted([dip_open.id, closed.id])
    assert found(browser, "emu", severity="1") == [isd_open.id]
    assert sorted(found(browser, "emu", org="mine")) == sorted([dip_open.id, stale.id])
    assert found(browser, "emu", stale="1") == [stale.id]
    assert found(browser, "emu", status="Closed") == [closed.id]
    # The list's default is open issues, searched too.
    response = browser.get("/issues?q=emu").get_data(as_text=True)
    assert "<strong>3</strong> issues match these filters" in response and "Emu certificate renewal" not in response


def test_a_search_in_a_chosen_order_shows_where_each_issue_matched(browser, staff, participant):
    issue = make_issue(participant, publish_by=staff, summary="Overnight file late",
                       root_cause="A gannet-shaped gap in the scheduler's calendar.")
    browser.login(participant)
    for sort in ("relevance", "updated", "id"):
        html = browser.get("/issues", query_string={"q": "gannet", "status": "all", "sort": sort}).get_data(as_text=True)
        assert f'href="/issues/{issue.id}"' in html, sort
        assert "A <mark>gannet</mark>-shaped gap" in html, sort


def test_a_chosen_sort_replaces_relevance(browser, staff, participant):
    first = make_issue(participant, publish_by=staff, summary="Magpie alerts in passing", description="DIP mentioned")
    second = make_issue(participant, publish_by=staff, summary="Magpie DIP alerts", services=["DIP"])
    browser.login(participant)
    assert found(browser, "magpie DIP") == [second.id, first.id]
    assert found(browser, "magpie DIP", sort="id") == [first.id, second.id]
    html = browser.get("/issues?q=magpie&sort=relevance").get_data(as_text=True)
    assert "best match first" in html
    # Relevance without a search falls back to the latest update.
    assert browser.get("/issues?sort=relevance").status_code == 200


def test_a_broad_search_says_there_are_more_than_it_counts(app, browser, staff, participant, monkeypatch):
    monkeypatch.setattr(search_queries, "COUNT_CAP", 3)
    for number in range(5):
        make_issue(participant, publish_by=staff, summary=f"Heron report {number}")
    browser.login(participant)
    line = count_line(browser, "heron")
    assert "More than <strong>3</strong> issues match" in line
    assert len(found(browser, "heron")) == 5  # the page still lists the best of them
    for number in range(3):
        make_issue(participant, publish_by=staff, summary=f"Egret report {number}")
    assert "<strong>3</strong> issues match these filters" in count_line(browser, "egret")  # exactly the cap


def test_a_broad_search_in_a_chosen_order_lists_what_a_narrow_one_does(
    app, browser, staff, participant, outsider, monkeypatch
):
    """A search matching at least COUNT_CAP issues finds its pages another way (walking the
    sort order); the pages must be the same, and hidden issues still never appear."""
    app.config["ISSUES_PER_PAGE"] = 2
    visible = []
    for number in range(5):
        issue = make_issue(participant, publish_by=staff, summary=f"Plover report {number}", severity=1 + number % 4)
        issue.last_update_at = utcnow() - timedelta(days=[3, 1, 4, 1, 5][number], minutes=number)
        visible.append(issue)
    make_issue(outsider, summary="Plover report from elsewhere")  # not published: hidden from the participant
    db.session.commit()
    browser.login(participant)
    sorts = ("updated", "severity", "id")
    narrow = {sort: [found(browser, "plover", sort=sort, page=page) for page in (1, 2, 3)] for sort in sorts}
    by_update = sorted(visible, key=lambda issue: (issue.last_update_at, issue.id), reverse=True)
    assert sum(narrow["updated"], []) == [issue.id for issue in by_update]
    monkeypatch.setattr(search_queries, "COUNT_CAP", 3)  # counted as "more than 3": two pages of two
    broad = {sort: [found(browser, "plover", sort=sort, page=page) for page in (1, 2)] for sort in sorts}
    assert broad == {sort: pages[:2] for sort, pages in narrow.items()}
    assert "More than <strong>3</strong> issues match" in count_line(browser, "plover", sort="updated")


def test_pages_past_the_ranked_matches_go_on_newest_first_without_repeats(app, browser, staff, participant, monkeypatch):
    monkeypatch.setattr(search_queries, "WINDOW", 2)  # the newest two matches are ranked
    app.config["ISSUES_PER_PAGE"] = 2
    oldest_strong = make_issue(participant, publish_by=staff, summary="Kestrel feed outage")
    mentions = [make_issue(participant, publish_by=staff, summary=f"Weekly report {n}", description="A kestrel was seen.")
                for n in range(3)]
    newest_strong = make_issue(participant, publish_by=staff, summary="Kestrel alerts")
    browser.login(participant)
    pages = [found(browser, "kestrel", page=page) for page in (1, 2, 3)]
    # Page 1 ranks the newest two; the pages after list the older matches newest first.
    assert pages == [[newest_strong.id, mentions[2].id], [mentions[1].id, mentions[0].id], [oldest_strong.id]]
    assert "page 1 of 3" in count_line(browser, "kestrel")


def test_search_results_mark_the_matching_words_and_escape_everything(browser, staff, participant):
    make_issue(
        participant, publish_by=staff, summary='<script>alert("x")</script> Pelican schema errors',
        description='Seen in <img src=x onerror=alert(1)> pelican feeds & "quoted" text.',
    )
    browser.login(participant)
    html = browser.get("/issues", query_string={"q": "pelican <b>bold</b>", "status": "all"}).get_data(as_text=True)
    assert "<script>alert" not in html and "<img src=x" not in html and "<b>bold</b>" not in html
    html = browser.get("/issues", query_string={"q": "pelican", "status": "all"}).get_data(as_text=True)
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; <mark>Pelican</mark> schema errors" in html
    assert '<p class="excerpt">Seen in &lt;img src=x onerror=alert(1)&gt; <mark>pelican</mark> feeds' in html
    assert "<script>alert" not in html and "<img src=x" not in html
    assert "Search: “pelican”" in html  # the search shown as a removable chip


BAD_QUERIES = [
    '"', "'", '""', "AND", "OR", "NOT", "NEAR(", "NEAR(a b, 2)", "*", "-", "--", "a -b", '"unbalanced', "a AND OR NOT b",
    "x:*", "dip:*", "!dip", "dip & !isd", "(", ")", "\\", "{refs}: dip", "^dip", "%", "_", "\x00", "\t", "💥",
    "ünïcödé", "日本語の検索", "ﬁle", "½", "x" * 200, "a " * 100, "😀" * 100,
]


FINDS_THE_ISSUE = {"NOT", "dip:*", "!dip", "^dip", "\x00", "\t"}


@pytest.mark.parametrize("q", BAD_QUERIES)
def test_any_search_text_gets_an_answer_never_an_error(browser, staff, participant, q):
    make_issue(participant, publish_by=staff, summary="Ordinary issue about DIP")
    browser.login(participant)
    # Words the index knows find the issue ("dip" however decorated; nothing searchable at all
    # is no search); anything else is a search that matches nothing, never an error.
    found = q in FINDS_THE_ISSUE
    response = browser.get("/issues", query_string={"q": q, "status": "all"})
    assert response.status_code == 200
    page = " ".join(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)).split())
    assert ("1 issue matches" if found else "0 issues match") in page, page[-600:]
    assert "The search was ignored" not in page
    export = browser.get("/issues.csv", query_string={"q": q, "status": "all"})
    assert export.status_code == 200
    assert ("Ordinary issue about DIP" in export.get_data(as_text=True)) is found
    response = browser.get("/issues", query_string={"q": q}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert 'id="results"' in response.get_data(as_text=True)
    assert browser.get("/issues/similar", query_string={"summary": q}).status_code == 200


def test_a_search_too_long_is_reported_and_ignored(browser, staff, participant):
    make_issue(participant, publish_by=staff, summary="Ordinary issue about DIP")
    browser.login(participant)
    response = browser.get("/issues", query_string={"q": "dip " * 100})
    assert response.status_code == 400
    assert "The search was ignored." in response.get_data(as_text=True)


def exported(browser, query: str) -> list[str]:
    table = list(csv.reader(io.StringIO(browser.get(f"/issues.csv?{query}").get_data(as_text=True).lstrip("\ufeff"))))
    return [row[1] for row in table[1:]]


def test_the_export_follows_the_search(browser, staff, participant):
    make_issue(participant, publish_by=staff, summary="Cormorant data gaps")
    make_issue(participant, publish_by=staff, summary="Something else entirely")
    browser.login(participant)
    assert exported(browser, "q=cormorant") == ["Cormorant data gaps"]


def test_the_export_of_a_search_is_in_the_order_of_the_view(browser, staff, participant):
    strong = make_issue(participant, publish_by=staff, summary="Shag feed DIP outage", services=["DIP"])
    mention = make_issue(participant, publish_by=staff, summary="Shag report", services=["ISD"],
                         description="DIP noted in passing")
    browser.login(participant)
    assert found(browser, "shag DIP") == [strong.id, mention.id]  # best match first, though older
    assert exported(browser, "q=shag+DIP&status=all") == [strong.summary, mention.summary]
    assert exported(browser, "q=shag+DIP&status=all&sort=updated") == [mention.summary, strong.summary]


@pytest.mark.parametrize(("q", "typed"), [
    ("schema valid", "valid"),
    ("schema valid ", None),  # a space after it: finished
    ("dip files dip", "dip"),  # typed again: the word being typed is the earlier term
    (" ".join(f"word{n}" for n in range(14)), None),  # past the word limit: the words read are finished
    ("ab", None),  # too short to begin anything
])
def test_only_the_word_being_typed_is_a_prefix(q, typed):
    assert [term.word for term in parse_search(q).terms if term.prefix] == ([typed] if typed else [])


@pytest.mark.parametrize(("text", "q", "marked"), [
    ("Pelican feeds", "pelican", "<mark>Pelican</mark> feeds"),
    ("Validations failed; validated later", "validation", "<mark>Validations</mark> failed; <mark>validated</mark> later"),
    ("Schema validé", "schema valid", "<mark>Schema</mark> <mark>validé</mark>"),  # the word being typed, accents folded
    ("AT&T and amplifiers", "amp", "AT&amp;T and <mark>amplifiers</mark>"),  # never inside the escaped "&amp;"
    ("xamp ampx", "amp ", "xamp ampx"),  # a finished word: neither inside another word nor as a prefix
    ("Résumé due", "resume", "<mark>Résumé</mark> due"),
])
def test_highlighting_marks_whole_matching_words_only(text, q, marked):
    assert str(highlight(text, parse_search(q))) == marked


def test_a_word_being_typed_finds_every_word_it_begins_however_many(browser, staff, participant, monkeypatch):
    monkeypatch.setattr(search_queries, "PREFIX_WORDS", 2)  # PostgreSQL spells out at most two words
    issues = [make_issue(participant, publish_by=staff, summary=f"Osprey{suffix} sightings")
              for suffix in ("", "nest", "wing")]
    browser.login(participant)
    assert sorted(found(browser, "ospr")) == sorted(issue.id for issue in issues)  # three words: a prefix search
    assert found(browser, "ospreyw") == [issues[2].id]  # one word
    assert found(browser, "ospreyz") == []


def test_a_word_indexed_after_a_search_is_found_by_the_next_search(staff, participant):
    make_issue(participant, publish_by=staff, summary="Kittiwake counts")
    assert issue_queries.count_issues(issue_queries.IssueQuery(q="kitt", status=""), staff) == 1
    make_issue(participant, publish_by=staff, summary="Kittens rescued")  # in the same session
    assert issue_queries.count_issues(issue_queries.IssueQuery(q="kitt", status=""), staff) == 2
