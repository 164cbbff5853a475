"""`flask search rebuild`: the full-text index of issues, written again."""

from __future__ import annotations

import click
from flask import Flask

from ..core.extensions import db
from ..core.transaction import unit_of_work


def register_cli(app: Flask) -> None:
    search = click.Group("search", help="The full-text search index of issues.")
    app.cli.add_command(search)

    @search.command("rebuild")
    def rebuild_command():
        """Index every issue again (the index otherwise follows each change by itself)."""
        from tqdm import tqdm

        from .index import rebuild_index

        with unit_of_work(), tqdm(unit="issue", desc="Indexing issues", leave=True) as bar:
            indexed = rebuild_index(db.session.connection(), progress=bar.update)
        click.echo(f"Search index rebuilt: {indexed} issue{'' if indexed == 1 else 's'} indexed.")
