"""stored text as the product now keeps it: no line breaks in one-line columns, no control
characters or Unicode noncharacters anywhere

Revision ID: 0013_clean_text
Revises: 0012_search_excerpts
Create Date: 2026-12-05

"""
import sqlalchemy as sa
from alembic import op

from issues_tracker.core.text import clean_text

revision = "0013_clean_text"
down_revision = "0012_search_excerpts"
branch_labels = None
depends_on = None

BATCH = 2_000
# The search index is written from the issues; its tables are rebuilt by `flask search rebuild`.
SKIPPED = ("alembic_version", "issue_search", "search_word")


def upgrade():
    # Text written before the product cleaned everything it stores (core/text.py) may hold a
    # line break in a one-line column (which broke email headers) or a noncharacter such as
    # U+FFFE (which broke the Atom feeds and the Excel export). VARCHAR columns are one line,
    # TEXT columns keep their lines. Rows are read a batch at a time; only changed ones are written.
    bind = op.get_bind()
    inspector = sa.inspect(bind)
    for name in inspector.get_table_names():
        if name.startswith(SKIPPED):
            continue
        key = inspector.get_pk_constraint(name)["constrained_columns"]
        if len(key) != 1:
            continue  # link tables: codes only
        columns = {column["name"]: not isinstance(column["type"], sa.Text)
                   for column in inspector.get_columns(name)
                   if isinstance(column["type"], sa.String) and column["name"] != key[0]}
        if columns:
            _clean_table(bind, sa.table(name, sa.column(key[0]), *(sa.column(c) for c in columns)), key[0], columns)


def _clean_table(bind, table, key: str, columns: dict[str, bool]) -> None:
    last = None
    while True:
        query = sa.select(table).order_by(table.c[key]).limit(BATCH)
        if last is not None:
            query = query.where(table.c[key] > last)
        rows = bind.execute(query).all()
        if not rows:
            return
        for row in rows:
            changes = {}
            for column, one_line in columns.items():
                value = row._mapping[column]
                if isinstance(value, str):
                    cleaned = clean_text(value, single_line=one_line)
                    if cleaned != value:
                        changes[column] = cleaned
            if changes:
                bind.execute(sa.update(table).where(table.c[key] == row._mapping[key]).values(**changes))
        last = rows[-1]._mapping[key]


def downgrade():
    pass  # what was removed meant nothing to a reader and cannot be put back
