from flask import Blueprint

bp = Blueprint("participation", __name__)

from . import account, feeds, views  # noqa: E402,F401
