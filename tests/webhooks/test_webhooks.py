"""Signed webhooks: subscribed through the API by organisation admins and staff, written to an outbox
with the change, delivered to a real endpoint in order, retried, disabled after a day of failing,
never about what the owner may not see, and never to a private address unless allowed."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import sqlalchemy as sa
from standardwebhooks import Webhook

from issues_tracker.core.extensions import db
from issues_tracker.core.models import utcnow
from issues_tracker.issues import operations as issue_service
from issues_tracker.models import OutgoingEmail
from issues_tracker.participation import comments as comment_service
from issues_tracker.webhooks import network
from issues_tracker.webhooks.delivery import deliver_pending
from issues_tracker.webhooks.models import WebhookDelivery, WebhookEvent, WebhookSubscription
from tests.api.conftest import Api, make_token
from tests.helpers import make_issue
from tests.webhooks.receiver import Receiver


def subscribe(app, user, url, events):
    api = Api(app.test_client(), make_token(user, "write", name="Webhook admin"))
    response = api.post("/api/v1/webhooks", json={"url": url, "events": events})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def events_received(receiver, secret):
    """Each request's event type and issue reference, after checking its signature with the standardwebhooks library."""
    verifier = Webhook(secret)
    found = []
    for headers, body in receiver.received:
        payload = verifier.verify(body, {k: headers[k] for k in ("webhook-id", "webhook-timestamp", "webhook-signature")})
        found.append((payload["type"], payload["data"].get("issue", {}).get("reference"), headers["webhook-id"]))
    return found


@pytest.fixture
def org_admin(make_user):
    user = make_user("participant", org="Northern Supply Co", name="Olga Orgadmin")
    user.organisation_admin = True
    db.session.commit()
    return user


def test_an_organisation_admin_subscribes_and_is_shown_the_secret_once(app, org_admin):
    made = subscribe(app, org_admin, "https://hooks.example.org/issues", ["issue.created", "comment.created"])
    assert made["secret"].startswith("whsec_") and made["events"] == ["issue.created", "comment.created"]
    api = Api(app.test_client(), make_token(org_admin, "read"))
    listed = api.get("/api/v1/webhooks").get_json()["items"]
    assert [item["id"] for item in listed] == [made["id"]] and "secret" not in listed[0]
    stored = db.session.get(WebhookSubscription, made["id"])
    assert made["secret"].encode() not in stored.secret_sealed


def test_a_participant_who_is_not_an_admin_cannot_subscribe(app, participant):
    api = Api(app.test_client(), make_token(participant, "write"))
    response = api.post("/api/v1/webhooks", json={"url": "https://hooks.example.org/x", "events": ["issue.created"]})
    assert response.status_code == 403
    assert db.session.scalar(sa.select(sa.func.count()).select_from(WebhookSubscription)) == 0


def test_unknown_events_and_private_addresses_are_refused(app, staff):
    api = Api(app.test_client(), make_token(staff, "write"))
    unknown = api.post("/api/v1/webhooks", json={"url": "https://hooks.example.org/x", "events": ["issue.exploded"]})
    assert unknown.status_code == 422 and unknown.get_json()["errors"][0]["field"] == "events.0"
    app.config["WEBHOOK_ALLOW_PRIVATE"] = False
    for url in ("https://127.0.0.1/hooks", "https://169.254.169.254/latest", "https://[::1]/x", "http://hooks.example.org/"):
        refused = api.post("/api/v1/webhooks", json={"url": url, "events": ["issue.created"]})
        assert refused.status_code == 422, url
        assert refused.get_json()["errors"][0]["field"] == "url"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(WebhookSubscription)) == 0


def test_events_are_delivered_signed_and_in_order(app, staff, participant):
    with Receiver() as receiver:
        made = subscribe(app, staff, receiver.url, ["issue.created", "issue.published", "issue.updated", "issue.resolved",
                                                    "comment.created"])
        issue = make_issue(participant, publish_by=staff)
        comment_service.add_comment(issue, participant, "Seen here too.")
        db.session.commit()
        issue_service.update_issue(issue, {"status": "Resolved", "resolution_description": "Fixed in 2.1"}, staff,
                                   expected_version=None)
        db.session.commit()
        report = deliver_pending()
        assert report.delivered == 5
        received = events_received(receiver, made["secret"])
    assert [(kind, ref) for kind, ref, _ in received] == [
        ("issue.created", issue.reference), ("issue.published", issue.reference), ("comment.created", issue.reference),
        ("issue.updated", issue.reference), ("issue.resolved", issue.reference),
    ]
    body = json.loads(receiver.received[-1][1])
    assert body["data"]["issue"]["status"] == "Resolved"
    assert {"field": "status", "old": "Under investigation", "new": "Resolved"} in body["data"]["changes"]


def test_the_outbox_row_is_written_with_the_change_and_rolled_back_with_it(app, staff, participant):
    subscribe(app, staff, "http://127.0.0.1:9/hooks", ["issue.created"])
    make_issue(participant)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(WebhookEvent)) == 1
    issue_service.submit_issue({"summary": "Never stored", "description": "Rolled back", "services": ["DIP"]}, participant)
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(WebhookEvent)) == 1


def test_a_failing_endpoint_is_retried_with_backoff_and_recovers_in_order(app, staff, participant):
    start = utcnow()
    with Receiver(answers=[500, 503]) as receiver:
        made = subscribe(app, staff, receiver.url, ["issue.created", "comment.created"])
        issue = make_issue(participant)
        comment_service.add_comment(issue, participant, "More detail.")
        db.session.commit()
        deliver_pending(now=start)  # the first fails; the comment waits behind it
        assert len(receiver.received) == 1
        deliver_pending(now=start + timedelta(seconds=10))  # not due again yet (30 s)
        assert len(receiver.received) == 1
        deliver_pending(now=start + timedelta(seconds=31))  # fails again; next in 60 s
        assert len(receiver.received) == 2
        deliver_pending(now=start + timedelta(seconds=95))  # recovers: both go, in order
        received = events_received(receiver, made["secret"])
    assert [kind for kind, _, _ in received] == ["issue.created", "issue.created", "issue.created", "comment.created"]
    assert len({message_id for kind, _, message_id in received if kind == "issue.created"}) == 1
    first = db.session.scalar(sa.select(WebhookDelivery).order_by(WebhookDelivery.id))
    assert first.state == "delivered" and first.attempts == 3 and first.last_status_code == 204
    assert db.session.get(WebhookSubscription, made["id"]).failing_since is None


def test_an_endpoint_failing_for_a_day_is_disabled_its_owner_emailed_and_sent_again_from_its_page(
    app, browser, staff, participant
):
    start = utcnow()
    with Receiver(answers=[500] * 50) as receiver:
        made = subscribe(app, staff, receiver.url, ["issue.created"])
        make_issue(participant)
        deliver_pending(now=start)
        deliver_pending(now=start + timedelta(hours=12))
        assert db.session.get(WebhookSubscription, made["id"]).active
        deliver_pending(now=start + timedelta(hours=24, seconds=1))
        subscription = db.session.get(WebhookSubscription, made["id"])
        assert not subscription.active and "HTTP 500" in subscription.disabled_reason
        email = db.session.scalar(sa.select(OutgoingEmail).where(OutgoingEmail.kind == "webhook_disabled"))
        assert email is not None and email.to_address == staff.email
        deliver_pending(now=start + timedelta(hours=30))
        assert len(receiver.received) == 3
        browser.login(staff)
        page = browser.get(f"/webhooks/{made['id']}").get_data(as_text=True)
        assert "Disabled" in page and "issue.created" in page and "500" in page
        delivery = db.session.scalar(sa.select(WebhookDelivery))
        assert browser.post(f"/webhooks/{made['id']}/deliveries/{delivery.id}/again").status_code == 303
        receiver.answers.clear()
        deliver_pending()
        assert len(receiver.received) == 4
    db.session.expire_all()
    assert db.session.get(WebhookSubscription, made["id"]).active
    assert db.session.scalar(sa.select(WebhookDelivery.state)) == "delivered"


def test_a_subscription_never_hears_of_what_its_owner_may_not_see(app, make_user, staff, participant):
    eastern_admin = make_user("participant", org="Eastern Networks", name="Ed Eastern")
    eastern_admin.organisation_admin = True
    db.session.commit()
    with Receiver() as receiver:
        made = subscribe(app, eastern_admin, receiver.url, ["issue.created", "issue.published", "comment.created"])
        issue = make_issue(participant)  # Northern's pending submission
        comment_service.add_comment(issue, participant, "Internal detail of ours.")
        db.session.commit()
        deliver_pending()
        assert receiver.received == []
        issue_service.triage_issue(issue, staff, "publish")
        db.session.commit()
        deliver_pending()
        received = events_received(receiver, made["secret"])
    assert [kind for kind, _, _ in received] == ["issue.published"]


def test_the_subscription_page_is_only_for_those_who_manage_it(app, browser, staff, outsider):
    made = subscribe(app, staff, "https://hooks.example.org/x", ["issue.created"])
    browser.login(outsider)
    assert browser.get(f"/webhooks/{made['id']}").status_code == 404


def test_private_and_link_local_addresses_are_refused_after_resolution_and_on_redirects(monkeypatch):
    refused = network.post("https://localhost/hooks", "{}", {}, allow_private=False)
    assert refused.status_code is None and "private, loopback or link-local" in refused.error

    class Redirect:
        status_code = 307
        headers = {"Location": "http://169.254.169.254/latest/meta-data"}

        def close(self):
            pass

    calls = []
    monkeypatch.setattr(network, "check_url", lambda url, allow_private: calls.append(url) or (
        None if url.startswith("https://hooks.example.org") else (_ for _ in ()).throw(network.RefusedAddress("private"))))
    monkeypatch.setattr(network.requests, "post", lambda *a, **kw: Redirect())
    outcome = network.post("https://hooks.example.org/x", "{}", {}, allow_private=False)
    assert outcome.status_code is None and outcome.error == "private"
    assert calls == ["https://hooks.example.org/x", "http://169.254.169.254/latest/meta-data"]


def test_a_published_log_and_an_opened_poll_are_events_everyone_may_hear_of(app, org_admin):
    from issues_tracker.log import operations as log_service
    from issues_tracker.log.weeks import current_week
    from tests.forum_builders import make_poll

    with Receiver() as receiver:
        made = subscribe(app, org_admin, receiver.url, ["log.published", "poll.opened"])
        week = current_week()
        log_service.publish_log(week)
        db.session.commit()
        make_poll(title="April forum feedback")
        deliver_pending()
        assert len(events_received(receiver, made["secret"])) == 2
        bodies = [json.loads(body) for _, body in receiver.received]
    assert [body["type"] for body in bodies] == ["log.published", "poll.opened"]
    assert bodies[0]["data"]["week_commencing"] == week.isoformat()
    assert bodies[0]["data"]["pdf"].endswith(f"/log/{week.isoformat()}.pdf")
    assert bodies[1]["data"]["poll"]["title"] == "April forum feedback"


def test_incidents_fed_by_the_service_desk_are_events(app, staff):
    from tests.servicedesk_builders import record

    incident = record("INC0139429", "2026-02-06 09:40", priority="P2", state="In progress", responded="2026-02-06 09:52",
                      product="MDS")
    feed = Api(app.test_client(), make_token(staff, "write", name="ServiceNow"))
    with Receiver() as receiver:
        made = subscribe(app, staff, receiver.url, ["incident.opened", "incident.updated", "incident.resolved"])
        assert feed.post("/api/v1/servicedesk/records", json={"records": [incident]}).status_code == 200
        assert feed.post("/api/v1/servicedesk/records", json={"records": [incident]}).status_code == 200  # unchanged
        resolved = {**incident, "State": "Resolved", "Resolved": "2026-02-06 15:30"}
        assert feed.post("/api/v1/servicedesk/records", json={"records": [resolved]}).status_code == 200
        deliver_pending()
        assert len(events_received(receiver, made["secret"])) == 2
        bodies = [json.loads(body) for _, body in receiver.received]
    assert [(body["type"], body["data"]["incident"]["number"]) for body in bodies] == [
        ("incident.opened", "INC0139429"), ("incident.resolved", "INC0139429")]
    assert bodies[1]["data"]["incident"]["state"] == "Resolved"


def test_an_organisation_has_at_most_twenty_active_webhooks(app, org_admin):
    from issues_tracker.webhooks import subscriptions

    for n in range(subscriptions.MAX_PER_ORGANISATION):
        subscriptions.subscribe(org_admin, f"https://hooks.example.org/{n}", ["issue.created"])
    db.session.commit()
    api = Api(app.test_client(), make_token(org_admin, "write"))
    refused = api.post("/api/v1/webhooks", json={"url": "https://hooks.example.org/more", "events": ["issue.created"]})
    assert refused.status_code == 422 and "at most 20" in refused.get_json()["detail"]


def test_an_endpoint_another_worker_is_sending_to_is_left_alone_and_nothing_is_lost(app, staff, participant):
    with Receiver() as receiver:
        made = subscribe(app, staff, receiver.url, ["issue.created"])
        make_issue(participant)
        subscription = db.session.get(WebhookSubscription, made["id"])
        subscription.claimed_until = utcnow() + timedelta(minutes=1)  # another worker is on it
        db.session.commit()
        deliver_pending()
        assert receiver.received == []
        deliver_pending(now=utcnow() + timedelta(minutes=2))  # that worker stopped: its claim runs out
        assert [kind for kind, _, _ in events_received(receiver, made["secret"])] == ["issue.created"]
