"""feed keys are kept only as their SHA-256

Revision ID: 0015_hashed_feed_keys
Revises: 0014_pir_action_version
Create Date: 2026-12-05

"""
import hashlib

import sqlalchemy as sa
from alembic import op

revision = "0015_hashed_feed_keys"
down_revision = "0014_pir_action_version"
branch_labels = None
depends_on = None


def upgrade():
    # A leaked database or backup must give nobody a working key: keys already made keep working,
    # known now only by their hash.
    with op.batch_alter_table("notification_settings") as batch:
        batch.add_column(sa.Column("feed_key_hash", sa.String(64), nullable=True))
    settings = sa.table("notification_settings", sa.column("user_id"), sa.column("feed_key"), sa.column("feed_key_hash"))
    bind = op.get_bind()
    for user_id, key in bind.execute(sa.select(settings.c.user_id, settings.c.feed_key).where(settings.c.feed_key.is_not(None))).all():
        bind.execute(sa.update(settings).where(settings.c.user_id == user_id)
                     .values(feed_key_hash=hashlib.sha256(key.encode()).hexdigest()))
    with op.batch_alter_table("notification_settings") as batch:
        batch.drop_constraint("uq_notification_settings_feed_key", type_="unique")
        batch.drop_column("feed_key")
        batch.create_unique_constraint("uq_notification_settings_feed_key_hash", ["feed_key_hash"])


def downgrade():
    raise RuntimeError("Feed keys cannot be recovered from their hashes; restore a backup instead.")
