"""Turn what a person types into safe full-text searches, in every script.

A word in a script written with spaces is looked up in the word index, as a prefix.
Chinese, Japanese, Thai and the like are written without spaces, so the word index holds
a whole sentence as one "word" and "发布说明" inside it is never found: a word with such
characters is looked for as a substring instead — in the trigram index when it has three
characters or more. The index finds nothing shorter, yet every place a one- or two-character
piece sits in a message, except the message's last two characters, starts one of the
message's trigrams: the index's vocabulary lists those trigrams as a range of terms, and
two small indexes of each message's last characters find the rest (m011). So a short
piece is looked up too, not read for in every message; conversations and prompts, small
tables, are read.
"""

from __future__ import annotations

import itertools
import re
import sqlite3
from dataclasses import dataclass, replace
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
# The trigrams of the messages' index, one row per term (m011).
VOCABULARY = "messages_trigram_vocab"


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
    short_index: bool = False  # the trigram vocabulary and the messages' last characters (m011)
    looked_up: int = 0  # which short piece `rowids` looks up (see `rarest_looked_up`)

    @property
    def params(self) -> dict[str, str]:
        """The values of the named parameters in `rowids`'s SQL."""
        params = {"match": _fts(self.words, prefix=True), "trigram": _fts(self._long, prefix=False)}
        for i, piece in enumerate(self._short):
            params[f"piece{i}"] = _like(piece)
            if _servable(piece):
                folded = _fold(piece)
                params[f"low{i}"], params[f"high{i}"] = folded, folded[:-1] + chr(ord(folded[-1]) + 1)
                params.update({f"tail{i}_{j}": tail for j, tail in enumerate(_case_variants(piece))})
        return params

    @property
    def shortest_word(self) -> int:
        """Characters in the shortest word or piece (a short one matches a lot)."""
        return min(len(w) for w in self.words + self.pieces)

    @property
    def scans(self) -> bool:
        """Some piece is looked for by reading the text, not the index."""
        return bool(self._short) and not self.looks_up_short

    @property
    def only_short(self) -> bool:
        """Every word is a piece no index holds whole (see `reads` and `looks_up_short`)."""
        return not self.words and not self._long

    @property
    def looks_up_short(self) -> bool:
        """The messages matching this `only_short` search are looked up, not read for."""
        return self.short_index and self.only_short and _servable(self._short[self.looked_up])

    def reads(self, table: str, alias: str) -> str:
        """SQL, true when row `alias` of `table` holds every piece (for `only_short`
        searches): its text is read, which pays for a few rows, not for all."""
        return " AND ".join(
            "(" + " OR ".join(f"{alias}.{column} LIKE :piece{i} ESCAPE '\\'" for column in COLUMNS[table]) + ")"
            for i in range(len(self._short))
        )

    def rowids(self, table: str, *, from_rowid: str = "") -> str:
        """A subquery: the rowids of `table` matching every word and piece (a rowid may come
        more than once: for `IN`).

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
        if table == "messages" and self.looks_up_short:
            return self._short_rowids(from_rowid)
        having = self.reads(table, table)
        among = f"rowid IN ({' INTERSECT '.join(found)})" if found else "1"
        return f"(SELECT rowid FROM {table} WHERE {among}{since} AND {having})"

    def _short_rowids(self, from_rowid: str) -> str:
        """The messages holding every short piece: one is looked up, and the others (and that
        one, when the lookup does not settle it exactly) are read for in what it finds."""
        looked_up = _short_lookup(self.looked_up, self._short[self.looked_up])
        unsettled = [i for i, piece in enumerate(self._short) if i != self.looked_up or not _exact(piece)]
        if not unsettled:
            return f"(SELECT id FROM ({looked_up}){f' WHERE id >= {from_rowid}' if from_rowid else ''})"
        since = f" AND rowid >= {from_rowid}" if from_rowid else ""
        having = " AND ".join(f"content LIKE :piece{i} ESCAPE '\\'" for i in unsettled)
        return f"(SELECT rowid FROM messages WHERE rowid IN (SELECT id FROM ({looked_up})){since} AND {having})"

    @property
    def _long(self) -> tuple[str, ...]:
        return tuple(p for p in self.pieces if self.indexed_pieces and len(p) >= _TRIGRAM_MIN)

    @property
    def _short(self) -> tuple[str, ...]:
        return tuple(p for p in self.pieces if p not in self._long)


def _short_lookup(i: int, piece: str) -> str:
    """The messages holding piece `i` (one or two characters; see the module's docstring):
    those with a trigram that starts with it, and those whose last characters hold it.
    The trigram index folds case, so the range is of the folded piece. A message comes once
    per such trigram: the rows stream (a LIMIT stops early) and `IN` drops the repeats."""
    started = (
        f"SELECT messages_trigram.rowid AS id FROM {VOCABULARY} CROSS JOIN messages_trigram"
        f" WHERE term >= :low{i} AND term < :high{i}"
        """ AND messages_trigram MATCH '"' || replace(term, '"', '""') || '"'"""
    )
    if len(piece) == 2:
        tails = ", ".join(f":tail{i}_{j}" for j in range(len(_case_variants(piece))))
        return f"{started} UNION ALL SELECT rowid FROM messages WHERE substr(content, -2) IN ({tails})"
    return (  # one character, of a script without case: last but one, or last
        f"{started} UNION ALL SELECT rowid FROM messages WHERE substr(content, -2) >= :low{i}"
        f" AND substr(content, -2) < :high{i} UNION ALL SELECT rowid FROM messages WHERE substr(content, -1) = :low{i}"
    )


def _servable(piece: str) -> bool:
    """The lookup serves a piece of one or two characters, each of a script without spaces
    (no case: the trigram index keeps it as written) or ASCII (folded to lower case by both
    the index and LIKE)."""
    return len(piece) < _TRIGRAM_MIN and all(ch.isascii() or _no_spaces().match(ch) for ch in piece)


def _exact(piece: str) -> bool:
    """The lookup finds exactly the texts LIKE does. Not so with an ASCII letter: the trigram
    index folds more than LIKE (the Kelvin sign to k), so such a piece is read for again."""
    return _servable(piece) and not any(ch.isascii() and ch.isalpha() for ch in piece)


def _fold(piece: str) -> str:
    return "".join(ch.lower() if ch.isascii() else ch for ch in piece)


def _case_variants(piece: str) -> list[str]:
    """Every way LIKE would match the piece's ASCII letters, as a message's last characters."""
    choices = [sorted({ch.lower(), ch.upper()}) if ch.isascii() else [ch] for ch in piece]
    return ["".join(chars) for chars in itertools.product(*choices)]


def rarest_looked_up(store: Store, search: Search, up_to: int) -> tuple[Search, int | None]:
    """The search looking up the short piece whose lookup gives the fewest rows, and how
    many (counted up to `up_to`, so the count stops early; a message gives a row per
    trigram it has that starts with the piece). The search as it is, and None, when it has
    no two such pieces to choose between."""
    choices = [i for i, piece in enumerate(search._short) if _servable(piece)]
    if not (search.short_index and search.only_short) or len(choices) < 2:
        return search, None
    sql = "SELECT count(*) FROM (SELECT 1 FROM ({}) LIMIT :up_to)"
    found = {
        i: store.query(sql.format(_short_lookup(i, search._short[i])), {**search.params, "up_to": up_to})[0][0]
        for i in choices
    }
    rarest = min(choices, key=found.__getitem__)
    return replace(search, looked_up=rarest), found[rarest]


def parse(store: Store, text: str) -> Search | None:
    """The search for what was typed; None when there is nothing searchable (only
    punctuation or spaces). Punctuation can never be FTS syntax."""
    words = search_words(text)
    if not words:
        return None
    pieces = tuple(w for w in words if _no_spaces().search(w))
    names = {
        row[0]
        for row in store.query(f"SELECT name FROM sqlite_master WHERE name IN ('messages_trigram', '{VOCABULARY}')")
    }
    search = Search(
        tuple(w for w in words if w not in pieces), pieces, "messages_trigram" in names, VOCABULARY in names
    )
    servable = [i for i, piece in enumerate(search._short) if _servable(piece)]
    return replace(search, looked_up=servable[0]) if servable else search


def _fts(words: tuple[str, ...], *, prefix: bool) -> str:
    """Each word quoted: never FTS syntax. (In the trigram index every phrase is a substring.)"""
    star = "*" if prefix else ""
    return " ".join(f'"{word}"{star}' for word in words)


def _like(piece: str) -> str:
    escaped = piece.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"
