"""Full-text search over industry issues: the index, keeping it current, and querying it.

- `documents.py`: what an issue is found by (`build_document`, `RELATED_TEXTS`).
- `index.py`: the index tables, refreshed on every flush that changes an issue.
- `queries.py`: ranked pages, capped counts and similar issues.
- `ranking.py`: SQLite's ranking of a window of matches, from those matches alone.
- `text.py`: words, stems, the person's query, highlighting.
"""

from __future__ import annotations

from .documents import RELATED_TEXTS, RelatedText, build_document
from .index import follow_changes, index_issues, rebuild_index
from .queries import COUNT_CAP, WINDOW, Facets, count_matches, matching_ids, published_only, ranked_hits, visibility
from .text import SearchText, excerpt, highlight, parse_search, similar_search

__all__ = [
    "COUNT_CAP",
    "RELATED_TEXTS",
    "WINDOW",
    "Facets",
    "RelatedText",
    "SearchText",
    "build_document",
    "count_matches",
    "excerpt",
    "follow_changes",
    "highlight",
    "index_issues",
    "matching_ids",
    "parse_search",
    "published_only",
    "ranked_hits",
    "rebuild_index",
    "similar_search",
    "visibility",
]


def init_app(app) -> None:
    """Keep the index current with every change of an issue, and give templates the search's filters."""
    follow_changes()  # the search index changes in the same transaction as the issues it holds
    app.jinja_env.filters["highlight"] = highlight  # search matches in <mark>, the rest escaped
    app.jinja_env.filters["excerpt"] = excerpt
