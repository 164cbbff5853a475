"""Extension objects, created here and bound to the app in create_app."""

import logging
import sqlite3

import sqlalchemy as sa
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_talisman import Talisman
from flask_wtf import CSRFProtect
from htmx_flask import Htmx
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

logger = logging.getLogger(__name__)

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
htmx_ext = Htmx()
talisman = Talisman()
limiter = Limiter(key_func=get_remote_address, default_limits=[])


@sa.event.listens_for(sa.engine.Engine, "connect")
def _sqlite_write_ahead_log(dbapi_connection, _record) -> None:
    """SQLite files in write-ahead-log mode, so readers never wait for a writer.

    In SQLite's default mode a long write (a worker's import is one transaction) spills past
    its page cache and locks the whole file until it commits: every page read meanwhile
    would wait and then fail. With the log, reads see the last commit at once. The mode is
    kept in the file, so after the first connection this finds it already set.
    """
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    try:
        dbapi_connection.execute("PRAGMA journal_mode=WAL").close()
    except sqlite3.OperationalError:  # another connection is writing: the next connection sets it
        logger.warning("Could not put the SQLite database in write-ahead-log mode yet", exc_info=True)
