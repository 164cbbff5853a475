"""`flask api token create`: an API token from the command line, for operators."""

from __future__ import annotations

import click
import sqlalchemy as sa
from flask import Flask

from ..core.extensions import db
from ..core.transaction import unit_of_work


def register_cli(app: Flask) -> None:
    api = click.Group("api", help="The JSON API: tokens.")
    token = click.Group("token", help="API tokens.")
    api.add_command(token)
    app.cli.add_command(api)

    @token.command("create")
    @click.option("--user", "email", required=True, help="The account the token acts as.")
    @click.option("--name", required=True, help="What uses the token, e.g. “ServiceNow sync”.")
    @click.option("--scope", type=click.Choice(["read", "write"]), required=True)
    @click.option("--expires", "days", type=click.IntRange(1, 3650), default=None, help="Days until it expires (default: never).")
    @click.option("--service", is_flag=True, help="A service token for the account's organisation.")
    def create_token_command(email, name, scope, days, service):
        """Create a token; it is printed once, as the last word of the last line."""
        from ..accounts.models import User
        from .tokens import TokenError, create_token

        user = db.session.scalar(sa.select(User).where(sa.func.lower(User.email) == email.strip().lower()))
        if user is None:
            raise click.ClickException(f"There is no account {email}.")
        try:
            with unit_of_work():
                made = create_token(user, name, scope, expires_days=days, organisation=user.organisation if service else None)
        except TokenError as exc:
            raise click.ClickException(str(exc)) from None
        expiry = f"expires {made.record.expires_at:%Y-%m-%d}" if made.record.expires_at else "never expires"
        click.echo(f"Created the {scope} token “{made.record.name}” for {user.email} ({expiry}). It is shown only now.")
        click.echo(f"Token: {made.token}")
