"""Short urgent work never waits behind a long render: each lane has worker threads of its own. A
person cannot fill the long lane with renders, and staff see what waits, and for how long."""

from __future__ import annotations

import threading
import time
from datetime import date

import pytest
import sqlalchemy as sa
from forum_builders import make_meeting

from issues_tracker.core.extensions import db
from issues_tracker.issues import operations as issue_service
from issues_tracker.jobs import enqueue, get_queue, job
from issues_tracker.jobs.models import QUEUED, RUNNING, Job
from issues_tracker.jobs.queue import FAST, SLOW
from issues_tracker.participation import follows
from tests.helpers import make_issue

pytestmark = pytest.mark.both_databases

RELEASE = threading.Event()
STARTED = threading.Event()


@job("test_long_render", slow=True, title="A long render")
def long_render(ctx) -> str:
    STARTED.set()
    RELEASE.wait(30)
    return "Rendered."


def start_threads(consumer) -> None:
    """A consumer's scheduler and worker threads, as `flask worker` starts them (without taking
    over the test process's signal handlers)."""
    consumer.scheduler.start()
    for _, worker in consumer.worker_threads:
        worker.start()


def test_an_email_goes_out_while_a_long_render_runs(app, smtp, staff, participant):
    issue = make_issue(participant, publish_by=staff)
    follows.follow_issue(participant, issue)
    db.session.commit()
    queue = get_queue(app)
    slow, fast = queue.consumer(1, SLOW), queue.consumer(1, FAST)
    RELEASE.clear()
    STARTED.clear()
    try:
        render = enqueue("test_long_render", key="pack", user=staff)
        db.session.commit()
        start_threads(slow)
        start_threads(fast)
        assert STARTED.wait(10), "the long render did not start"
        issue_service.update_issue(issue, {"status": "Fix in progress"}, staff, expected_version=None)
        db.session.commit()  # pokes the email delivery on the short lane
        deadline = time.monotonic() + 15
        while not smtp.to(participant.email) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert smtp.to(participant.email), "the email waited behind the render"
        db.session.expire_all()
        assert db.session.get(Job, render.id).state == RUNNING
    finally:
        RELEASE.set()
        slow.stop(graceful=True)
        fast.stop(graceful=True)


def test_long_jobs_go_to_the_long_lane_and_short_ones_to_the_short_lane(app, staff):
    queue = get_queue(app)
    for lane in queue.lanes.values():
        lane.flush()
    enqueue("test_long_render", key="lane", user=staff)
    db.session.commit()
    assert (queue.lanes[SLOW].pending_count(), queue.lanes[FAST].pending_count()) == (1, 0)


def test_a_person_may_have_two_packs_rendering_at_once(browser, participant, staff):
    meetings = [make_meeting(date(2026, month, 14)) for month in (5, 6, 7)]
    browser.login(participant)
    assert [browser.get(f"/forum/meetings/{m.id}/pack.pdf").status_code for m in meetings[:2]] == [202, 202]
    third = browser.get(f"/forum/meetings/{meetings[2].id}/pack.pdf")
    assert third.status_code == 429 and "2 meeting packs being prepared" in third.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Job).where(Job.kind == "meeting_pack")) == 2
    browser.logout()
    browser.login(staff)  # someone else still can
    assert browser.get(f"/forum/meetings/{meetings[2].id}/pack.pdf").status_code == 202


def test_staff_see_each_kind_of_work_its_lane_and_what_waits(browser, staff, participant):
    enqueue("test_long_render", key="waiting", user=staff)
    db.session.commit()
    browser.login(participant)
    assert browser.get("/jobs").status_code == 403
    browser.logout()
    browser.login(staff)
    page = browser.get("/jobs").get_data(as_text=True)
    assert "Background work" in page and "A long render" in page and "Preparing the meeting pack" in page
    row = page[page.index("A long render"):page.index("</tr>", page.index("A long render"))]
    assert "long jobs" in row and '<td data-label="Waiting" class="n">1</td>' in row
    assert db.session.scalar(sa.select(Job.state).where(Job.key == "waiting")) == QUEUED
