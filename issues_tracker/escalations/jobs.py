"""Escalations' upkeep on the job queue: the service team is reminded of responses gone late."""

from __future__ import annotations

from ..jobs import background_task
from .operations import remind_late


@background_task("escalation-reminders", every_minutes=10)
def remind_of_late_escalations() -> None:
    remind_late()
