"""Test fixtures: a database built by the migrations, on SQLite or PostgreSQL.

Set TEST_DATABASE_URL (e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test) to
run the suite against PostgreSQL; otherwise each run uses a fresh SQLite file.
Tests never read DATABASE_URL, so they cannot touch a configured database.

Each test process makes one app; every test gets it as it was made, and leaves its tables
empty (see _AppAsMade and _empty_all_tables).
"""

from __future__ import annotations

import contextvars
import os
import re
import sqlite3
from contextlib import closing
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import upgrade
from itsdangerous import URLSafeTimedSerializer
from werkzeug.security import generate_password_hash

from issues_tracker import create_app
from issues_tracker.core.extensions import db, limiter, talisman
from issues_tracker.core.formats import LONDON
from issues_tracker.models import Organisation, User
from issues_tracker.seeds.current import seed_current
from issues_tracker.seeds.loader import seed_all

PASSWORD = "correct-horse-battery"
SECRET = "test-secret-key"
# Hashing is deliberately slow; hash the shared test password once per run.
_PASSWORD_HASHES: dict[str, str] = {}


@sa.event.listens_for(sa.engine.Engine, "connect")
def _commits_wait_for_no_disk(dbapi_connection, _record) -> None:
    """A test database need not survive a crash of the machine, so a commit does not wait for
    the disk (on a busy disk, that wait is most of a small test's time). What other connections
    see is unchanged. PostgreSQL's test databases are set so when they are made."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        dbapi_connection.execute("PRAGMA synchronous=OFF").close()


def _database_url(tmp_path_factory) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if url:
        if worker:
            url = _worker_database(url, worker)
        return url
    return "sqlite:///" + str(tmp_path_factory.mktemp("db") / "test.sqlite")


def _worker_database(url: str, worker: str) -> str:
    """One PostgreSQL database per xdist worker, created on demand."""
    base = sa.engine.make_url(url)
    name = f"{base.database}_{worker}"
    engine = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        exists = conn.scalar(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name})
        if not exists:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


def _reset_schema(url: str) -> None:
    if not url.startswith("postgresql"):
        return
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("DROP SCHEMA public CASCADE"))
        conn.execute(sa.text("CREATE SCHEMA public"))
        # Commits do not wait for the disk (see _commits_wait_for_no_disk), in every later connection.
        conn.execute(sa.text(f'ALTER DATABASE "{engine.url.database}" SET synchronous_commit = off'))
    engine.dispose()


@pytest.fixture
def second_database(database_url, tmp_path):
    """The URL of a new, empty database of the suite's kind beside the suite's own, dropped after the test."""
    if database_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'second.sqlite'}"
        return
    url = sa.engine.make_url(database_url)
    second = url.set(database=f"{url.database}_second")
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    drop = sa.text(f'DROP DATABASE IF EXISTS "{second.database}" WITH (FORCE)')
    with engine.connect() as conn:
        conn.execute(drop)
        conn.execute(sa.text(f'CREATE DATABASE "{second.database}"'))
    yield second.render_as_string(hide_password=False)
    with engine.connect() as conn:
        conn.execute(drop)
    engine.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    url = _database_url(tmp_path_factory)
    _reset_schema(url)
    app = create_app({"TESTING": True, "SECRET_KEY": SECRET, "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        upgrade()  # the schema comes only from the migrations
        db.session.remove()
        db.engine.dispose()
    return url


def _empty_all_tables() -> None:
    """Every table emptied, and on PostgreSQL every id sequence started again, after each test.

    DELETE rather than TRUNCATE: on tables of a few rows it takes milliseconds where
    TRUNCATE of every table takes most of a second. On PostgreSQL all of it goes to the
    server at once, not a round trip a table.
    """
    tables = [table.name for table in reversed(db.metadata.sorted_tables)]
    if db.engine.dialect.name == "postgresql":
        db.session.connection().exec_driver_sql(
            "".join(f'DELETE FROM "{name}"; ' for name in [*tables, "search_word"])  # noqa: S608 (the schema's own table names)
            + "DO $$ DECLARE s record; BEGIN "
            "FOR s IN SELECT sequencename FROM pg_sequences WHERE schemaname = 'public' LOOP "
            "PERFORM setval(quote_ident(s.sequencename), 1, false); END LOOP; END $$"
        )
    else:
        for table in reversed(db.metadata.sorted_tables):
            db.session.execute(table.delete())
        db.session.execute(sa.text("DELETE FROM issue_search"))
    db.session.commit()


class _SeededCopy:
    """Every row of a seeded database, kept in memory to be put back into an emptied one.

    SQLite: the whole database file, through SQLite's backup API. PostgreSQL: each table's rows
    as COPY writes them, in an order that satisfies the foreign keys, and each id sequence's value.
    """

    def __init__(self):
        if db.engine.dialect.name == "sqlite":
            self.file = sqlite3.connect(":memory:", check_same_thread=False)
            with closing(sqlite3.connect(db.engine.url.database)) as source:
                source.backup(self.file)
            return
        self.tables: list[tuple[str, bytes]] = []
        with db.engine.connect() as connection:
            cursor = connection.connection.dbapi_connection.cursor()
            for table in _tables_in_order(connection):
                with cursor.copy(f'COPY "{table}" TO STDOUT') as copy:
                    rows = b"".join(bytes(block) for block in copy)
                if rows:
                    self.tables.append((table, rows))
            self.sequences = connection.execute(sa.text(
                "SELECT quote_ident(sequencename), last_value FROM pg_sequences "
                "WHERE schemaname = 'public' AND last_value IS NOT NULL"
            )).all()

    def restore(self) -> None:
        """Put the rows back; the database must be empty (as every test finds it)."""
        db.session.remove()
        if db.engine.dialect.name == "sqlite":
            db.engine.dispose()
            with closing(sqlite3.connect(db.engine.url.database)) as target:
                self.file.backup(target)
            return
        with db.engine.begin() as connection:
            cursor = connection.connection.dbapi_connection.cursor()
            for table, rows in self.tables:
                with cursor.copy(f'COPY "{table}" FROM STDIN') as copy:
                    copy.write(rows)
            if self.sequences:
                connection.execute(sa.text(
                    "SELECT " + ", ".join(f"setval('{name}', {value}, true)" for name, value in self.sequences)))


def _tables_in_order(connection) -> list[str]:
    """Every table of the schema but Alembic's: the models' tables parents first, then the rest
    (the search index's, which only point at issues)."""
    ordered = [table.name for table in db.metadata.sorted_tables]
    present = set(connection.scalars(sa.text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")))
    rest = sorted(present - set(ordered) - {"alembic_version"})
    return [name for name in ordered if name in present] + rest


# The databases this test process has built, by database, London day and what built them (the seed
# dates issues back from the day it runs).
_BUILT: dict[tuple[str, object, str], _SeededCopy] = {}


def _database_as_built(database_url: str, name: str, build) -> None:
    """The test's empty database as `build()` leaves it: built once per test process and day, then copied in."""
    for model in (Organisation, User):
        if db.session.scalar(sa.select(model.id).limit(1)) is not None:
            raise RuntimeError(f"{name} must be set up before the test adds anything")
    # Before 08:00 the seed dates today's updates to the moment it runs, never later: a copy then
    # holds the moment it was made, minutes earlier in this test run, as a database seeded that
    # morning would.
    key = (database_url, datetime.now(LONDON).date(), name)
    copy = _BUILT.get(key)
    if copy is not None:
        copy.restore()
        return
    build()
    db.session.commit()
    _BUILT[key] = _SeededCopy()


@pytest.fixture
def seeded_database(app, database_url):
    """The database as the seed leaves it (`seed_all()`: the pack's issues, forum calendar and
    actions, feedback poll and service-desk extract; no demo accounts), made before any other
    data of the test (see _seeded_database_first).

    Seeding takes seconds, so each test process seeds once and copies the result into the
    test's empty database after that.
    """
    _database_as_built(database_url, "seeded_database", seed_all)


@pytest.fixture
def current_database(app, database_url):
    """The database as `flask seed` leaves it on the day it runs, without demo accounts: the seed
    (`seed_all()`) brought up to today (`seed_current`), made before any other data of the test.
    Returns today (London). Built once per test process and copied in, as `seeded_database` is."""
    today = datetime.now(LONDON).date()
    _database_as_built(database_url, "current_database", lambda: (seed_all(), seed_current(today)))
    return today


@pytest.fixture(autouse=True)
def _seeded_database_first(request):
    """A test that starts from a seeded database gets it before its other fixtures add anything."""
    for name in ("seeded_database", "current_database"):
        if name in request.fixturenames:
            request.getfixturevalue(name)


class IsolatedClient(FlaskClient):
    """Each request runs in its own app context, as under a real server.

    The fixture keeps an app context open for the test's own queries; without this,
    requests would share it (and its `g`, where Flask-Login caches the signed-in user).
    """

    def open(self, *args, **kwargs):
        # A server reads a streamed body (an export) in the request's own context: so does this client.
        kwargs.setdefault("buffered", True)
        return contextvars.Context().run(super().open, *args, **kwargs)


APP_SETTINGS = {
    "TESTING": True,
    "SECRET_KEY": SECRET,
    "RATELIMIT_ENABLED": False,
    "RATELIMIT_STORAGE_URI": "memory://",
    # The fixtures' staff and admins sign in with a password alone; tests of the
    # required second factor set MFA_REQUIRED_ROLES themselves.
    "MFA_REQUIRED_ROLES": "",
}


class _AppAsMade:
    """What a test may change of the app, as it was when the app was made: its settings, its
    extensions' state (caches, the job queue, single sign-on's providers: each made afresh on
    first use), and the process-wide Flask-Limiter and Talisman objects, which every app made
    re-initialises (a test's own app, with real sign-in limits, leaves them set its way)."""

    def __init__(self, app: Flask):
        self.app = app
        self.config = dict(app.config)
        self.extensions = dict(app.extensions)
        self.limiter = dict(vars(limiter))
        self.talisman = dict(vars(talisman))

    def restore(self) -> None:
        self.app.config.clear()
        self.app.config.update(self.config)
        self.app.extensions.clear()
        self.app.extensions.update(self.extensions)
        vars(limiter).update(self.limiter)
        vars(talisman).update(self.talisman)


@pytest.fixture(scope="session")
def _app_of_this_process(database_url) -> _AppAsMade:
    """One app per test process: making an app (its routes, its database engine and the SQL it
    compiles, its templates) costs more than most tests. Each test gets it as it was made."""
    app = create_app({**APP_SETTINGS, "SQLALCHEMY_DATABASE_URI": database_url})
    app.test_client_class = IsolatedClient
    return _AppAsMade(app)


@pytest.fixture
def app(_app_of_this_process):
    _app_of_this_process.restore()
    app = _app_of_this_process.app
    with app.app_context():
        yield app
        db.session.remove()
        _empty_all_tables()
        db.session.remove()


@pytest.fixture
def app_of_its_own(app, database_url):
    """An app made for this test alone, as `app` is made and on the same database, for a test that
    adds a route or a hook: the shared app takes none once it has answered a request."""
    made = create_app({**APP_SETTINGS, "SQLALCHEMY_DATABASE_URI": database_url})
    made.test_client_class = IsolatedClient
    yield made
    with made.app_context():
        db.engine.dispose()


def csrf_for(client) -> str:
    """A valid CSRF token for this client's session, as Flask-WTF makes one."""
    with client.session_transaction() as session:
        raw = session.setdefault("csrf_token", "test-raw-token-0123456789abcdef01234567")
    return URLSafeTimedSerializer(SECRET, salt="wtf-csrf-token").dumps(raw)


class Browser:
    """A test client that sends a CSRF token with every POST, like a real form does."""

    def __init__(self, client):
        self.client = client

    def get(self, url, **kw):
        return self.client.get(url, **kw)

    def post(self, url, data=None, *, csrf=True, htmx=False, **kw):
        data = dict(data or {})
        headers = dict(kw.pop("headers", {}) or {})
        if csrf:
            token = csrf_for(self.client)
            if htmx:
                headers["X-CSRFToken"] = token
            else:
                data.setdefault("csrf_token", token)
        if htmx:
            headers["HX-Request"] = "true"
        return self.client.post(url, data=data, headers=headers, **kw)

    def login(self, user_or_email, password=PASSWORD):
        email = user_or_email if isinstance(user_or_email, str) else user_or_email.email
        response = self.post("/login", {"email": email, "password": password})
        assert response.status_code == 303, response.data[:500]
        return response

    def logout(self):
        return self.post("/logout")


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def browser(client):
    return Browser(client)


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def make_user(app):
    counter = {"n": 0}

    def factory(role="participant", org="Northern Supply Co", email=None, name=None, password=PASSWORD, active=True):
        counter["n"] += 1
        organisation = db.session.scalar(sa.select(Organisation).where(Organisation.name == org))
        if organisation is None:
            organisation = Organisation(name=org, kind="supplier")
            db.session.add(organisation)
        user = User(
            email=email or f"{role}{counter['n']}@{re.sub(r'[^a-z]', '', org.lower())}.example",
            name=name or f"{role.title()} {counter['n']}",
            role=role,
            organisation=organisation,
            active=active,
        )
        if password not in _PASSWORD_HASHES:
            # A cheap hash keeps the suite fast; accounts made by the app use scrypt.
            _PASSWORD_HASHES[password] = generate_password_hash(password, method="pbkdf2:sha256:1000")
        user.password_hash = _PASSWORD_HASHES[password]
        db.session.add(user)
        db.session.commit()
        return user

    return factory


@pytest.fixture
def staff(make_user):
    return make_user("staff", org="Elexon", name="Sam Staff")


@pytest.fixture
def admin(make_user):
    return make_user("admin", org="Elexon", name="Ada Admin")


@pytest.fixture
def participant(make_user):
    return make_user("participant", org="Northern Supply Co", name="Pat Participant")


@pytest.fixture
def colleague(make_user):
    """Another participant in the same organisation as `participant`."""
    return make_user("participant", org="Northern Supply Co", name="Chris Colleague")


@pytest.fixture
def outsider(make_user):
    """A participant in a different organisation."""
    return make_user("participant", org="Eastern Networks", name="Olive Outsider")


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


BASE_URL = "https://issues.example.org"


@pytest.fixture
def smtp(app):
    """A real SMTP server on a free loopback port; the app sends to it and links to BASE_URL."""
    from tests.mail import SmtpServer

    server = SmtpServer()
    server.start()
    app.config.update(SMTP_URL=server.url, BASE_URL=BASE_URL, MAIL_FROM="Industry Issues <issues@example.org>")
    yield server
    server.stop()
