"""Words, stems and queries: how text is cut up for the search index and for a search.

Both databases get the same tokens from here (the index holds each word and its
English stem), so a search behaves the same on SQLite and PostgreSQL. What a person
types is only ever split into words here: quotes, operators (AND, NEAR, *, -) and
punctuation are not passed to either database's query language.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import snowballstemmer
from markupsafe import Markup, escape

WORD = re.compile(r"[^\W_]+")
# A search reads at most this many words; more would only slow it down.
MAX_TERMS = 12
# The "any of these words" search for similar issues: the summary's words and the description's
# first ones up to this many. Every word costs: each is looked up in the index and counted in
# every match that is ranked.
SIMILAR_TERMS = 8
# Words longer than this are cut (nobody types them; a pasted blob must stay cheap).
MAX_WORD = 40
# The word being typed matches as a prefix once it has this many characters.
MIN_PREFIX = 3

_stemmer = snowballstemmer.stemmer("english")


def fold(text: str) -> str:
    """Lower case without accents: "Résumé" and "resume" are the same word."""
    text = text.casefold()
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def words(text: str) -> list[str]:
    return [word[:MAX_WORD] for word in WORD.findall(fold(text or ""))]


@lru_cache(maxsize=65_536)
def stem(word: str) -> str:
    if len(word) < 3 or not word.isalpha():
        return word
    return _stemmer.stemWord(word)


def index_tokens(*texts: str) -> list[str]:
    """The tokens a text is indexed under: each word, and its stem where that differs."""
    tokens: list[str] = []
    for text in texts:
        for word in words(text):
            tokens.append(word)
            root = stem(word)
            if root != word:
                tokens.append(root)
    return tokens


@dataclass(frozen=True)
class Term:
    """One word of a search: it matches its stem, and as a prefix while it is being typed."""

    word: str
    stem: str
    prefix: bool


@dataclass(frozen=True)
class SearchText:
    terms: tuple[Term, ...]

    def __bool__(self) -> bool:
        return bool(self.terms)


def parse_search(text: str, *, typing: bool = True) -> SearchText:
    """The terms of a search. typing: the last word may be unfinished, so it is also a prefix."""
    typed = words(text)
    found = list(dict.fromkeys(typed))[:MAX_TERMS]
    # The word being typed is the text's last, unless a space or the word limit came after it.
    being_typed = typed[-1] if typing and typed and not text[-1:].isspace() else None
    return SearchText(tuple(
        Term(word, stem(word), prefix=word == being_typed and len(word) >= MIN_PREFIX) for word in found
    ))


# Words too common to say what an issue is about; left out when looking for similar issues.
STOPWORDS = frozenset(
    """a an and are as at be been but by can cannot could did do does for from had has have how i in into is
    it its not of on or our so some than that the their them then there these they this to too was we were
    what when where which while who why will with would you your us no yes all any also after before
    issue issues problem problems please""".split()
)


def similar_search(summary: str, description: str = "") -> tuple[SearchText, SearchText]:
    """For a new issue's text: (its summary's distinctive words, all of them) and
    (those words and the description's first ones, any of them), as two searches."""
    summary_terms = [term for term in parse_search(summary).terms if term.word not in STOPWORDS]
    terms = list(summary_terms)
    seen = {term.stem for term in terms}
    for word in words(description)[:60]:
        if len(terms) >= SIMILAR_TERMS:
            break
        root = stem(word)
        if word in STOPWORDS or len(word) < 3 or root in seen:
            continue
        seen.add(root)
        terms.append(Term(word, root, prefix=False))
    return SearchText(tuple(summary_terms)), SearchText(tuple(terms))


# ------------------------------------------------------------------ highlighting

# In escaped text: an entity (skipped whole, so "amp" never matches inside "&amp;") or a word.
# Escaping changes only characters that are not word characters, so the words are the same.
_ESCAPED_TOKEN = re.compile(r"&#?\w+;|[^\W_]+")


class _Matcher:
    """Whether a word of a text matches a search: its folded form, its stem, or the prefix
    being typed; each distinct word is decided once."""

    def __init__(self, search: SearchText):
        self.words = frozenset(term.word for term in search.terms)
        self.stems = frozenset(term.stem for term in search.terms)
        self.prefixes = tuple(term.word for term in search.terms if term.prefix)
        self.decided: dict[str, bool] = {}
        # In ASCII text only a word that starts with the first letter of a term's word or stem
        # can match (a stem keeps its word's first letter), so only those are looked at.
        first = "".join(sorted({re.escape(token[0]) for token in self.words | self.stems}))
        candidate = rf"(?<![^\W_])[{first}][^\W_]*"
        self.ascii_words = re.compile(candidate, re.IGNORECASE)
        self.ascii_escaped = re.compile(r"&#?\w+;|" + candidate, re.IGNORECASE)

    def __call__(self, word: str) -> bool:
        found = self.decided.get(word)
        if found is None:
            folded = fold(word)
            found = (
                folded in self.words
                or (bool(self.prefixes) and folded.startswith(self.prefixes))
                or stem(folded[:MAX_WORD]) in self.stems
            )
            if len(self.decided) < 4_096:
                self.decided[word] = found
        return found


@lru_cache(maxsize=256)
def _matcher(search: SearchText) -> _Matcher:
    return _Matcher(search)


def highlight(text: str, search: SearchText | None) -> Markup:
    """text, escaped, with the words that match the search in <mark>."""
    if not text:
        return Markup("")
    escaped = str(escape(text))
    if not search:
        return Markup(escaped)  # noqa: S704 (escaped above)
    matches = _matcher(search)

    def mark(token: re.Match) -> str:
        word = token.group()
        return f"<mark>{word}</mark>" if word[0] != "&" and matches(word) else word

    tokens = matches.ascii_escaped if escaped.isascii() else _ESCAPED_TOKEN
    return Markup(tokens.sub(mark, escaped))  # noqa: S704 (escaped, with <mark> added around words)


def excerpt(text: str, search: SearchText | None, *, width: int = 160) -> Markup | None:
    """The part of text around its first matching word, highlighted; None when nothing matches."""
    if not text or not search:
        return None
    matches = _matcher(search)
    for match in (matches.ascii_words if text.isascii() else WORD).finditer(text):
        if matches(match.group()):
            start = max(0, match.start() - width // 3)
            if start:
                space = text.find(" ", start)
                start = space + 1 if 0 <= space < match.start() else start
            end = min(len(text), start + width)
            if end < len(text):
                space = text.rfind(" ", match.end(), end)
                end = space if space > match.end() else end
            piece = highlight(text[start:end].strip(), search)
            return ("… " if start else "") + piece + (" …" if end < len(text) else "")
    return None
