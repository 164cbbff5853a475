"""participants in the loop: follows, saved views, comments, affected declarations,
notification settings, announcements and deliveries; the journal as outbox

Revision ID: 0008_participation
Revises: 0004_perf
Create Date: 2026-12-01

"""
from alembic import op
import sqlalchemy as sa


revision = "0008_participation"
down_revision = "0007_servicedesk"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "saved_view",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("query", sa.String(length=1000), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"], name=op.f("fk_saved_view_user_id_user_account"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_saved_view")),
        sa.UniqueConstraint("user_id", "name", name="uq_saved_view_user_name"),
    )
    op.create_index(op.f("ix_saved_view_user_id"), "saved_view", ["user_id"], unique=False)

    op.create_table(
        "follow",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("issue_id", sa.Integer(), nullable=True),
        sa.Column("service", sa.String(length=40), nullable=True),
        sa.Column("saved_view_id", sa.Integer(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.String(length=20), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(
            "(CASE WHEN issue_id IS NULL THEN 0 ELSE 1 END) + (CASE WHEN service IS NULL THEN 0 ELSE 1 END)"
            " + (CASE WHEN saved_view_id IS NULL THEN 0 ELSE 1 END) = 1",
            name=op.f("ck_follow_one_target"),
        ),
        sa.ForeignKeyConstraint(["issue_id"], ["issue.id"], name=op.f("fk_follow_issue_id_issue"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["saved_view_id"], ["saved_view.id"], name=op.f("fk_follow_saved_view_id_saved_view"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"], name=op.f("fk_follow_user_id_user_account"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_follow")),
        sa.UniqueConstraint("user_id", "issue_id", name="uq_follow_user_issue"),
        sa.UniqueConstraint("user_id", "saved_view_id", name="uq_follow_user_saved_view"),
        sa.UniqueConstraint("user_id", "service", name="uq_follow_user_service"),
    )
    op.create_index("ix_follow_issue", "follow", ["issue_id", "active"], unique=False)
    op.create_index("ix_follow_service", "follow", ["service", "active"], unique=False)

    op.create_table(
        "comment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("issue_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("hidden_at", sa.DateTime(), nullable=True),
        sa.Column("hidden_by_id", sa.Integer(), nullable=True),
        sa.Column("hidden_reason", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["author_id"], ["user_account.id"], name=op.f("fk_comment_author_id_user_account")),
        sa.ForeignKeyConstraint(["hidden_by_id"], ["user_account.id"], name=op.f("fk_comment_hidden_by_id_user_account")),
        sa.ForeignKeyConstraint(["issue_id"], ["issue.id"], name=op.f("fk_comment_issue_id_issue"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_comment")),
    )
    op.create_index("ix_comment_issue_created", "comment", ["issue_id", "created_at"], unique=False)

    op.create_table(
        "affected_declaration",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("issue_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("declared_by_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("meter_points", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["declared_by_id"], ["user_account.id"], name=op.f("fk_affected_declaration_declared_by_id_user_account")),
        sa.ForeignKeyConstraint(["issue_id"], ["issue.id"], name=op.f("fk_affected_declaration_issue_id_issue"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisation.id"], name=op.f("fk_affected_declaration_organisation_id_organisation")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_affected_declaration")),
        sa.UniqueConstraint("issue_id", "organisation_id", name="uq_affected_declaration_issue_org"),
    )
    op.create_index(op.f("ix_affected_declaration_issue_id"), "affected_declaration", ["issue_id"], unique=False)
    op.create_index(op.f("ix_affected_declaration_organisation_id"), "affected_declaration", ["organisation_id"], unique=False)

    op.create_table(
        "notification_settings",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("status_mode", sa.String(length=10), nullable=False),
        sa.Column("resolution_mode", sa.String(length=10), nullable=False),
        sa.Column("next_run_mode", sa.String(length=10), nullable=False),
        sa.Column("note_mode", sa.String(length=10), nullable=False),
        sa.Column("comment_mode", sa.String(length=10), nullable=False),
        sa.Column("log_mode", sa.String(length=10), nullable=False),
        sa.Column("poll_mode", sa.String(length=10), nullable=False),
        sa.Column("time_zone", sa.String(length=64), nullable=False),
        sa.Column("digest_hour", sa.SmallInteger(), nullable=False),
        sa.Column("weekly_day", sa.SmallInteger(), nullable=False),
        sa.Column("follow_when_affected", sa.Boolean(), nullable=False),
        sa.Column("feed_key", sa.String(length=64), nullable=True),
        sa.Column("feed_key_created_at", sa.DateTime(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"], name=op.f("fk_notification_settings_user_id_user_account"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_notification_settings")),
        sa.UniqueConstraint("feed_key", name=op.f("uq_notification_settings_feed_key")),
    )

    op.create_table(
        "announcement",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("published_log_id", sa.Integer(), nullable=True),
        sa.Column("poll_id", sa.Integer(), nullable=True),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("fanned_out_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["created_by_id"], ["user_account.id"], name=op.f("fk_announcement_created_by_id_user_account")),
        sa.ForeignKeyConstraint(["poll_id"], ["poll.id"], name=op.f("fk_announcement_poll_id_poll"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["published_log_id"], ["published_log.id"], name=op.f("fk_announcement_published_log_id_published_log"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_announcement")),
    )
    op.create_index("ix_announcement_pending", "announcement", ["fanned_out_at", "id"], unique=False)

    op.create_table(
        "delivery",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=True),
        sa.Column("event_ids", sa.String(length=500), nullable=False),
        sa.Column("announcement_id", sa.Integer(), nullable=True),
        sa.Column("issue_id", sa.Integer(), nullable=True),
        sa.Column("kinds", sa.String(length=100), nullable=False),
        sa.Column("mode", sa.String(length=10), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("due_at", sa.DateTime(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(), nullable=False),
        sa.Column("claim", sa.String(length=32), nullable=True),
        sa.Column("claimed_at", sa.DateTime(), nullable=True),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.Column("message_id", sa.String(length=200), nullable=False),
        sa.Column("last_error", sa.String(length=500), nullable=False),
        sa.ForeignKeyConstraint(["announcement_id"], ["announcement.id"], name=op.f("fk_delivery_announcement_id_announcement"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["event_id"], ["issue_event.id"], name=op.f("fk_delivery_event_id_issue_event"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["issue_id"], ["issue.id"], name=op.f("fk_delivery_issue_id_issue"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"], name=op.f("fk_delivery_user_id_user_account"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_delivery")),
        sa.UniqueConstraint("announcement_id", "user_id", name="uq_delivery_announcement_user"),
        sa.UniqueConstraint("event_id", "user_id", name="uq_delivery_event_user"),
    )
    op.create_index("ix_delivery_due", "delivery", ["state", "mode", "due_at"], unique=False)
    op.create_index("ix_delivery_user_state", "delivery", ["user_id", "state"], unique=False)
    op.create_index(op.f("ix_delivery_claim"), "delivery", ["claim"], unique=False)
    op.create_index(op.f("ix_delivery_issue_id"), "delivery", ["issue_id"], unique=False)

    with op.batch_alter_table("issue_event", schema=None) as batch_op:
        batch_op.add_column(sa.Column("fanned_out_at", sa.DateTime(), nullable=True))
        batch_op.create_index("ix_issue_event_fan_out", ["fanned_out_at", "id"], unique=False)
    # What was journalled before notifications existed is history, not news.
    op.execute("UPDATE issue_event SET fanned_out_at = created_at")

    with op.batch_alter_table("issue", schema=None) as batch_op:
        batch_op.add_column(sa.Column("affected_org_count", sa.Integer(), server_default="0", nullable=False))
        batch_op.create_index(
            "ix_issue_sort_affected",
            ["affected_org_count", "last_update_at", "id", "triage_state", "organisation_id", "status"],
            unique=False,
        )


def downgrade():
    with op.batch_alter_table("issue", schema=None) as batch_op:
        batch_op.drop_index("ix_issue_sort_affected")
        batch_op.drop_column("affected_org_count")
    with op.batch_alter_table("issue_event", schema=None) as batch_op:
        batch_op.drop_index("ix_issue_event_fan_out")
        batch_op.drop_column("fanned_out_at")
    op.drop_table("delivery")
    op.drop_table("announcement")
    op.drop_table("notification_settings")
    op.drop_table("affected_declaration")
    op.drop_table("comment")
    op.drop_table("follow")
    op.drop_table("saved_view")
