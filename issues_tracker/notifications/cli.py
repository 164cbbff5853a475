"""`flask notifications deliver`: fan out changes and send the email that is due."""

from __future__ import annotations

import time

import click
from flask import Flask

from ..core.extensions import db


def register_cli(app: Flask) -> None:
    notifications = click.Group("notifications", help="Email notifications and digests.")
    app.cli.add_command(notifications)

    @notifications.command("deliver")
    @click.option("--every", type=click.IntRange(min=1, max=3600), default=None, metavar="SECONDS",
                  help="Keep running, delivering what is due every SECONDS; without it, deliver once and exit.")
    def deliver_command(every):
        """Fan out new changes and send what is due: emails at once and digests."""
        from .delivery import deliver_pending

        while True:
            try:
                report = deliver_pending()  # commits message by message, as sending must
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
