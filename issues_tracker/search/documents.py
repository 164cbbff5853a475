"""What an issue is found by: its search document, built in one place.

`build_document` says what goes into the document; `RELATED_TEXTS` names the text from
other tables that belongs to it (progress notes, actions, comments). A new kind of text
joins the search with one line there, and the index then follows every change to those
rows as well (see `watched_attributes`).
"""

from __future__ import annotations

import functools
import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

import sqlalchemy as sa

from ..accounts.models import Organisation
from ..core import choices
from ..issues import fields
from ..issues.models import Issue, IssueAction, IssueEvent, IssueMessage, IssueService
from ..participation.models import Comment
from .text import index_tokens


@dataclass(frozen=True)
class RelatedText:
    """Rows of another table whose text belongs to their issue's document (rows have issue_id).
    `where` picks the rows that do; `picks` says the same of a new row, in Python."""

    model: type
    text: sa.ColumnElement
    where: sa.ColumnElement | None = None
    picks: Callable[[object], bool] | None = None


RELATED_TEXTS: tuple[RelatedText, ...] = (
    # Public progress notes; the journal's other entries (a change, a comment's mention) are not.
    RelatedText(IssueEvent, IssueEvent.note, IssueEvent.kind == "note", lambda event: event.kind == "note"),
    RelatedText(IssueAction, IssueAction.description),
    RelatedText(IssueAction, IssueAction.owner_name),
    # A hidden comment is no longer found.
    RelatedText(Comment, Comment.body, Comment.hidden_at.is_(None), lambda comment: comment.hidden_at is None),
)


def new_row_counts(row) -> bool:
    """Whether a new row of a related model is part of its issue's document (a journal entry
    that is not a progress note is not: writing it leaves the document as it was)."""
    parts = [part for part in RELATED_TEXTS if part.model is type(row)]
    return not parts or any(part.picks is None or part.picks(row) for part in parts)

# The issue's own columns that a document is made of (its text, by the tracker's fields, and its
# filters' facets); a change to any of them refreshes it.
FACET_COLUMNS = ("status", "resolution_status", "impact_assessment", "next_run_resolves", "severity", "owner_id",
                 "triage_state", "organisation_id")
DOCUMENT_COLUMNS = tuple(dict.fromkeys(
    [name for part in ("summary", "refs", "names", "body") for name in fields.SEARCH_COLUMNS[part]] + list(FACET_COLUMNS)
))

SERVICE_NAMES = dict(choices.SERVICES)
MESSAGE_NAMES = dict(choices.SETTLEMENT_MESSAGES)


@functools.cache
def watched_attributes() -> dict[type, set[str]]:
    """The models whose rows (with an issue_id) are part of an issue's document, each with the
    attributes the document is made of: a change to another one (a journal entry marked as
    fanned out, say) leaves the document as it was. New and deleted rows always count."""
    watched: dict[type, set[str]] = {
        IssueService: {"issue_id", "service"}, IssueMessage: {"issue_id", "message"},
    }
    for part in RELATED_TEXTS:
        names = watched.setdefault(part.model, {"issue_id"})
        names.add(part.text.key)
        if part.where is not None:
            mapper = sa.inspect(part.model)
            names.update(
                mapper.get_property_by_column(column).key
                for column in sa.sql.visitors.iterate(part.where) if isinstance(column, sa.Column)
            )
    return watched


@dataclass
class Document:
    """An issue as the index holds it: tokens by weight, filter facets, and text for excerpts."""

    issue_id: int
    refs: list[str]  # strongest: its own reference and service-desk numbers
    codes: list[str]  # service codes and settlement message types
    summary: list[str]
    names: list[str]  # organisation, parties, status words, service and message names
    body: list[str]  # everything else a reader sees on the issue
    facets: list[str] = field(default_factory=list)
    excerpt: str = ""


def slug(value) -> str:
    return re.sub(r"[^a-z0-9]", "", str(value).lower())


def facet(name: str, value) -> str:
    """A filter value as an index token, e.g. facet("st", "Fix in progress") == "stfixinprogress"."""
    return name + slug(value)


PRIVATE = "private"  # not published: visible only to its organisation and staff
OPEN = "sopen"


def issue_facets(row, services: list[str]) -> list[str]:
    facets = [
        facet("t", row.triage_state),
        facet("o", row.organisation_id),
        facet("st", row.status),
        facet("rs", row.resolution_status),
        facet("ia", row.impact_assessment),
        facet("nr", row.next_run_resolves),
        facet("sev", row.severity),
        facet("ow", row.owner_id if row.owner_id is not None else "none"),
    ]
    if row.triage_state != "published":
        facets.append(PRIVATE)
    if row.status not in choices.CLOSED_STATUSES:
        facets.append(OPEN)
    facets += [facet("sv", code) for code in services]
    return facets


def build_document(row, organisation: str, services: list[str], messages: list[str], texts: list[str]) -> Document:
    """The one place that says what an issue is found by, and how strongly."""
    reference = f"IIT-{row.id:04d}"
    body_texts = [*(getattr(row, name) for name in fields.SEARCH_COLUMNS["body"]), *texts]
    names = [organisation, *(getattr(row, name) for name in fields.SEARCH_COLUMNS["names"])]
    names += [SERVICE_NAMES.get(code, code) for code in services]
    names += [MESSAGE_NAMES.get(code, code) for code in messages]
    return Document(
        issue_id=row.id,
        refs=index_tokens(reference, reference.replace("-", ""), str(row.id),
                          *(getattr(row, name) for name in fields.SEARCH_COLUMNS["refs"])),
        codes=index_tokens(*services, *messages),
        summary=index_tokens(*(getattr(row, name) for name in fields.SEARCH_COLUMNS["summary"])),
        names=index_tokens(*names),
        body=index_tokens(*body_texts),
        facets=issue_facets(row, services),
        excerpt="\n".join(text.strip() for text in body_texts if text and text.strip()),
    )


ISSUE_COLUMNS = [Issue.id] + [getattr(Issue, name) for name in DOCUMENT_COLUMNS]


def documents_for(connection: sa.Connection, issue_ids: list[int]) -> list[Document]:
    """The documents of the given issues that exist, read through `connection` (the caller's transaction)."""
    if not issue_ids:
        return []
    rows = connection.execute(
        sa.select(*ISSUE_COLUMNS, Organisation.name.label("organisation_name"))
        .join(Organisation, Organisation.id == Issue.organisation_id)
        .where(Issue.id.in_(issue_ids))
    ).all()
    if not rows:
        return []
    found = [row.id for row in rows]
    services = _grouped(connection, sa.select(IssueService.issue_id, IssueService.service)
                        .where(IssueService.issue_id.in_(found)).order_by(IssueService.service))
    messages = _grouped(connection, sa.select(IssueMessage.issue_id, IssueMessage.message)
                        .where(IssueMessage.issue_id.in_(found)).order_by(IssueMessage.message))
    texts: dict[int, list[str]] = defaultdict(list)
    for part in RELATED_TEXTS:
        stmt = sa.select(part.model.issue_id, part.text).where(part.model.issue_id.in_(found))
        if part.where is not None:
            stmt = stmt.where(part.where)
        for issue_id, text in connection.execute(stmt.order_by(part.model.issue_id)):
            if text:
                texts[issue_id].append(text)
    return [
        build_document(row, row.organisation_name, services.get(row.id, []), messages.get(row.id, []), texts.get(row.id, []))
        for row in rows
    ]


def _grouped(connection, stmt) -> dict[int, list[str]]:
    grouped: dict[int, list[str]] = defaultdict(list)
    for issue_id, value in connection.execute(stmt):
        grouped[issue_id].append(value)
    return grouped
