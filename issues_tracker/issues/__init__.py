from flask import Blueprint

bp = Blueprint("issues", __name__)

from . import views  # noqa: E402,F401
