"""A word-level diff of two prompt texts: runs a UI can colour, and a plain form without colour.

Two passes. First the texts are matched by segments (lines, and long lines cut after
each sentence), then only the segments that differ are diffed word by word. A word
token is the word with the whitespace after it, so runs rebuild both texts exactly and
the many repeats of a bare space never drown the matcher. Neither pass uses difflib's
"popular element" heuristic (autojunk): on prompts that repeat their words it marks
almost everything changed. See bench/diff.py for the times on 4,000-token versions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Literal

Kind = Literal["equal", "insert", "delete"]

_WORD = re.compile(r"\S+\s*|\s+")  # the word and its trailing space; leading space on its own
_SEGMENT_END = re.compile(r"(?<=\n)|(?<=[.!?;:] )")  # after a newline, or after a sentence's end


@dataclass(frozen=True)
class Run:
    kind: Kind
    text: str


@dataclass(frozen=True)
class WordDiff:
    runs: tuple[Run, ...]

    @property
    def changed(self) -> bool:
        return any(run.kind != "equal" for run in self.runs)

    @property
    def old(self) -> str:
        """The first text, rebuilt from the runs."""
        return "".join(run.text for run in self.runs if run.kind != "insert")

    @property
    def new(self) -> str:
        """The second text, rebuilt from the runs."""
        return "".join(run.text for run in self.runs if run.kind != "delete")

    @property
    def words_added(self) -> int:
        return sum(len(run.text.split()) for run in self.runs if run.kind == "insert")

    @property
    def words_removed(self) -> int:
        return sum(len(run.text.split()) for run in self.runs if run.kind == "delete")

    def plain(self) -> str:
        """Readable without colour, as `git diff --word-diff=plain`: [-removed-]{+added+}."""
        return "".join(_MARKS[run.kind].format(run.text) for run in self.runs)


_MARKS = {"equal": "{}", "delete": "[-{}-]", "insert": "{{+{}+}}"}


def word_diff(old: str, new: str) -> WordDiff:
    runs: list[Run] = []
    a, b = _segments(old), _segments(new)
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            _add(runs, "equal", "".join(a[i1:i2]))
        else:
            _words(runs, "".join(a[i1:i2]), "".join(b[j1:j2]))
    return WordDiff(tuple(runs))


def _segments(text: str) -> list[str]:
    return [segment for segment in _SEGMENT_END.split(text) if segment]


def _words(runs: list[Run], old: str, new: str) -> None:
    a, b = _WORD.findall(old), _WORD.findall(new)
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        removed, added = "".join(a[i1:i2]), "".join(b[j1:j2])
        if tag == "equal":
            _add(runs, "equal", removed)
            continue
        # What both sides share at their edges stays outside the markers: a word whose
        # space changed ("kind." then "kind.\n…"), the space after a changed word
        # ("[-three-]{+five+} bullets").
        head = _common_words(removed, added)
        tail = _common_trailing_space(removed[head:], added[head:])
        _add(runs, "equal", removed[:head])
        _add(runs, "delete", removed[head : len(removed) - tail])
        _add(runs, "insert", added[head : len(added) - tail])
        _add(runs, "equal", removed[len(removed) - tail :])


def _common_words(x: str, y: str) -> int:
    """Length of the longest common start of x and y that ends where a word ends in both."""
    n = 0
    while n < min(len(x), len(y)) and x[n] == y[n]:
        n += 1
    while n and not (_word_ends(x, n) and _word_ends(y, n)):
        n -= 1
    return n


def _word_ends(text: str, at: int) -> bool:
    return at == len(text) or (text[at].isspace() and not text[at - 1].isspace())


def _common_trailing_space(x: str, y: str) -> int:
    n = 0
    while n < min(len(x), len(y)) and x[-1 - n] == y[-1 - n] and x[-1 - n].isspace():
        n += 1
    return n


def _add(runs: list[Run], kind: Kind, text: str) -> None:
    """Append, merging with a run of the same kind (the line and word passes meet at edges)."""
    if not text:
        return
    if runs and runs[-1].kind == kind:
        runs[-1] = Run(kind, runs[-1].text + text)
    else:
        runs.append(Run(kind, text))
