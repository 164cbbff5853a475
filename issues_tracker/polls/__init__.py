from flask import Blueprint

bp = Blueprint("polls", __name__)

from . import views  # noqa: E402,F401
