"""service-desk change records (CHG…) keep their outcome: successful, successful with issues or failed

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


def downgrade():
    with op.batch_alter_table("servicedesk_record") as batch:
        batch.drop_column("outcome")
