"""Turn what a person types into a safe FTS5 query."""

from __future__ import annotations

import re

_WORD = re.compile(r"\w+", re.UNICODE)


def search_words(text: str) -> list[str]:
    return _WORD.findall(text)


def fts_query(text: str) -> str | None:
    """Every word must match, each as a prefix; punctuation can never be FTS syntax.

    Returns None when there is nothing searchable (only punctuation or spaces).
    """
    words = search_words(text)
    if not words:
        return None
    return " ".join(f'"{word}"*' for word in words)
