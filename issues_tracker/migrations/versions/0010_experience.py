"""headline numbers stored with each published log, for week-on-week changes

Revision ID: 0010_experience
Revises: 0004_perf
Create Date: 2026-12-01

"""
from alembic import op
import sqlalchemy as sa


revision = "0010_experience"
down_revision = "0009_search"
branch_labels = None
depends_on = None

COLUMNS = ("high_severity_count", "new_count", "resolved_count", "stale_count", "overdue_actions_count")


def upgrade():
    with op.batch_alter_table("published_log", schema=None) as batch_op:
        for name in COLUMNS:
            batch_op.add_column(sa.Column(name, sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table("published_log", schema=None) as batch_op:
        for name in reversed(COLUMNS):
            batch_op.drop_column(name)
