from flask import Blueprint

bp = Blueprint("issues", __name__)

from . import import_views, views  # noqa: E402,F401
