"""The capacity benchmark keeps working: its options, its verdicts, and its Locust people against a real server.

The full section needs PostgreSQL, Redis and minutes (python -m benchmarks --sections capacity);
here two people run the same locustfile for a few seconds against one gunicorn server on a
small SQLite database, through the same code that starts the servers and reads the figures,
so a change to a page's form or address that breaks the workload shows here.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from benchmarks import capacity
from benchmarks.__main__ import parse_args
from benchmarks.capacity_cluster import ServerShape
from benchmarks.harness import Options, RunContext, build_dataset


def test_the_capacity_options_are_read_and_a_bad_server_shape_is_refused(capsys):
    options = parse_args(["--sections", "capacity", "--capacity-people", "20", "--capacity-seconds", "5",
                          "--capacity-gunicorn", "sync:3", "--redis-url", "redis://127.0.0.1:6379/9"])
    assert (options.capacity_people, options.capacity_seconds, options.capacity_gunicorn, options.redis_url) == (
        20, 5.0, "sync:3", "redis://127.0.0.1:6379/9")
    defaults = parse_args(["--sections", "capacity"])
    assert defaults.capacity_people == 100 and defaults.capacity_seconds == 60
    assert ServerShape.parse(defaults.capacity_gunicorn) == ServerShape.parse(capacity.DEFAULT_SHAPE)
    for bad in ("gevent:2", "sync:2x4", "gthread:0x4"):
        with pytest.raises(SystemExit):
            parse_args(["--capacity-gunicorn", bad])
        assert "--capacity-gunicorn" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        parse_args(["--capacity-people", "0"])


def test_server_shapes_become_gunicorn_arguments():
    assert ServerShape.parse("gthread:2x4").arguments() == ["--worker-class", "gthread", "--workers", "2",
                                                             "--threads", "4"]
    assert ServerShape.parse("sync:3").arguments() == ["--worker-class", "sync", "--workers", "3"]
    assert ServerShape.parse(" gthread:1x8 ").describe() == "1 gthread worker × 8 threads"


def test_on_sqlite_files_the_section_says_it_needs_postgresql(tmp_path):
    result = capacity.run(RunContext(Options(sizes=[10]), tmp_path))
    assert result.table == ["not measured: needs PostgreSQL (--database-url)"]
    assert [(check.met, check.row) for check in result.checks] == [(None, "capacity")] * 3


def test_only_requests_inside_the_window_count_but_every_error_does():
    samples = [(99.0, "sign in", 150.0, 303, ""),          # arrival: before the window
               (100.5, "issue", 20.0, 200, ""), (101.0, "issue", 40.0, 200, ""),
               (102.0, "search (htmx)", 10.0, 0, "connection refused"),
               (109.99, "issue", 30.0, 200, ""),          # answered after the window closed
               (98.0, "home", 5.0, 302, "/ signed out, expected 200")]
    result = capacity.analyse(samples, (100.0, 110.0))
    assert result["requests"] == 3 and result["requests_per_second"] == 0.3
    assert result["by_kind"]["issue"]["n"] == 2 and result["by_kind"]["issue"]["p95_ms"] == 40.0
    assert result["errors"] == 2 and result["by_kind"][capacity.ALL]["errors"] == 1


def _result(**changes) -> dict:
    every = {"n": 6000, "p50_ms": 20.0, "p95_ms": 55.0, "p99_ms": 90.0, "max_ms": 200.0, "errors": 0}
    return {"issues": 10_000, "people": 100, "servers": 2, "seconds": 60.0, "requests_per_second": 95.0,
            "errors": 0, "by_kind": {capacity.ALL: every}, **changes}


def test_the_verdicts_judge_only_a_run_at_the_rows_scale():
    assert [check.met for check in capacity.checks(_result())] == [True, True, True]
    assert [check.met for check in capacity.checks(_result(requests_per_second=80.0, errors=1))] == [
        False, True, False]
    for smaller in ({"issues": 1_000}, {"people": 50}, {"servers": 1}, {"seconds": 30.0}):
        assert {check.met for check in capacity.checks(_result(**smaller))} == {None}


def test_two_people_read_comment_and_update_through_a_server(tmp_path, monkeypatch):
    monkeypatch.setenv("MFA_REQUIRED_ROLES", "")
    dataset = build_dataset(40, "sqlite:///" + str(tmp_path / "capacity.sqlite"), 2026)
    result = capacity.measure(dataset, tmp_path / "run", people=2, seconds=4, shape=ServerShape.parse("sync:1"),
                              redis_url=None, servers=1, worker=False, ramp_seconds=1, think=(0.0, 0.05))
    assert result["errors"] == 0, result["first_errors"]
    assert (result["participants"], result["staff"]) == (1, 1)
    # Two people thinking at most 50 ms make dozens of requests in 4 s; on a machine busy with other
    # work, fewer, but every one counted.
    assert result["requests"] >= 8 and result["by_kind"][capacity.ALL]["n"] == result["requests"]
    # The servers' own request log is read and matched to the kinds the people asked for.
    assert result["server_ms"][capacity.ALL]["n"] >= result["requests"] * 0.9
    assert {"server 1", "Locust"} <= set(result["cpu"]["groups"])

    from issues_tracker.core.extensions import db
    from issues_tracker.models import Comment, IssueEvent, User

    app = dataset.app()
    with app.app_context():
        staff = db.session.scalar(sa.select(User.id).where(User.email.like("capacity.staff%")))
        comments = db.session.scalar(sa.select(sa.func.count()).select_from(Comment).where(Comment.author_id == staff))
        notes = db.session.scalar(sa.select(sa.func.count()).select_from(IssueEvent)
                                  .where(IssueEvent.user_id == staff, IssueEvent.kind == "note"))
        db.session.remove()
        db.engine.dispose()
    # Every comment and update the staff member sent over the whole run is stored, with its progress note.
    sent = result["answered_whole_run"]
    assert sent.get("comment (htmx)", 0) + sent.get("issue update", 0) > 0
    assert comments == sent.get("comment (htmx)", 0) and notes == sent.get("issue update", 0)
