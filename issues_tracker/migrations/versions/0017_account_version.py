"""accounts carry a version (an edit based on an older one is refused) and when their owner was
last told sign-in was paused

Revision ID: 0017_account_version
Revises: 0016_identity
Create Date: 2026-12-05

"""
import sqlalchemy as sa
from alembic import op

revision = "0017_account_version"
down_revision = "0016_identity"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("user_account") as batch:
        batch.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="1"))
        batch.add_column(sa.Column("sign_in_paused_notice_at", sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table("user_account") as batch:
        batch.drop_column("sign_in_paused_notice_at")
        batch.drop_column("version")
