"""Backups of the database, which holds everything: issues, the forum, jobs, and every published log's PDF.

PostgreSQL is dumped with pg_dump (custom format) and restored with pg_restore; the
embedded SQLite file is copied with SQLite's online backup, consistent while the site
runs. `flask log export` (log/archive.py) also writes the published logs as plain PDF files with
their SHA-256 sums, for a copy that needs no database at all.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

import click
import sqlalchemy as sa
from flask import Flask, current_app

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
    # Readable by its owner alone from the first byte: a backup holds every account and every
    # pending issue. The file is made (or emptied) with those rights before anything is written.
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600))
    path.chmod(0o600)
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
        path.unlink()
        raise BackupError(f"Backups of {url.get_backend_name()} databases are not supported.")
    path.chmod(0o600)
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


def register_cli(app: Flask) -> None:
    backup = click.Group("backup", help="Back up and restore the database (issues, forum, jobs and published logs).")
    app.cli.add_command(backup)

    @backup.command("create")
    @click.argument("path", type=click.Path(dir_okay=False, writable=True))
    def create_command(path):
        """Write a backup of the database to PATH (pg_dump's custom format, or a SQLite file)."""
        try:
            written = create_backup(path)
        except BackupError as exc:
            raise click.ClickException(str(exc)) from None
        click.echo(f"Backed up the database to {written} ({written.stat().st_size / 1024:.0f} kB).")

    @backup.command("restore")
    @click.argument("path", type=click.Path(exists=True, dir_okay=False))
    @click.confirmation_option(prompt="This replaces everything in the configured database. Continue?")
    def restore_command(path):
        """Replace the database's contents with the backup at PATH."""
        try:
            restore_backup(path)
        except BackupError as exc:
            raise click.ClickException(str(exc)) from None
        click.echo(f"Restored the database from {path}. Run `flask db upgrade` if the backup is older than this release.")
