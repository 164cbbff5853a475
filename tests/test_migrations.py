"""Upgrading a database that holds issues: the search index comes through each change of shape."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from issues_tracker import create_app
from issues_tracker.core.extensions import db
from issues_tracker.search import queries as search_queries
from issues_tracker.search.text import parse_search
from tests.conftest import SECRET

pytestmark = pytest.mark.both_databases


@pytest.fixture
def upgrading(second_database):
    """An app on an empty database, in its app context, for migrating step by step."""
    app = create_app({"TESTING": True, "SECRET_KEY": SECRET, "SQLALCHEMY_DATABASE_URI": second_database})
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


def _insert_issue(connection, summary: str, description: str = "") -> int:
    """An issue written as that revision's schema has it (the models describe the newest)."""
    now = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)
    organisation = sa.Table("organisation", sa.MetaData(), autoload_with=connection)
    org_id = connection.execute(
        organisation.insert().values(name="Upgrade Energy", kind="Supplier", created_at=now).returning(organisation.c.id)
    ).scalar_one()
    issue = sa.Table("issue", sa.MetaData(), autoload_with=connection)
    values = {"summary": summary, "description": description, "organisation_id": org_id, "severity": 3, "status": "New", "version": 1,
              "triage_state": "published", "root_cause_certainty": "Suspected", "affected_org_count": 0}
    for column in issue.columns:
        if column.name in values or column.nullable or column.primary_key:
            continue
        values[column.name] = now if isinstance(column.type, (sa.DateTime, sa.TIMESTAMP)) else (
            0 if isinstance(column.type, sa.Integer) else ""
        )
    return connection.execute(issue.insert().values(**values).returning(issue.c.id)).scalar_one()


def _found(session, words: str) -> list[tuple[int, str]]:
    hits = search_queries.ranked_hits(session, parse_search(words), search_queries.Facets(), limit=25)
    return [(row.id, row.excerpt) for row in session.execute(sa.select(hits.c.id, hits.c.excerpt))]


def test_issues_from_before_the_search_index_are_indexed_by_the_upgrade(upgrading):
    upgrade(revision="0008_participation")
    with db.engine.begin() as connection:
        issue_id = _insert_issue(connection, "Lyrebird calls mistaken for meter alarms")
    upgrade()
    assert [found_id for found_id, _ in _found(db.session, "lyrebird")] == [issue_id]


def test_an_indexed_database_keeps_its_matches_and_excerpts_through_the_upgrade(upgrading):
    upgrade(revision="0011_search_words")
    with db.engine.begin() as connection:
        issue_id = _insert_issue(connection, "Currawong feed stalled", "The currawong feed stalled at noon.")
        # The index row as that revision's code wrote it.
        if connection.dialect.name == "postgresql":
            connection.execute(sa.text(
                "INSERT INTO issue_search (issue_id, excerpt, document) VALUES "
                "(:id, 'The currawong feed stalled at noon.', "
                "setweight(array_to_tsvector(ARRAY['currawong', 'feed', 'stall', 'stalled']), 'B'))"
            ), {"id": issue_id})
            connection.execute(sa.text("INSERT INTO search_word (word) VALUES ('currawong')"))
        else:
            connection.execute(sa.text(
                "INSERT INTO issue_search (rowid, summary, excerpt) VALUES "
                "(:id, 'currawong feed stall stalled', 'The currawong feed stalled at noon.')"
            ), {"id": issue_id})
    upgrade()
    assert _found(db.session, "currawong") == [(issue_id, "The currawong feed stalled at noon.")]
    assert _found(db.session, "curraw") == [(issue_id, "The currawong feed stalled at noon.")]  # being typed
    if db.engine.dialect.name == "postgresql":
        columns = {column["name"] for column in sa.inspect(db.engine).get_columns("issue_search")}
        assert columns == {"issue_id", "document"}


def test_text_stored_before_it_was_cleaned_is_cleaned_by_the_upgrade(upgrading):
    upgrade(revision="0012_search_excerpts")
    with db.engine.begin() as connection:
        issue_id = _insert_issue(connection, "Settlement run late\r\nBcc: all\ufffe", "Line one\r\nline two\x0b\uffff")
    upgrade()
    summary, description = db.session.execute(
        sa.text("SELECT summary, description FROM issue WHERE id = :id"), {"id": issue_id}
    ).one()
    assert (summary, description) == ("Settlement run late Bcc: all", "Line one\nline two")


def test_feed_keys_made_before_they_were_hashed_keep_working_and_are_no_longer_stored(upgrading):
    upgrade(revision="0014_pir_action_version")
    now = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)
    with db.engine.begin() as connection:
        org_id = connection.execute(sa.text(
            "INSERT INTO organisation (name, kind, created_at) VALUES ('Feed Energy', 'supplier', :now) RETURNING id"
        ), {"now": now}).scalar_one()
        user_id = connection.execute(sa.text(
            "INSERT INTO user_account (email, name, password_hash, role, organisation_id, active, created_at) "
            "VALUES ('reader@feed.example', 'Reader', 'x', 'participant', :org, :yes, :now) RETURNING id"
        ), {"org": org_id, "yes": True, "now": now}).scalar_one()
        table = sa.Table("notification_settings", sa.MetaData(), autoload_with=connection)
        values = {"user_id": user_id, "feed_key": "an-old-feed-key-made-long-ago-0123456789", "feed_key_created_at": now,
                  "updated_at": now, "follow_when_affected": True, "time_zone": "Europe/London", "digest_hour": 8,
                  "weekly_day": 0}
        values.update({column.name: "immediate" for column in table.columns if column.name.endswith("_mode")})
        connection.execute(table.insert().values(**values))
    upgrade()
    from issues_tracker.notifications.preferences import user_for_feed_key

    assert user_for_feed_key("an-old-feed-key-made-long-ago-0123456789").id == user_id
    columns = {column["name"] for column in sa.inspect(db.engine).get_columns("notification_settings")}
    assert "feed_key" not in columns and "feed_key_hash" in columns


# Tables the search index makes for itself with raw SQL (FTS5 on SQLite, a word list on PostgreSQL).
SEARCH_INDEX_TABLES = ("issue_search", "search_word")


def test_the_migrations_build_exactly_the_schema_the_models_describe(upgrading):
    """A column, index, constraint or type in a model but not in a migration (or the other way
    round) is a difference here, so the two cannot drift apart."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    upgrade()
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={
            "compare_type": True,
            "include_object": lambda obj, name, kind, reflected, compare_to: not (
                kind == "table" and name.startswith(SEARCH_INDEX_TABLES)),
        })
        differences = compare_metadata(context, db.metadata)
    assert differences == []


def test_stored_uploads_are_kept_as_given_and_uncompressed_on_postgresql(upgrading):
    upgrade()
    if db.engine.dialect.name == "postgresql":
        storage = db.session.scalar(sa.text(
            "SELECT attstorage FROM pg_attribute WHERE attrelid = 'upload'::regclass AND attname = 'data'"))
        assert storage == "e"  # EXTERNAL: out of line, never compressed (SQLite compresses nothing)
    from issues_tracker.jobs.models import Upload

    data = bytes(range(256)) * 4096  # 1 MB that no compression would leave alone
    upload = Upload(filename="extract.csv", size_bytes=len(data), sha256="0" * 64, data=data)
    db.session.add(upload)
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Upload, upload.id).data == data
