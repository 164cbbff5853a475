"""search on PostgreSQL: excerpts in a table of their own, so documents are read from narrow rows

Revision ID: 0012_search_excerpts
Revises: 0011_search_words
Create Date: 2026-12-01

"""
from alembic import op
import sqlalchemy as sa


revision = "0012_search_excerpts"
down_revision = "0011_search_words"
branch_labels = None
depends_on = None


def upgrade():
    # Finding and counting matches reads each candidate's document from the table; with the
    # excerpt beside it a row took about 1.8 kB, so twice the pages were read for the same
    # matches. SQLite's FTS5 keeps the excerpt as an unindexed column, which bm25 never reads.
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
    op.execute("INSERT INTO issue_search_excerpt (issue_id, excerpt) SELECT issue_id, excerpt FROM issue_search")
    # Dropping the column would leave every row as wide until it is next written: copy instead.
    op.execute(
        """
        CREATE TABLE issue_search_narrow (
            issue_id integer PRIMARY KEY REFERENCES issue (id) ON DELETE CASCADE,
            document tsvector NOT NULL
        )
        """
    )
    op.execute("INSERT INTO issue_search_narrow (issue_id, document) SELECT issue_id, document FROM issue_search ORDER BY issue_id")
    op.execute("DROP TABLE issue_search")
    op.execute("ALTER TABLE issue_search_narrow RENAME TO issue_search")
    op.execute("ALTER TABLE issue_search RENAME CONSTRAINT issue_search_narrow_pkey TO issue_search_pkey")
    op.execute("ALTER TABLE issue_search RENAME CONSTRAINT issue_search_narrow_issue_id_fkey TO issue_search_issue_id_fkey")
    op.execute("CREATE INDEX ix_issue_search_document ON issue_search USING gin (document)")
    # A database migrated from before 0009_search has issues but no index yet (0009 leaves
    # PostgreSQL's to this step, whose table shape the indexing code writes).
    issues = bind.scalar(sa.text("SELECT count(*) FROM issue"))
    if issues and issues > bind.scalar(sa.text("SELECT count(*) FROM issue_search")):
        from issues_tracker.search.index import rebuild_index

        rebuild_index(bind)


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("ALTER TABLE issue_search ADD COLUMN excerpt text NOT NULL DEFAULT ''")
    op.execute(
        "UPDATE issue_search SET excerpt = e.excerpt FROM issue_search_excerpt AS e "
        "WHERE e.issue_id = issue_search.issue_id"
    )
    op.execute("DROP TABLE issue_search_excerpt")
