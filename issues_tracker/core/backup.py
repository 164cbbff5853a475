"""Backups of the database, which holds everything: issues, the forum, jobs, and every published log's PDF.

PostgreSQL is dumped with pg_dump (custom format) and restored with pg_restore; the
embedded SQLite file is copied with SQLite's online backup, consistent while the site
runs. `flask log export` also writes the published logs as plain PDF files with their
SHA-256 sums, for a copy that needs no database at all.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

import sqlalchemy as sa
from flask import current_app

from .extensions import db


class BackupError(RuntimeError):
    """A backup or restore that cannot be done; the message says why."""


def _url() -> sa.engine.URL:
    return sa.engine.make_url(current_app.config["SQLALCHEMY_DATABASE_URI"])


def _sqlite_file(url: sa.engine.URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise BackupError("An in-memory SQLite database cannot be backed up.")
    return Path(url.database)


def _libpq(url: sa.engine.URL) -> tuple[list[str], dict]:
    """Connection options for pg_dump/pg_restore; the password goes in the environment, not the command line."""
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = url.password
    options = [f"--host={url.host or '127.0.0.1'}", f"--port={url.port or 5432}", f"--dbname={url.database}"]
    if url.username:
        options.append(f"--username={url.username}")
    return options, env


def _run(command: list[str], env: dict) -> None:
    tool = shutil.which(command[0])
    if tool is None:
        raise BackupError(f"{command[0]} is not installed (Debian: apt-get install postgresql-client).")
    result = subprocess.run([tool, *command[1:]], env=env, capture_output=True, text=True)  # noqa: S603 (our own command)
    if result.returncode != 0:
        raise BackupError(f"{command[0]} failed: {result.stderr.strip()[:2000]}")


def create_backup(path: str | Path) -> Path:
    """Write a backup of the configured database to `path`."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    url = _url()
    if url.get_backend_name() == "sqlite":
        source = sqlite3.connect(_sqlite_file(url))
        target = sqlite3.connect(path)
        try:
            with target:
                source.backup(target)
        finally:
            target.close()
            source.close()
    elif url.get_backend_name() == "postgresql":
        options, env = _libpq(url)
        _run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges", f"--file={path}", *options], env)
    else:
        raise BackupError(f"Backups of {url.get_backend_name()} databases are not supported.")
    return path


def restore_backup(path: str | Path) -> None:
    """Replace everything in the configured database with the backup at `path`."""
    path = Path(path)
    if not path.is_file():
        raise BackupError(f"There is no backup file at {path}.")
    url = _url()
    db.session.remove()
    db.engine.dispose()
    if url.get_backend_name() == "sqlite":
        with path.open("rb") as handle:
            if handle.read(16) != b"SQLite format 3\x00":
                raise BackupError(f"{path} is not a SQLite backup.")
        source = sqlite3.connect(path)
        target = sqlite3.connect(_sqlite_file(url))
        try:
            with target:
                source.backup(target)
        finally:
            target.close()
            source.close()
    elif url.get_backend_name() == "postgresql":
        options, env = _libpq(url)
        _run(["pg_restore", "--clean", "--if-exists", "--no-owner", "--no-privileges", "--single-transaction",
              *options, str(path)], env)
    else:
        raise BackupError(f"Restoring {url.get_backend_name()} databases is not supported.")


def export_published_logs(folder: str | Path) -> list[Path]:
    """Every published revision as `industry-issues-log-<week>[-rN].pdf`, and SHA256SUMS beside them."""
    from ..log.models import PublishedLog

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    sums = []
    logs = db.session.scalars(
        sa.select(PublishedLog)
        .order_by(PublishedLog.week_commencing, PublishedLog.revision)
        .options(sa.orm.undefer(PublishedLog.pdf))
    )
    for log in logs:
        suffix = f"-r{log.revision}" if log.revision > 1 else ""
        name = f"industry-issues-log-{log.week_commencing.isoformat()}{suffix}.pdf"
        if hashlib.sha256(log.pdf).hexdigest() != log.sha256:
            raise BackupError(f"The stored log {name} does not match its SHA-256; it was changed after publication.")
        (folder / name).write_bytes(log.pdf)
        sums.append(f"{log.sha256}  {name}\n")
        written.append(folder / name)
    (folder / "SHA256SUMS").write_text("".join(sums))
    return written
