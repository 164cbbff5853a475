import sqlalchemy as sa

from issues_tracker.core.extensions import db
from issues_tracker.models import Issue, IssueEvent
from tests.helpers import VALID_SUBMISSION


def count_issues():
    return db.session.scalar(sa.select(sa.func.count()).select_from(Issue))


def test_participant_submits_an_issue_and_sees_it(browser, participant):
    browser.login(participant)
    form = browser.get("/issues/new").get_data(as_text=True)
    assert "Will the next settlement run resolve it?" in form
    assert "Service-desk references" in form

    response = browser.post("/issues/new", VALID_SUBMISSION)
    assert response.status_code == 303
    issue = db.session.scalar(sa.select(Issue))
    assert response.headers["Location"] == f"/issues/{issue.id}"
    assert issue.summary == "Message schema validation failures"
    assert list(issue.services) == ["DIP"]
    assert sorted(issue.messages) == ["Dflows", "PUB"]
    assert issue.severity == 2
    assert issue.supplier_impact == "Multiple"
    assert issue.distributor_impact == "3"
    assert issue.service_desk_refs == "CS0016629, INC0126133"
    assert issue.triage_state == "pending"
    assert issue.status == "New"
    assert issue.organisation_id == participant.organisation_id
    assert issue.submitted_by_id == participant.id
    kinds = db.session.scalars(sa.select(IssueEvent.kind).where(IssueEvent.issue_id == issue.id)).all()
    assert kinds == ["created"]

    page = browser.get(response.headers["Location"]).get_data(as_text=True)
    assert "Message schema validation failures" in page
    assert "Awaiting triage" in page
    assert "awaits triage" in page  # the flash message


def test_missing_fields_get_messages_next_to_them_and_input_is_kept(browser, participant):
    browser.login(participant)
    data = dict(VALID_SUBMISSION, summary="", services=[], description="")
    data["settlement_impact"] = "Kept <b>text</b>"
    response = browser.post("/issues/new", data)
    text = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "There is a problem" in text
    assert "Give the issue a short summary." in text
    assert "Choose at least one service or system." in text
    assert "Describe what is happening." in text
    assert "Kept &lt;b&gt;text&lt;/b&gt;" in text  # kept, and escaped
    assert 'value="Multiple"' in text
    assert count_issues() == 0


def test_unknown_choices_are_refused(browser, participant):
    browser.login(participant)
    for field, value in (
        ("services", ["NOPE"]),
        ("messages", ["XML"]),
        ("severity", "9"),
        ("severity", "high"),
        ("next_run_resolves", "Maybe"),
        ("root_cause_certainty", "Guess"),
    ):
        response = browser.post("/issues/new", dict(VALID_SUBMISSION, **{field: value}))
        assert response.status_code == 422, field
        assert "not a valid choice" in response.get_data(as_text=True).lower(), field
    assert count_issues() == 0


def test_party_counts_must_be_a_band_or_a_number(browser, participant):
    browser.login(participant)
    for value in ("lots", "-3", "0", "1.5", "999999999"):
        response = browser.post("/issues/new", dict(VALID_SUBMISSION, supplier_impact=value))
        assert response.status_code == 422, value
        assert "Individual" in response.get_data(as_text=True)
    response = browser.post("/issues/new", dict(VALID_SUBMISSION, supplier_impact="individual"))
    assert response.status_code == 303
    assert db.session.scalar(sa.select(Issue.supplier_impact)) == "Individual"


def test_service_desk_references_are_checked(browser, participant):
    browser.login(participant)
    response = browser.post("/issues/new", dict(VALID_SUBMISSION, service_desk_refs="CS0016629, hello"))
    assert response.status_code == 422
    assert "is not a service-desk reference" in response.get_data(as_text=True)
    assert count_issues() == 0


def test_huge_input_is_refused_not_stored(browser, participant):
    browser.login(participant)
    response = browser.post("/issues/new", dict(VALID_SUBMISSION, summary="x" * 5000))
    assert response.status_code == 422
    assert "Field must be between 5 and 200 characters long." in response.get_data(as_text=True)
    response = browser.post("/issues/new", dict(VALID_SUBMISSION, description="y" * (6 * 1024 * 1024)))
    assert response.status_code == 413
    assert count_issues() == 0


def test_submission_without_csrf_token_is_refused(browser, participant):
    browser.login(participant)
    response = browser.post("/issues/new", VALID_SUBMISSION, csrf=False)
    assert response.status_code == 400
    assert count_issues() == 0


def test_html_in_submissions_is_shown_as_text(browser, participant):
    browser.login(participant)
    response = browser.post(
        "/issues/new", dict(VALID_SUBMISSION, summary="<script>alert('x')</script> schema failures")
    )
    page = browser.get(response.headers["Location"]).get_data(as_text=True)
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert" in page


def test_control_characters_are_removed_from_what_people_type(browser, participant):
    browser.login(participant)
    data = dict(VALID_SUBMISSION, summary="Pasted\x00 from\x0b Word", description="line one\x0bline two\nline three")
    assert browser.post("/issues/new", data).status_code == 303
    issue = db.session.scalar(sa.select(Issue))
    assert issue.summary == "Pasted from Word"
    assert issue.description == "line oneline two\nline three"
    assert browser.get("/issues?q=%00").status_code == 200
