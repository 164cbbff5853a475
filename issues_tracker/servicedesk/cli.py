"""flask servicedesk import FILE | remeasure."""

from __future__ import annotations

import click
from flask import Flask

from ..core.transaction import unit_of_work


def register_cli(app: Flask) -> None:
    group = click.Group("servicedesk", help="Service-desk extracts: cases and incidents from ServiceNow.")
    app.cli.add_command(group)

    @group.command("import")
    @click.argument("file", type=click.Path(exists=True, dir_okay=False, readable=True))
    def import_command(file: str) -> None:
        """Import an extract (.csv or .xlsx): every row is checked first, and nothing is stored unless all are valid.

        Records are matched by Number, so importing a newer extract updates them.
        """
        from .jobs import ImportRefused, import_file

        try:
            with unit_of_work():
                message = import_file(file, source="cli")
        except ImportRefused as exc:
            click.echo(exc.reason, err=True)
            for line in exc.details:
                click.echo(line, err=True)
            raise SystemExit(1) from None
        click.echo(message)

    @group.command("remeasure")
    def remeasure_command() -> None:
        """Work out every record's service-level results again, after BUSINESS_HOURS has changed."""
        from .operations import remeasure_all

        with unit_of_work():
            count = remeasure_all()
        click.echo(f"Measured {count:,} record{'' if count == 1 else 's'} again against the service levels.")
