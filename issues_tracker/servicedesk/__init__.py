"""Service performance: the service-desk records, their KPIs against service levels,
major incidents, aged cases, trends, and each forum meeting's pack."""

from flask import Blueprint

bp = Blueprint("performance", __name__)

from . import views  # noqa: E402,F401
