"""The `flask` commands of every part (`issues-tracker` runs the same without `--app`)."""

from __future__ import annotations

from flask import Flask


def register_cli(app: Flask) -> None:
    from .accounts import cli as accounts
    from .api import cli as api
    from .core import backup
    from .log import cli as log
    from .notifications import cli as notifications
    from .search import cli as search
    from .seeds import cli as seeds
    from .servicedesk import cli as servicedesk

    for part in (seeds, accounts, log, backup, search, notifications, servicedesk, api):
        part.register_cli(app)


def main() -> None:
    """`issues-tracker ...`: the same commands as `flask --app issues_tracker ...`."""
    from flask.cli import FlaskGroup

    from . import create_app

    FlaskGroup(name="issues-tracker", create_app=lambda: create_app(), help="Industry Issues Tracker and Service Forum.").main()
