"""The optional front matter of an imported markdown prompt: a title and tags.

    ---
    title: Code reviewer
    tags: [python, review]
    ---
    You review pull requests…

A small strict reader of the two keys we use, not YAML: `title` is one line (quotes
optional); `tags` is a flow list (`[a, b]`), a block list (`- a` lines) or one comma-separated
line. Other keys (`description: …`, a `date`, with anything nested under them) are skipped,
so notes from other tools import; a line that is none of these is an error naming its
line, not a guess.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_FENCE = "---"
_KEY = re.compile(r"([A-Za-z_][\w-]*)\s*:\s*(.*)")
_ITEM = re.compile(r"\s+-\s*(.*)|-\s+(.*)")


@dataclass(frozen=True)
class Imported:
    body: str
    title: str | None = None
    tags: list[str] = field(default_factory=list)


class FrontMatterError(ValueError):
    """The front matter cannot be read; the message names the line."""


def parse(text: str) -> Imported:
    """Split `text` into front matter and body. Text without front matter is all body.

    An opening `---` with no closing one is not front matter (a markdown rule, then text).
    """
    lines = text.splitlines()
    if not lines or lines[0].strip() != _FENCE:
        return Imported(text)
    try:
        end = next(i for i in range(1, len(lines)) if lines[i].strip() == _FENCE)
    except StopIteration:
        return Imported(text)
    title: str | None = None
    tags: list[str] = []
    key: str | None = None  # the key a block list belongs to
    for number, line in enumerate(lines[1:end], start=2):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        item = _ITEM.fullmatch(line)
        if item and key == "tags":
            tags.append(_scalar(item.group(1) or item.group(2) or "", number))
            continue
        if line[0].isspace() and key not in (None, "title", "tags"):
            continue  # nested under a key we skip
        match = _KEY.fullmatch(line)
        if match is None or line[0].isspace():
            raise FrontMatterError(f"Front matter line {number} is not `key: value`: {line.strip()[:60]!r}.")
        key, value = match.group(1).lower(), match.group(2).strip()
        if key == "title":
            title = _scalar(value, number) or None
        elif key == "tags":
            tags = _tags(value, number)
    return Imported("\n".join(lines[end + 1 :]), title, [t for t in tags if t])


def _tags(value: str, number: int) -> list[str]:
    if not value:
        return []  # a block list follows
    if value.startswith("["):
        if not value.endswith("]"):
            raise FrontMatterError(f"Front matter line {number}: the tag list is not closed with ].")
        value = value[1:-1]
    return [_scalar(part, number) for part in value.split(",")]


def _scalar(value: str, number: int) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        return value[1:-1]
    if value[:1] in "'\"":
        raise FrontMatterError(f"Front matter line {number}: a quote is not closed.")
    return value
