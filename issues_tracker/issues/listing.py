"""The issues list's query string: reading it into a checked IssueQuery (with the filter form, so
a bad value is reported and ignored), and the links the list page draws from it (sortable
headers, removable filter chips)."""

from __future__ import annotations

import dataclasses
import functools
from urllib.parse import parse_qsl

import sqlalchemy as sa
from flask import request
from flask_login import current_user
from werkzeug.datastructures import MultiDict

from ..accounts.models import User
from ..core.extensions import db
from ..core.htmx import wants_fragment
from ..core.templating import url_with
from .forms import IssueFilterForm
from .queries import IssueQuery


@functools.cache
def _staff_select() -> sa.Select:
    # Built once: the list page runs it on every full view.
    return (
        sa.select(User.id, User.display_name)
        .where(User.role.in_(("staff", "admin")), User.active.is_(True))
        .order_by(User.name, User.email)
    )


def staff_choices() -> list[tuple[int, str]]:
    return [(user_id, name) for user_id, name in db.session.execute(_staff_select())]


def build_filter_form(args: MultiDict, *, menu: bool = True) -> IssueFilterForm:
    form = IssueFilterForm(formdata=args)
    owners = [("", "Anyone"), ("none", "Unassigned")]
    # The staff are listed for the page's owner menu and to check a chosen owner; a results
    # fragment (or an API request: menu=False) without one needs neither.
    if (menu and not wants_fragment()) or args.get("owner", "") not in ("", "none"):
        owners += [(str(uid), name) for uid, name in staff_choices()]
    form.owner.choices = owners
    return form


def parse_filters(args=None, user=None, *, menu: bool = True) -> tuple[IssueFilterForm, IssueQuery, int, bool]:
    """Read the list's query string (the request's unless given); invalid values are reported and ignored."""
    user = user or current_user
    form = build_filter_form(MultiDict(request.args if args is None else args), menu=menu)
    valid = form.validate()
    values = {}
    for name in IssueFilterForm.FILTER_FIELDS + ("sort",):
        field = getattr(form, name)
        if field.errors:
            continue
        values[name] = field.data or ""
    if not user.is_staff:
        values.pop("triage", None)
    # Open issues by default; "all" asks for every status.
    values["status"] = {"": "open", "all": ""}.get(values.get("status", ""), values.get("status", ""))
    page = form.page.data if not form.page.errors and form.page.data else 1
    query = IssueQuery(**{k: str(v).strip() for k, v in values.items()})
    if not query.sort or (query.sort == "relevance" and query.search is None):
        query.sort = query.default_sort
    return form, query, page, valid


def query_from_string(text: str, user=None) -> IssueQuery:
    """The view a query string asks for, checked as the list checks it (a value no longer valid is ignored)."""
    return parse_filters(MultiDict(parse_qsl(text or "")), user)[1]


# The list's sortable columns: the sorts a header link cycles through (a click on an unsorted
# header asks for the first; on a sorted one, for the next) and the aria-sort each one means.
COLUMN_SORTS = {
    "id": (("id", "ascending"),),
    "severity": (("severity", "ascending"),),  # P1 first
    "affected": (("affected", "descending"),),
    "age": (("age", "descending"), ("newest", "ascending")),
    "updated": (("updated", "descending"), ("stale", "ascending")),
}


@dataclasses.dataclass(frozen=True)
class SortHeader:
    href: str
    aria_sort: str | None  # "ascending"/"descending" on the column the list is sorted by


def sort_headers(query: IssueQuery) -> dict[str, SortHeader]:
    """Each sortable column's link (the current filters kept, back to page 1) and its state."""
    args = query.args()
    headers = {}
    for column, sorts in COLUMN_SORTS.items():
        codes = [code for code, _ in sorts]
        current = codes.index(query.sort) if query.sort in codes else None
        target = codes[0] if current is None else codes[(current + 1) % len(codes)]
        href = url_with("issues.index", args, sort=None if target == query.default_sort else target, page=None)
        headers[column] = SortHeader(href, None if current is None else sorts[current][1])
    return headers


def filters_in_use(query: IssueQuery) -> int:
    """How many filters (besides the search and the sort) narrow the view, for the phone's filter button."""
    return len([name for name in query.args() if name not in ("q", "sort")])


def active_filters(form: IssueFilterForm, query: IssueQuery) -> list[tuple[str, str, str]]:
    """Each filter in use as (name, value, link without it), for the chips above the results."""
    args = query.args()
    chips = []
    if query.q:
        chips.append(("Search", f"“{query.q}”", url_with("issues.index", args, q=None, sort=None)))
    for name in IssueFilterForm.FILTER_FIELDS[1:]:
        value = getattr(query, name)
        if not value:
            continue
        field = getattr(form, name)
        label = dict((str(code), text) for code, text in field.choices).get(value, value)
        # Taking a status chip away shows every status; the default (open) is only a default.
        remove = url_with("issues.index", args, **{name: "all" if name == "status" else None})
        chips.append((field.label.text if name not in ("stale", "org") else "Show", label, remove))
    return chips
