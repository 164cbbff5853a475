"""service-desk change records (CHG…) keep their outcome: successful, successful with issues or failed;
major-incident notices published from the product, and what each said when

Revision ID: 0020_change_records
Revises: 0019_improvements_escalations
Create Date: 2026-12-05

"""
import sqlalchemy as sa
from alembic import op

revision = "0020_change_records"
down_revision = "0019_improvements_escalations"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("servicedesk_record") as batch:
        batch.add_column(sa.Column("outcome", sa.String(length=40), nullable=False, server_default=""))
    op.create_table(
        "mi_notice",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("record_id", sa.Integer(), sa.ForeignKey("servicedesk_record.id", ondelete="CASCADE"),
                  nullable=False, unique=True),
        sa.Column("service", sa.String(length=100), nullable=False),
        sa.Column("headline", sa.String(length=200), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("published_at", sa.DateTime(), nullable=False),
        sa.Column("published_by_id", sa.Integer(), sa.ForeignKey("user_account.id"), nullable=True),
        sa.Column("next_update_due_at", sa.DateTime(), nullable=True),
        sa.Column("reminded_at", sa.DateTime(), nullable=True),
        sa.Column("resolved_at", sa.DateTime(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False, server_default="1"),
    )
    op.create_index("ix_mi_notice_state", "mi_notice", ["state"])
    op.create_table(
        "mi_notice_entry",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("notice_id", sa.Integer(), sa.ForeignKey("mi_notice.id", ondelete="CASCADE"), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), sa.ForeignKey("user_account.id"), nullable=True),
        sa.Column("emailed", sa.Integer(), nullable=False),
    )
    op.create_index("ix_mi_notice_entry_notice_id", "mi_notice_entry", ["notice_id"])


def downgrade():
    op.drop_index("ix_mi_notice_entry_notice_id", table_name="mi_notice_entry")
    op.drop_table("mi_notice_entry")
    op.drop_index("ix_mi_notice_state", table_name="mi_notice")
    op.drop_table("mi_notice")
    with op.batch_alter_table("servicedesk_record") as batch:
        batch.drop_column("outcome")
