"""Column types and helpers shared by the models."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import DateTime, String, Text
from sqlalchemy.types import TypeDecorator

from .text import clean_text


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """Stores naive UTC, hands back aware UTC, on SQLite and PostgreSQL alike."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is UTC:
            return value.replace(tzinfo=None)
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use an aware UTC datetime")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


class Line(TypeDecorator):
    """A single line of text (VARCHAR), stored as core/text.py keeps it: no line breaks, no control
    characters or noncharacters, whichever form, import, API or job writes it."""

    impl = String
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return clean_text(value, single_line=True) if isinstance(value, str) else value


class Prose(TypeDecorator):
    """Text of any length and lines (TEXT), stored as core/text.py keeps it."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return clean_text(value) if isinstance(value, str) else value
