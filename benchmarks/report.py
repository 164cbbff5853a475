"""The figures part of docs/performance.md, written by a run (``python -m benchmarks --output docs/performance.md``).

The part between START and END is the run's to write: one table of every target in
targets.TARGETS (BENCHMARKS.md) with the figure measured, its verdict, the command and the
date, then each section's own table from its latest run. The figures behind it are kept in
the part itself (a JSON comment), so a run of one section updates that section's rows and
keeps the others from their own runs. A row a run measured below the row's scale (fewer
issues, records or browsers than the target names) replaces an earlier figure only when
that one judged nothing either.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from .targets import TARGETS

START = "<!-- benchmark figures: written by python -m benchmarks --output; edits by hand are lost -->"
END = "<!-- end of benchmark figures -->"
DATA = re.compile(r"<!-- figures data\n(.*?)\n-->", re.S)


def kept(text: str) -> dict:
    """The figures kept in a document's generated part, or none."""
    part = _part(text)
    match = DATA.search(part or "")
    return json.loads(match.group(1)) if match else {"rows": {}, "sections": {}}


def _part(text: str) -> str | None:
    if START in text and END in text:
        return text[text.index(START):text.index(END) + len(END)]
    return None


def _judged(checks: list[dict]) -> bool:
    return any(check["met"] is not None for check in checks)


def merge(old: dict, report: dict, command: str) -> dict:
    """The kept figures updated with a run's (report: what __main__ writes as JSON)."""
    date = report["started_at"][:10]
    # A run on PostgreSQL keeps its own entries beside SQLite's (a row such as search names both).
    where = "" if report.get("options", {}).get("database", "sqlite") == "sqlite" else "@postgresql"
    merged = {"rows": dict(old.get("rows", {})), "sections": dict(old.get("sections", {}))}
    by_entry: dict[str, list[dict]] = {}
    for check in report["checks"]:
        if check.get("row"):
            by_entry.setdefault(f"{check['row']}|{check['section']}{where}", []).append(check)
    for key, checks in by_entry.items():
        previous = merged["rows"].get(key)
        if previous is None or _judged(checks) or not _judged(previous["checks"]):
            merged["rows"][key] = {"row": checks[0]["row"], "section": checks[0]["section"] + where, "command": command,
                                   "date": date, "checks": [{k: c[k] for k in ("name", "figure", "target", "met")}
                                                            for c in checks]}
    for name, section in report["sections"].items():
        checks = [check for check in report["checks"] if check["section"] == name]
        previous = merged["sections"].get(name + where)
        if "table" not in section:
            continue
        if previous is None or _judged(checks) or not previous.get("judged"):
            title = section["title"] + (" (PostgreSQL)" if where else "")
            merged["sections"][name + where] = {"title": title, "table": section["table"], "command": command,
                                        "date": date, "judged": _judged(checks), "machine": report["machine"],
                                        "load_average": report.get("load_average")}
    _drop_superseded(merged)
    return merged


def _drop_superseded(merged: dict) -> None:
    """A PostgreSQL run recorded before its entries were kept apart sits under SQLite's key; once
    the same entry exists for PostgreSQL, the older one only repeats a stale figure."""
    for part in ("rows", "sections"):
        entries = merged[part]
        for key in [key for key in entries if not key.endswith("@postgresql")]:
            if key + "@postgresql" in entries and "--database-url postgresql" in entries[key].get("command", ""):
                del entries[key]


def row_verdict(checks: list[dict]) -> str:
    verdicts = {check["met"] for check in checks}
    if False in verdicts:
        return "**MISSED**"
    if verdicts == {True}:
        return "met"
    if True in verdicts:
        return "met where measured"
    return "not measured at this scale" if checks else "not measured"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render(figures: dict, section_order: list[str]) -> str:
    lines = [
        START,
        "",
        "| what | data | target | measured | verdict | command | date |",
        "|---|---|---|---|---|---|---|",
    ]
    for target in TARGETS:
        entries = sorted((entry for entry in figures["rows"].values() if entry["row"] == target.key),
                         key=lambda entry: _order(section_order, entry["section"]))
        cells = [_cell(target.what), _cell(target.data), _cell(target.target)]
        if not entries:
            lines.append("| " + " | ".join([*cells, "no figure yet", "not measured", "—", "—"]) + " |")
        for entry in entries:
            measured = "; ".join(f"{check['name']}: {check['figure']}"
                                 f"{'' if check['met'] is not None else ' (judges nothing)'}"
                                 for check in entry["checks"])
            section = figures["sections"].get(entry["section"], {})
            load = section.get("load_average") if section.get("command") == entry["command"] else None
            cores = section.get("machine", {}).get("cpus", "?")
            when = entry["date"] + (f" (load {load:.1f} on {cores} cores)" if load is not None else "")
            lines.append("| " + " | ".join([*cells, _cell(measured), row_verdict(entry["checks"]),
                                            f"`{_cell(entry['command'])}`", when]) + " |")
    lines += ["", "### Each section's latest run", ""]
    for name in sorted(figures["sections"], key=lambda name: _order(section_order, name)):
        section = figures["sections"][name]
        machine = section.get("machine", {})
        lines += [f"#### {section['title']}", "",
                  f"`{section['command']}`, {section['date']}; {machine.get('cpus', '?')} cores, "
                  f"Python {machine.get('python', '?')}, SQLite {machine.get('sqlite', '?')}"
                  + (f"; load average {section['load_average']:.1f} over the last 5 minutes of the run (the machine "
                     "is shared: compare the ratios to the floor)" if section.get("load_average") is not None else "")
                  + ".", "",
                  "```text", *section["table"], "```", ""]
    lines += ["<!-- figures data", json.dumps(figures, indent=1, ensure_ascii=False), "-->", END]
    return "\n".join(lines)


def _order(section_order: list[str], name: str) -> int:
    name = name.partition("@")[0]  # a section's PostgreSQL entries sort with its SQLite ones
    return section_order.index(name) if name in section_order else len(section_order)


def write(path: Path, report: dict, command: str, section_order: list[str]) -> None:
    """Rewrite the generated part of the document at path (after its title when it has none yet)."""
    text = path.read_text(encoding="utf-8") if path.exists() else "# Performance\n"
    figures = merge(kept(text), report, command)
    part = render(figures, section_order)
    old = _part(text)
    if old is not None:
        text = text.replace(old, part)
    else:
        title, _, rest = text.partition("\n")
        text = f"{title}\n\n{part}\n{rest}"
    path.write_text(text, encoding="utf-8")
