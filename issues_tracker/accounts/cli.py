"""`flask users create`: accounts from the command line."""

from __future__ import annotations

import click
from flask import Flask

from ..core.transaction import unit_of_work


def register_cli(app: Flask) -> None:
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
        from .operations import AccountError, create_user

        try:
            with unit_of_work():
                user = create_user(email, role=role, organisation_name=organisation, password=password, name=name)
        except AccountError as exc:
            raise click.ClickException(str(exc)) from None
        click.echo(f"Created {user.role} account {user.email} in {user.organisation.name}.")
