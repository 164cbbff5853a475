"""Background jobs and the files they read or write, kept where every app server sees them."""

from __future__ import annotations

import io
from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from ..core.extensions import db
from ..core.models import Line, Prose, UTCDateTime, utcnow

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
JOB_STATES = (QUEUED, RUNNING, DONE, FAILED)
ACTIVE_STATES = (QUEUED, RUNNING)
# The partial unique index's condition, as SQL text: ON CONFLICT must name it exactly.
ACTIVE_PREDICATE = "state IN ('queued', 'running')"


class Upload(db.Model):
    """A file kept in the database: an upload a job reads, or a file a job made (a draft PDF).

    Any worker on any machine can open it; nothing depends on one server's disk.
    """

    __tablename__ = "upload"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    filename: so.Mapped[str] = so.mapped_column(Line(255))
    content_type: so.Mapped[str] = so.mapped_column(Line(120), default="application/octet-stream")
    size_bytes: so.Mapped[int] = so.mapped_column()
    sha256: so.Mapped[str] = so.mapped_column(Line(64), index=True)
    data: so.Mapped[bytes] = so.mapped_column(sa.LargeBinary, deferred=True)
    uploaded_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow, index=True)

    def open(self):
        """The stored bytes as a binary file object."""
        return io.BytesIO(self.data)


class Job(db.Model):
    """One run of background work: queued, running (with progress), done (a result) or failed (a reason).

    At most one job of a kind and key is queued or running at a time: the partial
    unique index below refuses a second one, whichever server tries.
    """

    __tablename__ = "job"
    __table_args__ = (
        sa.Index(
            "uq_job_active_kind_key",
            "kind",
            "key",
            unique=True,
            sqlite_where=sa.text(ACTIVE_PREDICATE),
            postgresql_where=sa.text(ACTIVE_PREDICATE),
        ),
        sa.Index("ix_job_state_created", "state", "created_at"),
        sa.CheckConstraint("state IN ('queued', 'running', 'done', 'failed')", name="state"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    kind: so.Mapped[str] = so.mapped_column(Line(60))
    key: so.Mapped[str] = so.mapped_column(Line(200))
    params: so.Mapped[dict] = so.mapped_column(sa.JSON, default=dict)
    state: so.Mapped[str] = so.mapped_column(Line(10), default=QUEUED)
    progress: so.Mapped[int] = so.mapped_column(default=0)
    progress_message: so.Mapped[str] = so.mapped_column(Line(300), default="")
    result_message: so.Mapped[str] = so.mapped_column(Prose, default="")
    result_url: so.Mapped[str] = so.mapped_column(Line(500), default="")
    result_label: so.Mapped[str] = so.mapped_column(Line(120), default="")
    failure_reason: so.Mapped[str] = so.mapped_column(Prose, default="")
    attempts: so.Mapped[int] = so.mapped_column(default=0)
    user_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL"), index=True
    )
    output_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("upload.id", ondelete="SET NULL"))
    request_id: so.Mapped[str] = so.mapped_column(Line(64), default="")
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    # When the message last went to the queue (None: not yet, e.g. the queue was down).
    sent_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    # A retry waits until then.
    run_after: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    started_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    finished_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)

    user = so.relationship("User", lazy="joined")
    output = so.relationship("Upload", lazy="select")

    @property
    def active(self) -> bool:
        return self.state in ACTIVE_STATES

    @property
    def elapsed_seconds(self) -> int:
        start = self.started_at or self.created_at
        end = self.finished_at or utcnow()
        return max(0, int((end - start).total_seconds()))

    def __repr__(self) -> str:
        return f"<Job {self.id} {self.kind}:{self.key} {self.state}>"
