"""Turn what a person types into safe full-text searches, in every script.

A word in a script written with spaces is looked up in the word index, as a prefix.
Chinese, Japanese, Thai and the like are written without spaces, so the word index holds
a whole sentence as one "word" and "发布说明" inside it is never found: a word with such
characters is looked for as a substring instead — in the trigram index when it has three
characters or more, in the text itself when shorter (the index cannot serve it).
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from promptstudio_tui.store.db import Store

_WORD = re.compile(r"\w+", re.UNICODE)

# Scripts written without spaces between words: Thai, Lao, Myanmar, Khmer, the CJK
# symbols and punctuation block (々, 〆), kana, CJK ideographs (with extensions and
# compatibility forms) and half-width katakana. A character class both `re` and GLOB read.
_NO_SPACES_CLASS = (
    "[\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff\u3005-\u3007\u3040-\u30ff\u31f0-\u31ff"
    "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f\U00020000-\U0003134f]"
)
# Only texts with such characters go into the trigram index: the other texts are found
# through the word index alone, and indexing them would triple the store's size.
NEEDS_TRIGRAMS_GLOB = f"*{_NO_SPACES_CLASS}*"


@cache
def _no_spaces() -> re.Pattern[str]:
    """Compiled on first use: the ranges take ~2 ms, which the start does not need to pay."""
    return re.compile(_NO_SPACES_CLASS)


# The columns each searchable table's indexes cover.
COLUMNS = {
    "conversations": ("title", "tags"),
    "messages": ("content",),
    "prompts": ("title", "content", "tags"),
}
_TRIGRAM_MIN = 3  # characters: FTS5's trigram index finds nothing shorter


def trigrams_supported() -> bool:
    """The trigram tokenizer came with SQLite 3.34."""
    return sqlite3.sqlite_version_info >= (3, 34, 0)


def search_words(text: str) -> list[str]:
    return _WORD.findall(text)


@dataclass(frozen=True)
class Search:
    """Every word must match: `words` as prefixes in the word index, `pieces` as substrings."""

    words: tuple[str, ...]
    pieces: tuple[str, ...]
    indexed_pieces: bool  # False: the store has no trigram index, every piece is scanned for

    @property
    def params(self) -> dict[str, str]:
        """The values of the named parameters in `rowids`'s SQL."""
        params = {"match": _fts(self.words, prefix=True), "trigram": _fts(self._long, prefix=False)}
        params.update({f"piece{i}": _like(piece) for i, piece in enumerate(self._short)})
        return params

    @property
    def shortest_word(self) -> int:
        """Characters in the shortest word or piece (a short one matches a lot)."""
        return min(len(w) for w in self.words + self.pieces)

    @property
    def scans(self) -> bool:
        """Some piece is looked for by reading the text, not the index."""
        return bool(self._short)

    def rowids(self, table: str, *, from_rowid: str = "") -> str:
        """A subquery: the rowids of `table` matching every word and piece.

        `from_rowid`, an SQL expression, skips older rows (the indexes are searched from there).
        """
        since = f" AND rowid >= {from_rowid}" if from_rowid else ""
        found = []
        if self.words:
            found.append(f"SELECT rowid FROM {table}_fts WHERE {table}_fts MATCH :match{since}")
        if self._long:
            found.append(f"SELECT rowid FROM {table}_trigram WHERE {table}_trigram MATCH :trigram{since}")
        if not self._short:
            return f"({' INTERSECT '.join(found)})"
        having = " AND ".join(
            "(" + " OR ".join(f"{column} LIKE :piece{i} ESCAPE '\\'" for column in COLUMNS[table]) + ")"
            for i in range(len(self._short))
        )
        among = f"rowid IN ({' INTERSECT '.join(found)})" if found else "1"
        return f"(SELECT rowid FROM {table} WHERE {among}{since} AND {having})"

    @property
    def _long(self) -> tuple[str, ...]:
        return tuple(p for p in self.pieces if self.indexed_pieces and len(p) >= _TRIGRAM_MIN)

    @property
    def _short(self) -> tuple[str, ...]:
        return tuple(p for p in self.pieces if p not in self._long)


def parse(store: Store, text: str) -> Search | None:
    """The search for what was typed; None when there is nothing searchable (only
    punctuation or spaces). Punctuation can never be FTS syntax."""
    words = search_words(text)
    if not words:
        return None
    pieces = tuple(w for w in words if _no_spaces().search(w))
    indexed = bool(store.query("SELECT 1 FROM sqlite_master WHERE name = 'messages_trigram'"))
    return Search(tuple(w for w in words if w not in pieces), pieces, indexed)


def _fts(words: tuple[str, ...], *, prefix: bool) -> str:
    """Each word quoted: never FTS syntax. (In the trigram index every phrase is a substring.)"""
    star = "*" if prefix else ""
    return " ".join(f'"{word}"{star}' for word in words)


def _like(piece: str) -> str:
    escaped = piece.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"
