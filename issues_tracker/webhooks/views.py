"""Webhook subscriptions' pages: the delivery log and "send again"."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("webhooks", __name__, template_folder="templates")
