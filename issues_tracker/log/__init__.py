from flask import Blueprint

bp = Blueprint("log", __name__)

from . import views  # noqa: E402,F401
