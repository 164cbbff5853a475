"""full-text search index of issues; a rejected issue may name the issue it duplicates

Revision ID: 0009_search
Revises: 0004_perf
Create Date: 2026-12-01

"""
from alembic import op
import sqlalchemy as sa


revision = "0009_search"
down_revision = "0008_participation"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("issue", schema=None) as batch_op:
        batch_op.add_column(sa.Column("duplicate_of_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_issue_duplicate_of_id_issue"), "issue", ["duplicate_of_id"], ["id"], ondelete="SET NULL"
        )
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute(
            """
            CREATE TABLE issue_search (
                issue_id integer PRIMARY KEY REFERENCES issue (id) ON DELETE CASCADE,
                excerpt text NOT NULL DEFAULT '',
                document tsvector NOT NULL
            )
            """
        )
        op.execute("CREATE INDEX ix_issue_search_document ON issue_search USING gin (document)")
    else:
        # Tokens arrive already folded and stemmed (issues_tracker/search/text.py); prefix
        # indexes make the word being typed a single lookup.
        op.execute(
            "CREATE VIRTUAL TABLE issue_search USING fts5("
            "refs, codes, summary, names, body, facets, excerpt UNINDEXED, "
            "tokenize = 'unicode61 remove_diacritics 0', prefix = '3 4 5')"
        )
        # An issue deleted by any route leaves the index with it (PostgreSQL: the foreign key).
        op.execute(
            "CREATE TRIGGER issue_search_forget AFTER DELETE ON issue "
            "BEGIN DELETE FROM issue_search WHERE rowid = OLD.id; END"
        )
    if bind.dialect.name != "postgresql":
        from issues_tracker.search.index import rebuild_index

        rebuild_index(bind)
    # PostgreSQL's index is filled by 0012_search_excerpts, once its tables have their final shape.


def downgrade():
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        op.execute("DROP TRIGGER IF EXISTS issue_search_forget")
    op.execute("DROP TABLE issue_search")
    with op.batch_alter_table("issue", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_issue_duplicate_of_id_issue"), type_="foreignkey")
        batch_op.drop_column("duplicate_of_id")
