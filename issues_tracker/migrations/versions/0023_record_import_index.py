"""Service-desk records indexed by the import that last changed them (when the feed last sent each type)

Revision ID: 0023_record_import_index
Revises: 0022_upload_storage
Create Date: 2026-12-06

"""
from alembic import op

revision = "0023_record_import_index"
down_revision = "0022_upload_storage"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_servicedesk_record_import_id", "servicedesk_record", ["import_id"])


def downgrade():
    op.drop_index("ix_servicedesk_record_import_id", table_name="servicedesk_record")
