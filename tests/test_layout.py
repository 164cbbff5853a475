"""The package keeps the shape docs/architecture.md describes: one package per part, each with its
blueprint named as the package, imports running one way, and no module too long to read."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "issues_tracker"
INFRASTRUCTURE = ("core", "jobs", "search")
PARTS = ("accounts", "admin", "home", "issues", "participation", "notifications", "log", "forum", "polls",
         "servicedesk", "organisations", "api", "webhooks", "improvements", "escalations")
# Modules that render pages for the views of several parts, beside the views themselves.
VIEW_HELPERS = {"views", "pages", "panel", "listing", "question_views"}
MAX_LINES = 500


def modules() -> list[Path]:
    return [path for path in PACKAGE.rglob("*.py") if "migrations" not in path.relative_to(PACKAGE).parts]


def imported(path: Path) -> set[str]:
    """The package's own modules a file imports, as dotted paths below issues_tracker."""
    tree = ast.parse(path.read_text())
    here = path.relative_to(PACKAGE).with_suffix("").parts
    package = here[:-1] if here[-1] != "__init__" else here[:-1]
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = list(package[: len(package) - node.level + 1])
            target = base + (node.module.split(".") if node.module else [])
            names.add(".".join(target))
            names.update(".".join(target + [alias.name]) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("issues_tracker"):
            names.add(node.module.removeprefix("issues_tracker").lstrip("."))
    return names


def test_docs_name_every_package():
    packages = {path.name for path in PACKAGE.iterdir() if (path / "__init__.py").exists()} - {"migrations"}
    assert packages == set(PARTS) | set(INFRASTRUCTURE) | {"seeds"}
    architecture = (PACKAGE.parent / "docs" / "architecture.md").read_text()
    for package in packages:
        assert f"**`{package}/`**" in architecture, package


def test_no_module_is_longer_than_can_be_read_at_a_sitting():
    long = {str(path.relative_to(PACKAGE)): count for path in modules()
            if (count := len(path.read_text().splitlines())) > MAX_LINES}
    assert long == {}


@pytest.mark.parametrize("part", PARTS)
def test_each_part_has_one_blueprint_named_as_its_package(app, part):
    assert part in app.blueprints
    assert app.blueprints[part].import_name == f"issues_tracker.{part}.views"


def test_core_imports_no_part():
    for path in (PACKAGE / "core").glob("*.py"):
        parts = {name.split(".")[0] for name in imported(path)} - {"core", ""}
        assert parts == set(), path.name


def test_a_part_uses_another_parts_operations_never_its_views():
    for path in modules():
        here = path.relative_to(PACKAGE).parts
        if len(here) == 1:
            continue  # the app factory, the CLI and models.py gather every part
        for name in imported(path):
            pieces = name.split(".")
            if len(pieces) >= 2 and pieces[0] in PARTS and pieces[0] != here[0] and pieces[1] == "views":
                pytest.fail(f"{'/'.join(here)} imports {name}")


def test_operations_and_models_never_import_forms_or_views():
    for path in modules():
        here = path.relative_to(PACKAGE).parts
        if here[0] not in PARTS or path.stem in VIEW_HELPERS | {"forms", "cli", "jobs", "__init__"}:
            continue
        for name in imported(path):
            pieces = name.split(".")
            assert not (pieces[0] in PARTS and pieces[-1] in ("forms", "views")), f"{'/'.join(here)} imports {name}"


def test_every_text_column_stores_text_as_the_product_keeps_it(app):
    """Every VARCHAR column is a core.models.Line and every TEXT column a Prose, so whatever writes it
    (a form, an import, the API, a job) stores clean text (core/text.py)."""
    from sqlalchemy import String

    from issues_tracker.core.extensions import db
    from issues_tracker.core.models import Line, Prose

    plain = [f"{table.name}.{column.name}" for table in db.metadata.sorted_tables for column in table.columns
             if isinstance(column.type, String) and not isinstance(column.type, Line | Prose)]
    assert plain == []
