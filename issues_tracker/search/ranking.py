"""Ranking a window of matches on SQLite, from what the person may see and nothing else.

FTS5's bm25 weighs each word by how many issues in the whole index hold it, hidden ones
included: a participant could then learn whether issues they may not see use a word, by
watching which of two of their own issues comes first. So SQLite ranks here instead, over
the newest matches the person may see (the window), from the indexed tokens of those
matches alone: each word counts by the weight of the part of the issue it is in (refs and
codes above the summary above names above the body), with diminishing returns for
repeats, and a word that fewer of the window's matches hold counts for more. PostgreSQL's
ts_rank keeps no statistics of the index and ranks in SQL.
"""

from __future__ import annotations

import math

from .text import SearchText, Term

# The weighted parts of a document, in the order the index keeps them, with their weights.
RANKED_COLUMNS = ("refs", "codes", "summary", "names", "body")
COLUMN_WEIGHTS = (10.0, 8.0, 5.0, 2.0, 1.0)
REPEATS = 1.2  # a word found n times in a part counts n / (n + REPEATS) of the part's weight
# Each part is read up to this many characters: an issue with a long discussion costs what
# a short one does to rank, and its first few hundred words say what it is about.
RANKED_CHARS = 4_000


def _forms(term: Term) -> tuple[str, ...]:
    """What a term's tokens look like in a part of space-separated tokens padded with a space
    each side: " stem ", and while the word is being typed, " word" (any token it begins)."""
    if not term.prefix:
        return (f" {term.stem} ",)
    if term.stem.startswith(term.word):  # the stem's own tokens are among those the word begins
        return (f" {term.word}",)
    return (f" {term.word}", f" {term.stem} ")


def best_first(rows, search: SearchText) -> list[int]:
    """The ids of rows (id, refs, codes, summary, names, body), best match first; among equals
    the newer (higher id) first."""
    forms = [_forms(term) for term in search.terms]
    found_in: list[list[float]] = []
    holders = [0] * len(forms)
    for row in rows:
        parts = [(weight, f" {text} ") for weight, text in zip(COLUMN_WEIGHTS, row[1:], strict=True) if text]
        whole = "".join(padded for _weight, padded in parts)  # to skip the words a row lacks at once
        per_term = []
        for position, shapes in enumerate(forms):
            score = 0.0
            if any(shape in whole for shape in shapes):
                for weight, padded in parts:
                    n = sum(padded.count(shape) for shape in shapes)
                    if n:
                        score += weight * n / (n + REPEATS)
                holders[position] += score > 0
            per_term.append(score)
        found_in.append(per_term)
    matches = len(found_in)
    rarity = [math.log(1 + (matches - held + 0.5) / (held + 0.5)) for held in holders]
    scored = [
        (sum(score * weight for score, weight in zip(per_term, rarity, strict=True)), row[0])
        for row, per_term in zip(rows, found_in, strict=True)
    ]
    scored.sort(key=lambda item: (-item[0], -item[1]))
    return [issue_id for _score, issue_id in scored]
