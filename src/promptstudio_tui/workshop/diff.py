"""A word-level diff of two prompt texts: runs a UI can colour, and a plain form without colour.

Lines are matched first and only the lines that changed are diffed word by word: prompts
are mostly lines of markdown, and it keeps two 4,000-token versions well inside a frame
(a word-level SequenceMatcher over the whole text spends its time on the many repeats
of common words and spaces). A word is a run of non-space characters; the whitespace
between words is a token of its own, so the runs rebuild both texts exactly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Literal

Kind = Literal["equal", "insert", "delete"]

_TOKEN = re.compile(r"\s+|\S+")


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
    old_lines, new_lines = old.splitlines(keepends=True), new.splitlines(keepends=True)
    lines = SequenceMatcher(None, old_lines, new_lines, autojunk=False)
    for tag, i1, i2, j1, j2 in lines.get_opcodes():
        if tag == "equal":
            _add(runs, "equal", "".join(old_lines[i1:i2]))
        else:
            _words(runs, "".join(old_lines[i1:i2]), "".join(new_lines[j1:j2]))
    return WordDiff(tuple(runs))


def _words(runs: list[Run], old: str, new: str) -> None:
    a, b = _TOKEN.findall(old), _TOKEN.findall(new)
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, a, b).get_opcodes():
        if tag == "equal":
            _add(runs, "equal", "".join(a[i1:i2]))
            continue
        _add(runs, "delete", "".join(a[i1:i2]))
        _add(runs, "insert", "".join(b[j1:j2]))


def _add(runs: list[Run], kind: Kind, text: str) -> None:
    """Append, merging with a run of the same kind (the line and word passes meet at edges)."""
    if not text:
        return
    if runs and runs[-1].kind == kind:
        runs[-1] = Run(kind, runs[-1].text + text)
    else:
        runs.append(Run(kind, text))
