"""Every published log as a plain PDF file with its SHA-256 sum: a copy of the archive that needs
no database at all (`flask log export`)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import sqlalchemy as sa

from ..core.extensions import db


class ArchiveError(RuntimeError):
    """The archive cannot be exported; the message says why."""


def export_published_logs(folder: str | Path) -> list[Path]:
    """Every published revision as `industry-issues-log-<week>[-rN].pdf`, and SHA256SUMS beside them."""
    from .models import PublishedLog

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
            raise ArchiveError(f"The stored log {name} does not match its SHA-256; it was changed after publication.")
        (folder / name).write_bytes(log.pdf)
        sums.append(f"{log.sha256}  {name}\n")
        written.append(folder / name)
    (folder / "SHA256SUMS").write_text("".join(sums))
    return written
