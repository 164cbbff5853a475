"""Command-line interface: seed, users, log."""

from __future__ import annotations

import click
from flask import Flask, current_app

from .extensions import db


def register_cli(app: Flask) -> None:
    @app.cli.command("seed")
    @click.option("--synthetic", type=click.IntRange(min=1, max=1_000_000), default=None,
                  help="Add N generated issues, with history, for benchmarks and demos.")
    @click.option("--random-seed", type=int, default=2026, show_default=True,
                  help="Seed for the generator: the same seed gives the same issues.")
    def seed_command(synthetic: int | None, random_seed: int) -> None:
        """Load the forum pack's tracker rows, forum dates, actions and feedback poll."""
        from .seeding import DEMO_PASSWORD, seed_all

        demo = bool(current_app.config.get("DEMO_ACCOUNTS"))
        counts = seed_all(demo_accounts=demo)
        added = ", ".join(f"{n} {what}" for what, n in counts.items() if n)
        click.echo(f"Seed data loaded: {added}." if added else "Seed data already loaded; nothing changed.")
        if demo and counts["accounts"]:
            click.echo(f"Demo accounts (password {DEMO_PASSWORD!r}): admin@example.org, staff@example.org, "
                       "participant@supplier.example, participant@distributor.example")
        if synthetic:
            from .synthetic import generate

            made = generate(synthetic, random_seed=random_seed, progress=True)
            click.echo(f"Added {made} synthetic issues (random seed {random_seed}).")

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
        from .services.accounts import AccountError, create_user

        try:
            user = create_user(email, role=role, organisation_name=organisation, password=password, name=name)
        except AccountError as exc:
            db.session.rollback()
            raise click.ClickException(str(exc)) from None
        click.echo(f"Created {user.role} account {user.email} in {user.organisation.name}.")

    register_log_cli(app)
    register_notifications_cli(app)


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
    from .services.log import LogError, parse_week

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
        from .services.log import LogError, current_week, publish_log

        try:
            outcome = publish_log(week or current_week(), revise=revise, reason=reason)
        except LogError as exc:
            db.session.rollback()
            raise click.ClickException(str(exc)) from None
        click.echo(outcome.message)
