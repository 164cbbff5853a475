"""PIR actions carry a version: a save based on an older one is refused as a conflict

Revision ID: 0014_pir_action_version
Revises: 0013_clean_text
Create Date: 2026-12-05

"""
import sqlalchemy as sa
from alembic import op

revision = "0014_pir_action_version"
down_revision = "0013_clean_text"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("pir_action") as batch:
        batch.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="1"))


def downgrade():
    with op.batch_alter_table("pir_action") as batch:
        batch.drop_column("version")
