"""`flask log publish | export`: the Monday log from the command line (a scheduler runs publish)."""

from __future__ import annotations

import click
from flask import Flask

from ..core.transaction import unit_of_work


def _week_option(ctx, param, value):
    """--week: a YYYY-MM-DD Monday; a date that is not a Monday is refused with the reason."""
    if value is None:
        return None
    from .weeks import LogError, parse_week

    try:
        return parse_week(value)
    except LogError as exc:
        raise click.BadParameter(str(exc)) from None


def register_cli(app: Flask) -> None:
    log = click.Group("log", help="The weekly industry issues log.")
    app.cli.add_command(log)

    @log.command("publish")
    @click.option("--week", callback=_week_option, metavar="YYYY-MM-DD",
                  help="The Monday of the week to publish. Default: this week's Monday (Europe/London).")
    @click.option("--revise", is_flag=True, help="Publish a correction of an already published week as a new revision.")
    @click.option("--reason", default="", help="What the revision corrects (required with --revise).")
    def publish_command(week, revise, reason):
        """Render and store the log for the week commencing a Monday; once per week unless revised."""
        from .operations import publish_log
        from .weeks import LogError, current_week

        try:
            with unit_of_work():
                outcome = publish_log(week or current_week(), revise=revise, reason=reason)
        except LogError as exc:
            raise click.ClickException(str(exc)) from None
        click.echo(outcome.message)

    @log.command("export")
    @click.argument("folder", type=click.Path(file_okay=False))
    def export_command(folder):
        """Write every published log as a PDF file into FOLDER, with SHA256SUMS."""
        from .archive import ArchiveError, export_published_logs

        try:
            written = export_published_logs(folder)
        except ArchiveError as exc:
            raise click.ClickException(str(exc)) from None
        click.echo(f"Wrote {len(written)} published log{'' if len(written) == 1 else 's'} and SHA256SUMS to {folder}.")
