"""Command-line interface: seed, users, log, backup (the worker is in jobs/cli.py)."""

from __future__ import annotations

import click
from flask import Flask, current_app

from .core.extensions import db


def register_cli(app: Flask) -> None:
    @app.cli.command("seed")
    @click.option("--synthetic", type=click.IntRange(min=1, max=1_000_000), default=None,
                  help="Add N generated issues, with history, for benchmarks and demos.")
    @click.option("--random-seed", type=int, default=2026, show_default=True,
                  help="Seed for the generator: the same seed gives the same issues.")
    @click.option("--servicedesk", "servicedesk_records", type=click.IntRange(min=1, max=2_000_000), default=None,
                  help="Add N generated service-desk records (cases and incidents) over the years before now.")
    @click.option("--servicedesk-years", type=click.IntRange(min=1, max=10), default=3, show_default=True,
                  help="How many years the generated service-desk records span.")
    def seed_command(synthetic: int | None, random_seed: int, servicedesk_records: int | None,
                     servicedesk_years: int) -> None:
        """Load the forum pack's tracker rows, forum dates, actions and feedback poll."""
        from .seeds.loader import DEMO_PASSWORD, seed_all

        demo = bool(current_app.config.get("DEMO_ACCOUNTS"))
        counts = seed_all(demo_accounts=demo)
        db.session.commit()
        added = ", ".join(f"{n} {what}" for what, n in counts.items() if n)
        click.echo(f"Seed data loaded: {added}." if added else "Seed data already loaded; nothing changed.")
        if demo and counts["accounts"]:
            click.echo(f"Demo accounts (password {DEMO_PASSWORD!r}): admin@example.org, staff@example.org, "
                       "participant@supplier.example, participant@distributor.example")
        if synthetic:
            from .issues.synthetic import analyse_tables, generate

            made = generate(synthetic, random_seed=random_seed, progress=True)
            db.session.commit()
            analyse_tables()
            click.echo(f"Added {made} synthetic issues (random seed {random_seed}).")
        if servicedesk_records:
            from .servicedesk.synthetic import analyse_tables as analyse_servicedesk_tables
            from .servicedesk.synthetic import generate_records

            outcome = generate_records(servicedesk_records, years=servicedesk_years, random_seed=random_seed,
                                       progress=True)
            db.session.commit()
            analyse_servicedesk_tables()
            years = f"{servicedesk_years} year{'' if servicedesk_years == 1 else 's'}"
            click.echo(f"Added {outcome.added:,} synthetic service-desk records over {years} (random seed {random_seed}).")

    users = click.Group("users", help="Manage accounts.")
    app.cli.add_command(users)

    @users.command("create")
    @click.argument("email")
    @click.option("--role", type=click.Choice(["participant", "staff", "admin"]), required=True)
    @click.option("--org", "organisation", required=True, help="Organisation; created if it does not exist.")
    @click.option("--name", default="", help="Full name.")
    @click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
    def create_user_command(email, role, organisation, name, password):
        """Create an account."""
        from .accounts.operations import AccountError, create_user

        try:
            user = create_user(email, role=role, organisation_name=organisation, password=password, name=name)
            db.session.commit()
        except AccountError as exc:
            db.session.rollback()
            raise click.ClickException(str(exc)) from None
        click.echo(f"Created {user.role} account {user.email} in {user.organisation.name}.")

    register_log_cli(app)
    register_backup_cli(app)
    register_search_cli(app)
    register_notifications_cli(app)


def register_search_cli(app: Flask) -> None:
    search = click.Group("search", help="The full-text search index of issues.")
    app.cli.add_command(search)

    @search.command("rebuild")
    def rebuild_command():
        """Index every issue again (the index otherwise follows each change by itself)."""
        from tqdm import tqdm

        from .search import rebuild_index

        with tqdm(unit="issue", desc="Indexing issues", leave=True) as bar:
            indexed = rebuild_index(db.session.connection(), progress=bar.update)
        db.session.commit()
        click.echo(f"Search index rebuilt: {indexed} issue{'' if indexed == 1 else 's'} indexed.")


def register_backup_cli(app: Flask) -> None:
    backup = click.Group("backup", help="Back up and restore the database (issues, forum, jobs and published logs).")
    app.cli.add_command(backup)

    @backup.command("create")
    @click.argument("path", type=click.Path(dir_okay=False, writable=True))
    def create_command(path):
        """Write a backup of the database to PATH (pg_dump's custom format, or a SQLite file)."""
        from .core.backup import BackupError, create_backup

        try:
            written = create_backup(path)
        except BackupError as exc:
            raise click.ClickException(str(exc)) from None
        click.echo(f"Backed up the database to {written} ({written.stat().st_size / 1024:.0f} kB).")

    @backup.command("restore")
    @click.argument("path", type=click.Path(exists=True, dir_okay=False))
    @click.confirmation_option(prompt="This replaces everything in the configured database. Continue?")
    def restore_command(path):
        """Replace the database's contents with the backup at PATH."""
        from .core.backup import BackupError, restore_backup

        try:
            restore_backup(path)
        except BackupError as exc:
            raise click.ClickException(str(exc)) from None
        click.echo(f"Restored the database from {path}. Run `flask db upgrade` if the backup is older than this release.")

    from .servicedesk.cli import register_servicedesk_cli

    register_servicedesk_cli(app)


def register_notifications_cli(app: Flask) -> None:
    notifications = click.Group("notifications", help="Email notifications and digests.")
    app.cli.add_command(notifications)

    @notifications.command("deliver")
    @click.option("--every", type=click.IntRange(min=1, max=3600), default=None, metavar="SECONDS",
                  help="Keep running, delivering what is due every SECONDS; without it, deliver once and exit.")
    def deliver_command(every):
        """Fan out new changes and send what is due: emails at once and digests."""
        import time

        from .notifications.delivery import deliver_pending

        while True:
            try:
                report = deliver_pending()
            except Exception:
                db.session.rollback()
                raise
            finally:
                db.session.remove()
            if every is None or report.records or report.immediate.handled or report.digests.handled:
                click.echo(report.summary)
            if every is None:
                return
            time.sleep(every)


def _week_option(ctx, param, value):
    """--week: a YYYY-MM-DD Monday; a date that is not a Monday is refused with the reason."""
    if value is None:
        return None
    from .log.operations import LogError, parse_week

    try:
        return parse_week(value)
    except LogError as exc:
        raise click.BadParameter(str(exc)) from None


def register_log_cli(app: Flask) -> None:
    log = click.Group("log", help="The weekly industry issues log.")
    app.cli.add_command(log)

    @log.command("publish")
    @click.option("--week", callback=_week_option, metavar="YYYY-MM-DD",
                  help="The Monday of the week to publish. Default: this week's Monday (Europe/London).")
    @click.option("--revise", is_flag=True, help="Publish a correction of an already published week as a new revision.")
    @click.option("--reason", default="", help="What the revision corrects (required with --revise).")
    def publish_command(week, revise, reason):
        """Render and store the log for the week commencing a Monday; once per week unless revised."""
        from .log.operations import LogError, current_week, publish_log

        try:
            outcome = publish_log(week or current_week(), revise=revise, reason=reason)
            db.session.commit()
        except LogError as exc:
            db.session.rollback()
            raise click.ClickException(str(exc)) from None
        click.echo(outcome.message)

    @log.command("export")
    @click.argument("folder", type=click.Path(file_okay=False))
    def export_command(folder):
        """Write every published log as a PDF file into FOLDER, with SHA256SUMS."""
        from .core.backup import BackupError, export_published_logs

        try:
            written = export_published_logs(folder)
        except BackupError as exc:
            raise click.ClickException(str(exc)) from None
        click.echo(f"Wrote {len(written)} published log{'' if len(written) == 1 else 's'} and SHA256SUMS to {folder}.")


def main() -> None:
    """`issues-tracker ...`: the same commands as `flask --app issues_tracker ...`."""
    from flask.cli import FlaskGroup

    from . import create_app

    FlaskGroup(name="issues-tracker", create_app=lambda: create_app(), help="Industry Issues Tracker and Service Forum.").main()
