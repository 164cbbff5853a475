"""search on PostgreSQL: the words the index holds, so the word being typed is looked up exactly

Revision ID: 0011_search_words
Revises: 0010_experience
Create Date: 2026-12-01

"""
from alembic import op


revision = "0011_search_words"
down_revision = "0010_experience"
branch_labels = None
depends_on = None


def upgrade():
    # GIN answers a prefix ('dip':*) by gathering the issues of every word that starts with it;
    # the words themselves, in byte order, turn the prefix into a few exact keys
    # (issues_tracker/search/queries.py). SQLite's FTS5 table has prefix indexes instead.
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute('CREATE TABLE search_word (word text COLLATE "C" PRIMARY KEY)')
    op.execute(
        "INSERT INTO search_word (word) "
        "SELECT word FROM ts_stat('SELECT document FROM issue_search') WHERE word NOT LIKE '\\_%'"
    )


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TABLE search_word")
