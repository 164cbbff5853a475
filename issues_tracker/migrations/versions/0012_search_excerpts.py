"""search on PostgreSQL: excerpts in a table of their own, and documents whose weights count

Revision ID: 0012_search_excerpts
Revises: 0011_search_words
Create Date: 2026-12-01

"""
from alembic import op


revision = "0012_search_excerpts"
down_revision = "0011_search_words"
branch_labels = None
depends_on = None


def upgrade():
    # Finding and counting matches reads each candidate's document from the table; with the
    # excerpt beside it a row took about 1.8 kB, so twice the pages were read for the same
    # matches. SQLite's FTS5 keeps the excerpt as an unindexed column, which a match never reads.
    # The documents are written again too: their words had no positions, and ts_rank counts a
    # word without positions at the lowest weight whatever setweight said, so a reference or a
    # service code ranked no higher than a passing mention (issues_tracker/search/index.py).
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    op.execute(
        """
        CREATE TABLE issue_search_excerpt (
            issue_id integer PRIMARY KEY REFERENCES issue (id) ON DELETE CASCADE,
            excerpt text NOT NULL DEFAULT ''
        )
        """
    )
    op.execute("DROP TABLE issue_search")
    op.execute(
        """
        CREATE TABLE issue_search (
            issue_id integer PRIMARY KEY REFERENCES issue (id) ON DELETE CASCADE,
            document tsvector NOT NULL
        )
        """
    )
    op.execute("CREATE INDEX ix_issue_search_document ON issue_search USING gin (document)")
    from issues_tracker.search.index import rebuild_index

    rebuild_index(bind)  # also every issue of a database from before 0009_search, which left PostgreSQL's to here


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("ALTER TABLE issue_search ADD COLUMN excerpt text NOT NULL DEFAULT ''")
    op.execute(
        "UPDATE issue_search SET excerpt = e.excerpt FROM issue_search_excerpt AS e "
        "WHERE e.issue_id = issue_search.issue_id"
    )
    op.execute("DROP TABLE issue_search_excerpt")
