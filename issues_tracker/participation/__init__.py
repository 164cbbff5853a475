from flask import Blueprint

bp = Blueprint("participation", __name__)

from ..notifications import jobs as notification_jobs  # noqa: E402,F401  (delivery on the job queue)
from . import account, feeds, views  # noqa: E402,F401
