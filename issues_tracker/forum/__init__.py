from flask import Blueprint

bp = Blueprint("forum", __name__)

from . import views  # noqa: E402,F401
