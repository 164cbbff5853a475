"""The benchmark judges by the project's targets, word for word, and writes the figures page itself.

The targets are the project's BENCHMARKS.md: BENCHMARKS_MD names it, else the shared copy beside
the repository (../shared/BENCHMARKS.md), else the copy kept in the repository
(benchmarks/BENCHMARKS.md), which must then equal whichever was found.
"""

import os
import re
from pathlib import Path

import pytest

from benchmarks import log_render, report, search, servicedesk, tracker
from benchmarks.registry import SECTION_MODULES, Check
from benchmarks.targets import BY_KEY, TARGETS, at_target_scale, limit

REPO = Path(__file__).resolve().parent.parent
KEPT_COPY = REPO / "benchmarks" / "BENCHMARKS.md"


def _benchmarks_md() -> Path:
    if os.environ.get("BENCHMARKS_MD"):
        return Path(os.environ["BENCHMARKS_MD"])
    shared = REPO.parent / "shared" / "BENCHMARKS.md"
    return shared if shared.is_file() else KEPT_COPY


BENCHMARKS_MD = _benchmarks_md()
NUMBER = re.compile(r"\d[\d,]*(?:\.\d+)?")


def benchmarks_rows() -> list[tuple[str, str, str]]:
    assert BENCHMARKS_MD.is_file(), f"BENCHMARKS.md not found at {BENCHMARKS_MD} (set BENCHMARKS_MD)"
    text = BENCHMARKS_MD.read_text(encoding="utf-8")
    table = text[text.index("| what | data | target |"):].splitlines()
    rows = []
    for line in table[2:]:
        if not line.startswith("|"):
            break
        cells = [cell.strip() for cell in line.strip().strip("|").split(" | ")]
        assert len(cells) == 3, line
        rows.append(tuple(cells))
    return rows


def test_the_repositorys_copy_of_benchmarks_md_is_the_projects_own():
    assert KEPT_COPY.read_text(encoding="utf-8") == BENCHMARKS_MD.read_text(encoding="utf-8")


def test_the_targets_table_is_benchmarks_md_row_for_row():
    rows = benchmarks_rows()
    assert len(rows) > 20
    assert [(t.what, t.data, t.target) for t in TARGETS] == rows


@pytest.mark.parametrize("target", TARGETS, ids=lambda t: t.key)
def test_every_limit_is_a_number_written_in_its_row(target):
    text = f"{target.what} {target.data} {target.target}".replace("two ", "2 ")  # "two app servers"
    written = {float(n.replace(",", "")) for n in NUMBER.findall(text)}
    for name, value in target.limits.items():
        assert float(value) in written, (target.key, name, value)


def run_checks() -> list[Check]:
    """Every section's checks when nothing was run: each still names its row."""
    return [*tracker.checks({}), *search.checks({}), *log_render.checks([]),
            *servicedesk.kpi_checks(1000, *[{name: {"p95_ms": 1.0} for name in servicedesk.KPI_PAGES}] * 2)]


def test_every_check_answers_a_row_of_the_targets():
    found = run_checks()
    assert found
    assert {check.row for check in found} <= set(BY_KEY)
    assert {"list", "fragment", "detail", "list_large", "search", "similar", "seed", "log_render", "kpis"} <= {
        check.row for check in found}


def tracker_figures(p95: float, p50_x_floor: float) -> dict:
    pages = {page: {"p95_ms": p95, "p50_ms": 1.0, "p50_x_floor": p50_x_floor} for page in tracker.PAGES}
    return {10_000: {"http": {role: pages for role in tracker.ROLES}, "synthetic_load_seconds": 3.0,
                     "queries": {role: dict.fromkeys(tracker.PAGES, 5) for role in tracker.ROLES}}}


def test_the_tracker_verdicts_are_the_tables_limits():
    at_limit = {(c.name, c.row): c.met for c in tracker.checks(tracker_figures(limit("list", "p95_ms"), 3.0))}
    over = {(c.name, c.row): c.met for c in tracker.checks(tracker_figures(limit("list", "p95_ms") + 0.1, 3.1))}
    assert at_limit[("list p95, 10,000 issues, participant (HTTP)", "list")] is True
    assert over[("list p95, 10,000 issues, participant (HTTP)", "list")] is False
    assert at_limit[("list p50 / healthz p50, 10,000 issues, staff (HTTP)", "list")] is True
    assert over[("list p50 / healthz p50, 10,000 issues, staff (HTTP)", "list")] is False
    # 100,000 issues were not run: that row judges nothing rather than passing.
    assert at_limit[("list p95, 100,000 issues, staff (HTTP)", "list_large")] is None


def test_a_figure_below_the_rows_scale_judges_nothing():
    assert not at_target_scale("poll", browsers=100, interval_seconds=3, servers=2)
    assert not at_target_scale("poll", browsers=300, interval_seconds=5, servers=2)
    assert at_target_scale("poll", browsers=300, interval_seconds=3, servers=2)
    fast = {name: {"p95_ms": 1.0} for name in servicedesk.KPI_PAGES}
    assert {c.met for c in servicedesk.kpi_checks(1_000, fast, fast)} == {None}
    assert {c.met for c in servicedesk.kpi_checks(200_000, fast, fast)} == {True}


def a_run(section: str, started: str, checks: list[dict], table: list[str]) -> dict:
    return {"started_at": started, "machine": {"cpus": 2, "python": "3.11", "sqlite": "3.40"},
            "sections": {section: {"title": section.title(), "table": table}},
            "checks": [{"section": section, "target": "", **check} for check in checks]}


def test_the_figures_page_is_written_by_the_run_and_keeps_other_sections(tmp_path):
    page = tmp_path / "performance.md"
    page.write_text("# Performance\n\nWhat changed, and why.\n", encoding="utf-8")
    report.write(page, a_run("tracker", "2026-12-01T10:00:00+00:00", [
        {"name": "list p95", "figure": "8.0 ms", "met": True, "row": "list"},
        {"name": "list p95 at 100,000", "figure": "size not run", "met": None, "row": "list_large"},
    ], ["tracker table"]), "python -m benchmarks --sections tracker", ["tracker", "search"])
    report.write(page, a_run("search", "2026-12-02T10:00:00+00:00", [
        {"name": "ranked search p95", "figure": "26.0 ms", "met": False, "row": "search"},
    ], ["search table"]), "python -m benchmarks --sections search", ["tracker", "search"])
    text = page.read_text(encoding="utf-8")
    assert text.startswith("# Performance\n\n" + report.START)
    assert text.rstrip().endswith("What changed, and why.")
    lines = {line.split(" | ")[0].strip("| "): line for line in text.splitlines() if line.startswith("| ")}
    assert "list p95: 8.0 ms | met | `python -m benchmarks --sections tracker` | 2026-12-01 |" in lines[
        "issues list page, p95"]
    assert "| **MISSED** | `python -m benchmarks --sections search` | 2026-12-02 |" in lines[
        "free-text search (ranked), p95"]
    assert "| not measured at this scale |" in lines["list page, p95"]
    assert "| no figure yet | not measured | — | — |" in lines["daily digest"]
    assert "tracker table" in text and "search table" in text
    # A later run below the row's scale leaves a judged figure alone.
    report.write(page, a_run("tracker", "2026-12-03T10:00:00+00:00", [
        {"name": "list p95", "figure": "5.0 ms", "met": None, "row": "list"},
    ], ["small tracker table"]), "python -m benchmarks --sizes 1000", ["tracker", "search"])
    text = page.read_text(encoding="utf-8")
    assert "list p95: 8.0 ms | met" in text and "small tracker table" not in text


def test_a_run_on_postgresql_keeps_its_figures_beside_sqlites(tmp_path):
    page = tmp_path / "performance.md"
    order = ["tracker", "search"]
    report.write(page, a_run("search", "2026-12-02T10:00:00+00:00", [
        {"name": "ranked search p95", "figure": "21.0 ms", "met": True, "row": "search"},
    ], ["search table on SQLite"]), "python -m benchmarks --sections search", order)
    on_postgresql = a_run("search", "2026-12-03T10:00:00+00:00", [
        {"name": "ranked search p95", "figure": "24.0 ms", "met": True, "row": "search"},
    ], ["search table on PostgreSQL"])
    on_postgresql["options"] = {"database": "postgresql"}
    report.write(page, on_postgresql, "python -m benchmarks --sections search --database-url postgresql+psycopg://…", order)
    text = page.read_text(encoding="utf-8")
    rows = [line for line in text.splitlines() if line.startswith("| free-text search (ranked), p95 |")]
    assert len(rows) == 2
    assert "21.0 ms" in rows[0] and "2026-12-02" in rows[0]
    assert "24.0 ms" in rows[1] and "--database-url" in rows[1]
    assert "search table on SQLite" in text and "search table on PostgreSQL" in text
    assert "#### Search (PostgreSQL)" in text


def test_a_postgresql_run_recorded_before_the_split_gives_way_to_its_successor(tmp_path):
    page = tmp_path / "performance.md"
    command = "python -m benchmarks --sections capacity --database-url postgresql+psycopg://…"
    # Recorded when a PostgreSQL run's entries still went under SQLite's key.
    report.write(page, a_run("capacity", "2026-12-05T10:00:00+00:00", [
        {"name": "capacity p95", "figure": "1466.4 ms", "met": False, "row": "capacity"},
    ], ["the older table"]), command, ["capacity"])
    on_postgresql = a_run("capacity", "2026-12-06T10:00:00+00:00", [
        {"name": "capacity p95", "figure": "116.5 ms", "met": False, "row": "capacity"},
    ], ["the newer table"])
    on_postgresql["options"] = {"database": "postgresql"}
    report.write(page, on_postgresql, command, ["capacity"])
    text = page.read_text(encoding="utf-8")
    assert "116.5 ms" in text and "the newer table" in text
    assert "1466.4 ms" not in text and "the older table" not in text


def test_performance_md_leads_with_the_generated_table_untouched_by_hand():
    text = (REPO / "docs" / "performance.md").read_text(encoding="utf-8")
    assert text.index(report.START) < text.index("\n## ")
    part = text[text.index(report.START):text.index(report.END) + len(report.END)]
    assert part == report.render(report.kept(text), list(SECTION_MODULES))
    for target in TARGETS:
        assert f"| {target.what.replace('|', chr(92) + '|')} | " in part
