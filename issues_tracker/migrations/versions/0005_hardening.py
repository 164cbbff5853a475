"""one-time submission tokens, version checks on forum and log records, server-side
sessions; one spelling of "In progress"; rejected submissions closed

Revision ID: 0005_hardening
Revises: 0004_perf
Create Date: 2026-12-01

"""
from datetime import datetime, timezone

from alembic import op
import sqlalchemy as sa


revision = "0005_hardening"
down_revision = "0004_perf"
branch_labels = None
depends_on = None

VERSIONED_TABLES = ("meeting", "forum_action", "log_commentary", "poll")
# Columns holding the values spelled "In Progress" before; journal fields that quote them.
IN_PROGRESS_COLUMNS = (("issue", "impact_assessment"), ("issue", "resolution_status"), ("issue_action", "status"))
IN_PROGRESS_FIELDS = ("impact_assessment", "resolution_status", "action_status")


def upgrade():
    with op.batch_alter_table("issue", schema=None) as batch_op:
        batch_op.add_column(sa.Column("submission_token", sa.String(length=32), nullable=True))
        batch_op.create_unique_constraint(batch_op.f("uq_issue_submission_token"), ["submission_token"])

    for table in VERSIONED_TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="1"))

    op.create_table(
        "user_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user_account.id"], name=op.f("fk_user_session_user_id_user_account"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_session")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_user_session_key_hash")),
    )
    with op.batch_alter_table("user_session", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_user_session_user_id"), ["user_id"], unique=False)

    # One spelling per value: "In progress".
    for table, column in IN_PROGRESS_COLUMNS:
        op.execute(sa.text(f"UPDATE {table} SET {column} = 'In progress' WHERE {column} = 'In Progress'"))
    for side in ("old_value", "new_value"):
        op.execute(
            sa.text(
                f"UPDATE issue_event SET {side} = 'In progress' WHERE {side} = 'In Progress' AND field IN :fields"
            ).bindparams(sa.bindparam("fields", value=list(IN_PROGRESS_FIELDS), expanding=True))
        )

    # A rejected submission is closed: it no longer counts as open. Journalled like any change.
    connection = op.get_bind()
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    rejected_open = connection.execute(
        sa.text(
            "SELECT id, status, last_update_at FROM issue "
            "WHERE triage_state = 'rejected' AND status NOT IN ('Resolved', 'Closed')"
        )
    ).all()
    for issue_id, status, last_update_at in rejected_open:
        connection.execute(
            sa.text(
                "UPDATE issue SET status = 'Closed', resolved_at = COALESCE(resolved_at, :at), version = version + 1 "
                "WHERE id = :id"
            ),
            {"at": last_update_at or now, "id": issue_id},
        )
        connection.execute(
            sa.text(
                "INSERT INTO issue_event (issue_id, user_id, created_at, kind, field, old_value, new_value, note) "
                "VALUES (:id, NULL, :now, 'change', 'status', :old, 'Closed', "
                "'Closed because the submission was rejected')"
            ),
            {"id": issue_id, "now": now, "old": status},
        )


def downgrade():
    op.drop_table("user_session")
    for table in VERSIONED_TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("version")
    with op.batch_alter_table("issue", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_issue_submission_token"), type_="unique")
        batch_op.drop_column("submission_token")
