"""The benchmark's sections, and how a new one joins.

A section measures one part of the product and reports figures and checks against
the targets in benchmarks/targets.py. ``python -m benchmarks`` imports the modules listed in
SECTION_MODULES, in that order; each module registers its section with ``@register``:

    from .registry import Check, SectionResult, register

    @register("log_render", "Monday log render")
    def run(ctx):                      # ctx: harness.RunContext
        data = ctx.dataset(10_000)     # a migrated, seeded SQLite database (cached per size)
        ...                            # measure; ctx.options.requests, ctx.timed(), ...
        return SectionResult(
            data={...},                                  # goes into bench.json
            table=["...", "..."],                        # lines printed under the title
            checks=[Check("log render ÷ bare table, 200 open", "0.9 ×", "≤ 1 ×", met=True, row="log_render")],
        )

A module listed here that does not exist yet is reported as "not measured" in the
table and in the JSON, so a missing section is visible rather than silently absent.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

# Section name -> the module that registers it, in the order they run. Add a line to add
# a section. The log render and the poll modules also run on their own
# (python -m benchmarks.log_render, benchmarks/poll_results.py against a server you start).
SECTION_MODULES: dict[str, str] = {
    "tracker": "benchmarks.tracker",
    "search": "benchmarks.search",
    "log_render": "benchmarks.log_render",
    "poll_refresh": "benchmarks.poll_results",
    "servicedesk": "benchmarks.servicedesk",
    "notifications": "benchmarks.notifications",
    "tracker_import": "benchmarks.tracker_import",
    "api": "benchmarks.api",
    "export": "benchmarks.export",
    "capacity": "benchmarks.capacity",
}


@dataclass
class Check:
    """One figure against one target: whether it is met (None: not measured, or not at the row's scale).

    ``row`` is the key of the row of targets.TARGETS (BENCHMARKS.md) the check answers.
    """

    name: str
    figure: str
    target: str
    met: bool | None
    row: str = ""


@dataclass
class SectionResult:
    data: dict[str, Any] = field(default_factory=dict)
    table: list[str] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)


@dataclass(frozen=True)
class Section:
    name: str
    title: str
    run: Callable[..., SectionResult]


SECTIONS: dict[str, Section] = {}


def register(name: str, title: str):
    def decorator(run: Callable[..., SectionResult]):
        SECTIONS[name] = Section(name, title, run)
        return run

    return decorator


def load_sections(wanted: list[str] | None = None) -> tuple[list[Section], dict[str, str]]:
    """The registered sections to run, and why any listed one is unavailable."""
    missing: dict[str, str] = {}
    for name, module in SECTION_MODULES.items():
        if wanted and name not in wanted:
            continue
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name != module:
                raise
            missing[name] = f"not measured: {module} is not there yet"
            continue
        if name not in SECTIONS:
            missing[name] = f"not measured: {module} registers no section named {name!r}"
    sections = [SECTIONS[name] for name in SECTION_MODULES if name in SECTIONS and (not wanted or name in wanted)]
    return sections, missing
