"""Stored uploads are kept uncompressed by PostgreSQL, so keeping a large extract takes a
fraction of the upload request's time

Revision ID: 0022_upload_storage
Revises: 0021_meeting_questions
Create Date: 2026-12-06

PostgreSQL compresses a large value (pglz) as it stores it: some 250 ms for a 9 MB CSV
extract, inside the request that uploads it. An upload is kept for a few days, so it is
stored as it is (EXTERNAL: out of line, not compressed). SQLite has no such setting.
"""
from alembic import op

revision = "0022_upload_storage"
down_revision = "0021_meeting_questions"
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE upload ALTER COLUMN data SET STORAGE EXTERNAL")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE upload ALTER COLUMN data SET STORAGE EXTENDED")
