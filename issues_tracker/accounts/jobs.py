"""The accounts' upkeep on the job queue: sign-in sessions past their lifetime are forgotten."""

from __future__ import annotations

from ..jobs import background_task
from .operations import prune_sessions, session_lifetime


@background_task("sessions", every_minutes=30)
def forget_expired_sessions() -> None:
    prune_sessions(session_lifetime())
