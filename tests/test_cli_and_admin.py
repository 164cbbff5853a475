import sqlalchemy as sa

from issues_tracker.core.extensions import db
from issues_tracker.models import ForumAction, Issue, Meeting, Organisation, Poll, User


def table_counts():
    return {
        model.__name__: db.session.scalar(sa.select(sa.func.count()).select_from(model))
        for model in (Issue, Meeting, ForumAction, Poll, User, Organisation)
    }


def test_seed_loads_the_pack_and_twice_changes_nothing(runner):
    result = runner.invoke(args=["seed"])
    assert result.exit_code == 0, result.output
    assert "15 issues" in result.output
    first = table_counts()
    assert first["Issue"] == 15
    # The pack's twelve 2026 meetings, and any month since without one, up to next month's.
    assert first["Meeting"] >= 12
    assert first["ForumAction"] == 7
    # The pack's feedback poll, and one for each meeting held since, up to this month's.
    assert first["Poll"] >= 2
    assert db.session.scalar(sa.select(Poll.state).where(Poll.seed_key == "smf-feedback-2026-04")) == "open"
    # No demo accounts outside the local development default: only forum members who answered
    # the polls, none of whom can sign in with a password.
    users = db.session.scalars(sa.select(User)).all()
    assert all(user.role == "participant" and not user.has_password for user in users)

    again = runner.invoke(args=["seed"])
    assert again.exit_code == 0
    assert "nothing changed" in again.output
    assert table_counts() == first


def test_seed_keeps_the_packs_values(runner):
    runner.invoke(args=["seed"])
    issue = db.session.scalar(sa.select(Issue).where(Issue.source_ref == "pack-2026-04:6"))
    assert issue.summary == "Unexpected platform behaviour queries"
    assert sorted(issue.services) == ["DIP", "ISD"]
    assert issue.next_run_resolves == "No"
    poll = db.session.scalar(sa.select(Poll).where(Poll.seed_key == "smf-feedback-2026-04"))
    assert poll.state == "open" and len(poll.questions) == 4
    assert [q.required for q in poll.questions] == [True, False, True, False]
    smf14 = db.session.scalar(sa.select(ForumAction).where(ForumAction.number == 14))
    assert smf14.owner_name == "Sam Young" and smf14.status == "Open"


def test_seed_creates_demo_accounts_only_when_configured(app, runner):
    app.config["DEMO_ACCOUNTS"] = True
    result = runner.invoke(args=["seed"])
    assert "staff@example.org" in result.output
    staff = db.session.scalar(sa.select(User).where(User.email == "staff@example.org"))
    assert staff.role == "staff" and staff.check_password("demo-password")


def test_users_create(runner, browser):
    result = runner.invoke(
        args=[
            "users",
            "create",
            "Jo@Supplier.example",
            "--role",
            "participant",
            "--org",
            "Southern Energy",
            "--name",
            "Jo Bloggs",
            "--password",
            "a-long-password",
        ]
    )
    assert result.exit_code == 0, result.output
    assert "Created participant account jo@supplier.example in Southern Energy" in result.output
    user = db.session.scalar(sa.select(User).where(User.email == "jo@supplier.example"))
    assert user.name == "Jo Bloggs" and user.organisation.name == "Southern Energy"
    assert user.password_hash.startswith("scrypt:")
    browser.login("jo@supplier.example", "a-long-password")


def test_users_create_prompts_for_the_password(runner):
    result = runner.invoke(
        args=["users", "create", "kim@elexon.example", "--role", "staff", "--org", "Elexon"],
        input="prompted-password\nprompted-password\n",
    )
    assert result.exit_code == 0, result.output
    assert db.session.scalar(sa.select(User).where(User.email == "kim@elexon.example")).check_password("prompted-password")


def test_users_create_refuses_bad_input(runner):
    cases = [
        (["not-an-email", "--role", "staff", "--org", "Elexon", "--password", "long-enough-pw"], "not a valid email"),
        (["a@b.example", "--role", "overlord", "--org", "Elexon", "--password", "long-enough-pw"], "Invalid value"),
        (["a@b.example", "--role", "staff", "--org", "Elexon", "--password", "short"], "at least 10 characters"),
        (["a@b.example", "--role", "staff", "--org", " ", "--password", "long-enough-pw"], "organisation name is required"),
    ]
    for args, message in cases:
        result = runner.invoke(args=["users", "create", *args])
        assert result.exit_code != 0, args
        assert message in result.output, (args, result.output)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 0
    runner.invoke(args=["users", "create", "a@b.example", "--role", "staff", "--org", "Elexon", "--password", "long-enough-pw"])
    duplicate = runner.invoke(
        args=["users", "create", "A@B.example", "--role", "staff", "--org", "Elexon", "--password", "long-enough-pw"]
    )
    assert duplicate.exit_code != 0 and "exists already" in duplicate.output


def test_users_create_reuses_an_organisation_whatever_its_case(runner):
    runner.invoke(args=["users", "create", "a@b.example", "--role", "staff", "--org", "Elexon", "--password", "long-enough-pw"])
    runner.invoke(args=["users", "create", "c@d.example", "--role", "staff", "--org", "ELEXON", "--password", "long-enough-pw"])
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Organisation)) == 1


def test_admin_creates_organisation_and_account(browser, admin):
    browser.login(admin)
    response = browser.post("/admin/organisations/new", {"name": "Western Power Example", "kind": "distributor"})
    assert response.status_code == 303
    org = db.session.scalar(sa.select(Organisation).where(Organisation.name == "Western Power Example"))
    assert org.kind == "distributor"

    duplicate = browser.post("/admin/organisations/new", {"name": "western power example", "kind": "distributor"})
    assert duplicate.status_code == 422 and "exists already" in duplicate.get_data(as_text=True)

    response = browser.post(
        "/admin/users/new",
        {
            "email": "New.User@Western.example",
            "name": "New User",
            "role": "participant",
            "organisation_id": str(org.id),
            "password": "a-good-password",
            "active": "y",
        },
    )
    assert response.status_code == 303
    user = db.session.scalar(sa.select(User).where(User.email == "new.user@western.example"))
    assert user.organisation_id == org.id and user.check_password("a-good-password")
    assert "new.user@western.example" in browser.get("/admin/").get_data(as_text=True)


def test_admin_account_form_validation(browser, admin, participant):
    browser.login(admin)
    base = {"email": "x@y.example", "role": "participant", "organisation_id": str(participant.organisation_id), "password": ""}
    response = browser.post("/admin/users/new", base)
    assert response.status_code == 422 and "Set a password" in response.get_data(as_text=True)
    response = browser.post("/admin/users/new", dict(base, password="short"))
    assert response.status_code == 422 and "at least 10" in response.get_data(as_text=True)
    response = browser.post("/admin/users/new", dict(base, password="long-enough-pw", organisation_id="99999"))
    assert response.status_code == 422
    response = browser.post("/admin/users/new", dict(base, password="long-enough-pw", email=participant.email))
    assert response.status_code == 422 and "exists already" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 2


def test_admin_deactivates_an_account(browser, admin, participant):
    browser.login(admin)
    response = browser.post(
        f"/admin/users/{participant.id}",
        {
            "email": participant.email,
            "name": participant.name,
            "role": "participant",
            "organisation_id": str(participant.organisation_id),
            "password": "",
        },
    )
    assert response.status_code == 303
    db.session.refresh(participant)
    assert participant.active is False
    browser.logout()
    refused = browser.post("/login", {"email": participant.email, "password": "correct-horse-battery"})
    assert refused.status_code == 422


def test_admin_cannot_lock_themselves_out(browser, admin):
    browser.login(admin)
    response = browser.post(
        f"/admin/users/{admin.id}",
        {"email": admin.email, "role": "participant", "organisation_id": str(admin.organisation_id), "active": "y"},
    )
    assert response.status_code == 422
    db.session.refresh(admin)
    assert admin.role == "admin"


def test_a_password_change_signs_out_the_accounts_other_sessions(app, browser, admin, participant):
    from tests.conftest import Browser

    elsewhere = Browser(app.test_client())
    elsewhere.login(participant)
    assert elsewhere.get("/issues").status_code == 200

    browser.login(admin)
    response = browser.post(
        f"/admin/users/{participant.id}",
        {"email": participant.email, "name": participant.name, "role": "participant",
         "organisation_id": str(participant.organisation_id), "password": "a-brand-new-password", "active": "y"},
    )
    assert response.status_code == 303
    assert elsewhere.get("/issues").status_code == 302  # sent back to sign in
    elsewhere.login(participant.email, "a-brand-new-password")
    assert elsewhere.get("/issues").status_code == 200
