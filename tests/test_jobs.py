"""Background jobs: queued with the request's transaction, run once, retried where safe, followed by htmx."""

from __future__ import annotations

import logging
import re
import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from issues_tracker.core.extensions import db
from issues_tracker.core.models import utcnow
from issues_tracker.jobs import JobFailed, enqueue, get_queue, job, run_queued_jobs, store_upload
from issues_tracker.jobs.runner import STOPPED_FAILURE, sweep_jobs
from issues_tracker.models import Job, Organisation, Upload

pytestmark = pytest.mark.both_databases

CALLS: list[str] = []
RELEASE = threading.Event()
STARTED = threading.Event()


@job("test_add_organisation", title="Adding an organisation")
def add_organisation(ctx, name: str, fail_with: str = "") -> str:
    CALLS.append(name)
    ctx.progress(50, "Adding")
    db.session.add(Organisation(name=name, kind="supplier"))
    db.session.flush()
    if fail_with == "refusal":
        raise JobFailed(f"{name} is not a real organisation.\nRow 2: no such supplier\nRow 3: no such supplier")
    if fail_with == "error":
        raise RuntimeError("disk full")
    return f"Added {name}."


FLAKY_FAILURES: list[int] = []


@job("test_flaky", retries=2, retry_delay=0, title="A flaky job")
def flaky(ctx, name: str) -> str:
    db.session.add(Organisation(name=f"{name} attempt {ctx.attempt}", kind="supplier"))
    db.session.flush()
    if FLAKY_FAILURES and ctx.attempt <= FLAKY_FAILURES[0]:
        raise ConnectionError("the database went away")
    return f"Done on attempt {ctx.attempt}."


@job("test_slow", title="A slow job")
def slow(ctx) -> str:
    db.session.add(Organisation(name="Written before the progress", kind="supplier"))
    db.session.flush()  # on SQLite, this transaction now holds the write lock until the job ends
    ctx.progress(40, "Checking rows")
    STARTED.set()
    RELEASE.wait(30)
    return "Slow job done."


@pytest.fixture(autouse=True)
def _reset():
    CALLS.clear()
    FLAKY_FAILURES.clear()
    RELEASE.clear()
    STARTED.clear()


def organisations() -> list[str]:
    """The organisations the jobs added (the people's own are left out)."""
    people = ("Elexon", "Northern Supply Co")
    return sorted(db.session.scalars(sa.select(Organisation.name).where(Organisation.name.not_in(people))))


def the_job(job_id) -> Job:
    db.session.expire_all()
    return db.session.get(Job, job_id)


# ---------------------------------------------------------------- queueing


def test_a_job_reaches_the_queue_only_when_its_transaction_commits(app, staff):
    queued = enqueue("test_add_organisation", key="acme", user=staff, name="Acme Energy")
    assert queued.state == "queued" and queued.user_id == staff.id and queued.params == {"name": "Acme Energy"}
    assert get_queue(app).waiting() == 0
    db.session.commit()
    assert get_queue(app).waiting() == 1
    assert the_job(queued.id).sent_at is not None

    assert run_queued_jobs() == 1
    done = the_job(queued.id)
    assert (done.state, done.result_message, done.progress, done.attempts) == ("done", "Added Acme Energy.", 100, 1)
    assert done.started_at and done.finished_at
    assert "Acme Energy" in organisations()


def test_a_rolled_back_request_queues_nothing(app, staff):
    enqueue("test_add_organisation", key="acme", user=staff, name="Acme Energy")
    db.session.rollback()
    assert get_queue(app).waiting() == 0
    assert run_queued_jobs() == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Job)) == 0 and CALLS == []


def test_the_same_thing_is_never_queued_twice_at_once(app, staff, admin):
    first = enqueue("test_add_organisation", key="week-1", user=staff, name="One")
    db.session.commit()
    second = enqueue("test_add_organisation", key="week-1", user=admin, name="Two")
    db.session.commit()
    assert second.id == first.id
    other_key = enqueue("test_add_organisation", key="week-2", user=staff, name="Three")
    db.session.commit()
    assert other_key.id != first.id
    assert run_queued_jobs() == 2
    assert CALLS == ["One", "Three"]
    # Once finished, the same thing can be done again.
    again = enqueue("test_add_organisation", key="week-1", user=staff, name="Four")
    db.session.commit()
    assert again.id not in (first.id, other_key.id)


def test_the_database_refuses_a_second_active_job_for_the_same_thing(app):
    db.session.add(Job(kind="test_add_organisation", key="k", params={}, state="queued"))
    db.session.commit()
    db.session.add(Job(kind="test_add_organisation", key="k", params={}, state="running"))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()
    db.session.add(Job(kind="test_add_organisation", key="k", params={}, state="done"))
    db.session.commit()  # finished ones may repeat


def test_enqueue_refuses_unknown_kinds_and_parameters_that_are_not_json(app, staff):
    with pytest.raises(ValueError, match="Unknown job kind"):
        enqueue("no_such_kind", key="x", user=staff)
    with pytest.raises(TypeError):
        enqueue("test_add_organisation", key="x", user=staff, name=object())
    with pytest.raises(ValueError):
        enqueue("test_add_organisation", key="", user=staff, name="x")


# ---------------------------------------------------------------- outcomes


def test_a_refusal_fails_the_job_with_its_reason_and_stores_nothing(app, staff):
    queued = enqueue("test_add_organisation", key="bad", user=staff, name="Bogus", fail_with="refusal")
    db.session.commit()
    run_queued_jobs()
    failed = the_job(queued.id)
    assert failed.state == "failed" and failed.attempts == 1
    assert failed.failure_reason.startswith("Bogus is not a real organisation.")
    assert "Bogus" not in organisations()


def test_an_unexpected_error_is_not_retried_unless_safe_and_says_where_to_look(app, staff, caplog):
    queued = enqueue("test_add_organisation", key="err", user=staff, name="Broken", fail_with="error")
    db.session.commit()
    with caplog.at_level(logging.ERROR, logger="issues_tracker.jobs"):
        run_queued_jobs()
    failed = the_job(queued.id)
    assert failed.state == "failed" and failed.attempts == 1 and CALLS == ["Broken"]
    assert "nothing was stored" in failed.failure_reason and f"job {queued.id}" in failed.failure_reason
    assert "disk full" not in failed.failure_reason  # the details are for the log, not the page
    assert any("disk full" in (record.exc_text or "") for record in caplog.records)
    assert "Broken" not in organisations()


def test_a_safe_job_is_retried_after_an_error_and_keeps_only_the_successful_attempt(app, staff):
    FLAKY_FAILURES.append(1)
    queued = enqueue("test_flaky", key="f", user=staff, name="Flaky")
    db.session.commit()
    assert run_queued_jobs() == 2
    done = the_job(queued.id)
    assert done.state == "done" and done.attempts == 2 and done.result_message == "Done on attempt 2."
    assert organisations() == ["Flaky attempt 2"]


def test_a_safe_job_that_keeps_failing_stops_after_its_retries(app, staff):
    FLAKY_FAILURES.append(99)
    queued = enqueue("test_flaky", key="f", user=staff, name="Flaky")
    db.session.commit()
    assert run_queued_jobs() == 3
    failed = the_job(queued.id)
    assert failed.state == "failed" and failed.attempts == 3
    assert organisations() == []


def test_a_retry_waits_for_its_time(app, staff):
    FLAKY_FAILURES.append(1)
    queued = enqueue("test_flaky", key="f", user=staff, name="Flaky")
    db.session.commit()
    from issues_tracker.jobs import JOB_KINDS

    kind = JOB_KINDS["test_flaky"]
    JOB_KINDS["test_flaky"] = type(kind)(kind.name, kind.function, kind.retries, 60.0, kind.title)
    try:
        assert run_queued_jobs() == 1
    finally:
        JOB_KINDS["test_flaky"] = kind
    waiting = the_job(queued.id)
    assert waiting.state == "queued" and waiting.attempts == 1
    assert waiting.run_after > utcnow() + timedelta(seconds=50)
    assert "trying again" in waiting.progress_message
    assert run_queued_jobs() == 0  # not before its time
    waiting.run_after = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert run_queued_jobs() == 1
    assert the_job(queued.id).state == "done"


def test_the_runner_commits_the_jobs_work_once_with_its_outcome(app, staff):
    statements = []

    def count_commits(conn):
        statements.append("commit")

    queued = enqueue("test_add_organisation", key="c", user=staff, name="Committed Co")
    db.session.commit()
    sa.event.listen(db.engine, "commit", count_commits)
    try:
        run_queued_jobs()
    finally:
        sa.event.remove(db.engine, "commit", count_commits)
    # One commit claims the job (so every server sees it running), one stores its work with "done".
    assert len(statements) == 2
    assert the_job(queued.id).state == "done" and "Committed Co" in organisations()


# ---------------------------------------------------------------- progress in the browser


def test_progress_shows_while_the_job_holds_the_database(app, browser, staff, participant):
    browser.login(participant)
    queued = enqueue("test_slow", key="s", user=participant)
    db.session.commit()

    def work():
        with app.app_context():
            run_queued_jobs()

    worker = threading.Thread(target=work, daemon=True)
    worker.start()
    try:
        assert STARTED.wait(30)
        response = browser.get(f"/jobs/{queued.id}", headers={"HX-Request": "true"})
        panel = response.get_data(as_text=True)
        assert response.status_code == 200 and "<html" not in panel
        assert "A slow job: Checking rows (40%" in panel and '<progress max="100" value="40"' in panel
        assert f'hx-get="/jobs/{queued.id}"' in panel and 'hx-trigger="load delay:1s"' in panel
    finally:
        RELEASE.set()
        worker.join(30)
    panel = browser.get(f"/jobs/{queued.id}", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "Slow job done." in panel and "hx-get" not in panel


def test_a_failed_jobs_reason_is_shown_to_whoever_started_it(app, browser, participant):
    queued = enqueue("test_add_organisation", key="bad", user=participant, name="Bogus", fail_with="refusal")
    db.session.commit()
    run_queued_jobs()
    browser.login(participant)
    page = browser.get(f"/jobs/{queued.id}").get_data(as_text=True)
    assert "<html" in page and 'role="alert"' in page
    assert "Adding an organisation did not complete. Bogus is not a real organisation." in page
    assert page.count("<li>Row") == 2


def test_only_the_starter_and_staff_see_a_job(app, browser, client, participant, colleague, staff):
    queued = enqueue("test_add_organisation", key="p", user=participant, name="Mine")
    db.session.commit()
    url = f"/jobs/{queued.id}"
    anonymous = client.get(url)
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    browser.login(colleague)
    assert browser.get(url).status_code == 404  # as if it did not exist
    browser.logout()
    browser.login(participant)
    assert browser.get(url).status_code == 200
    browser.logout()
    browser.login(staff)
    assert "waiting for a worker" in browser.get(url).get_data(as_text=True)
    assert browser.get("/jobs/0").status_code == 404


# ---------------------------------------------------------------- nothing lost, nothing stuck


def test_a_job_queued_while_the_queue_was_down_is_sent_by_the_sweep(app, staff, monkeypatch):
    queue = get_queue(app)

    def down(job_id, delay_seconds=0):
        raise ConnectionError("queue down")

    monkeypatch.setattr(queue, "send", down)
    queued = enqueue("test_add_organisation", key="late", user=staff, name="Late Co")
    db.session.commit()  # the request still succeeds
    monkeypatch.undo()
    assert the_job(queued.id).sent_at is None and queue.waiting() == 0
    assert sweep_jobs()["resent"] == 0  # just committed: its message may be on its way
    assert sweep_jobs(now=utcnow() + timedelta(minutes=1))["resent"] == 1
    assert queue.waiting() == 1 and the_job(queued.id).sent_at is not None
    assert run_queued_jobs() == 1 and "Late Co" in organisations()


def test_burst_runs_a_queued_job_even_when_its_message_was_lost(app, staff):
    queued = enqueue("test_add_organisation", key="lost", user=staff, name="Lost Co")
    db.session.commit()
    get_queue(app).huey.flush()
    assert run_queued_jobs() == 1 and the_job(queued.id).state == "done"


def test_a_job_whose_worker_stopped_is_failed_or_run_again(app, staff):
    quiet = utcnow() - timedelta(minutes=10)
    stuck = Job(kind="test_add_organisation", key="a", params={"name": "A"}, state="running", attempts=1,
                started_at=quiet, user_id=staff.id)
    retryable = Job(kind="test_flaky", key="b", params={"name": "B"}, state="running", attempts=1, started_at=quiet)
    alive = Job(kind="test_add_organisation", key="c", params={"name": "C"}, state="running", attempts=1,
                started_at=quiet)
    db.session.add_all([stuck, retryable, alive])
    db.session.commit()
    get_queue(app).put_progress(alive.id, 30, "Still going")  # its heartbeat is fresh
    assert sweep_jobs()["stopped"] == 2
    assert (the_job(stuck.id).state, the_job(stuck.id).failure_reason) == ("failed", STOPPED_FAILURE)
    assert the_job(retryable.id).state == "queued" and the_job(alive.id).state == "running"
    run_queued_jobs()
    assert the_job(retryable.id).state == "done" and the_job(retryable.id).attempts == 2


def test_old_finished_jobs_and_stored_files_are_cleared(app, staff):
    old = utcnow() - timedelta(days=100)
    keep = store_upload(b"new", "new.csv", staff)
    gone = store_upload(b"old", "old.csv", staff)
    gone.created_at = old
    db.session.add_all([
        Job(kind="test_add_organisation", key="old", params={}, state="done", finished_at=old, output_id=gone.id),
        Job(kind="test_add_organisation", key="new", params={}, state="done", finished_at=utcnow()),
    ])
    db.session.commit()
    counts = sweep_jobs()
    assert counts["deleted_files"] == 1 and counts["deleted_jobs"] == 1
    assert db.session.scalars(sa.select(Upload.filename)).all() == [keep.filename]
    assert db.session.scalars(sa.select(Job.key)).all() == ["new"]


def test_an_upload_is_kept_in_the_database_for_any_worker(app, staff):
    upload = store_upload(b"Issue ID,Issue Summary\n1,Something\n", "C:\\Users\\me\\tracker.csv", staff)
    db.session.commit()
    db.session.expire_all()
    stored = db.session.get(Upload, upload.id)
    assert stored.filename == "tracker.csv" and stored.content_type == "text/csv" and stored.size_bytes == 35
    assert stored.open().read().startswith(b"Issue ID,")
    assert re.fullmatch(r"[0-9a-f]{64}", stored.sha256)


# ---------------------------------------------------------------- the worker command


def test_worker_burst_runs_what_is_queued_and_exits(app, runner, staff):
    for name in ("One", "Two"):
        enqueue("test_add_organisation", key=name, user=staff, name=name)
    db.session.commit()
    result = runner.invoke(args=["worker", "--burst"])
    assert result.exit_code == 0, result.output
    assert "Ran 2 jobs" in result.output
    assert organisations() == ["One", "Two"]
    assert "Ran 0 jobs" in runner.invoke(args=["worker", "--burst"]).output
