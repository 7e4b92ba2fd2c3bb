"""`{{variables}}` in a prompt text: find them, fill them, and write literal braces.

Syntax (the `{{var}}` of GitHub Models' `.prompt.yml`, Langfuse and Anthropic's console):

- A variable is `{{name}}`; spaces or tabs inside the braces are tolerated (`{{ name }}`),
  line breaks are not.
- A name starts with a letter or `_` and goes on with letters, digits and `_`; dots may
  join such parts (`{{user.name}}`). Letters are Unicode letters (`{{pays_été}}`). A
  dotted name is one flat name: `user.name` is the key of its value, not a lookup in
  `user`. Names are case-sensitive.
- Anything else between double braces (`{{ticket-id}}`, `{{#if x}}`, `{{}}`) is not a
  variable: it stays in the text as written. `lint` reports those shapes.
- Literal braces, as in Handlebars: a backslash before `{{` makes it literal, so
  `\\{{name}}` renders as `{{name}}`. A backslash before that backslash is a backslash:
  `\\\\{{name}}` renders as `\\` and the value. In general a run of backslashes directly
  before `{{` is halved, and when it was odd the `{{` is literal. Backslashes anywhere
  else are ordinary text (`C:\\temp`, `\\n` and regexes in prompts stay as they are).
  `escape(text)` writes any literal text in this syntax.
- Mustache's triple braces have no meaning here: `{{{name}}}` is `{`, the variable, `}`.

Values are inserted verbatim: a value containing `{{x}}` stays `{{x}}` in the output
(no recursive expansion), and an empty string is a value (the variable is filled).

Wire-up (service, CLI, TUI):

- Prompt pane's list of variables, the fill form: `names(text)` (distinct, in order of
  first appearance); `find(text)` for every occurrence with its line and column.
- `promptstudio prompts render ID [--version N] [--var NAME=VALUE ...] [--vars FILE.json]`:
  values = `from_json_object(json.load(file))` if `--vars`, then each
  `parse_assignment(arg)` of `--var` on top (the command line wins over the file). For
  every name in `unused(text, values)` print a warning on stderr
  (`warning: --var ticket: the prompt has no {{ticket}}`), then print
  `render(text, values)`. On `UnfilledVariablesError` exit 2 with one line naming the
  variables: `str(error)` is "unfilled variable: ticket" / "unfilled variables: a, b".
  `parse_assignment` and `from_json_object` raise `ValueError` with a one-line message
  for a bad `--var` or a file that is not an object (exit 2 as for a usage error).
- `prompts run` / `prompts test` fill a version the same way before the request: a case
  whose values leave a variable unfilled is an error for that case, not a request with
  `{{name}}` left in it.
"""

from __future__ import annotations

import json
import re
from bisect import bisect_right
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

# A name: a letter or "_" then word characters, parts joined by single dots.
NAME = r"[^\W\d]\w*(?:\.\w+)*"
_NAME_ONLY = re.compile(NAME)
# Either a backslash run right before "{{" (escapes) or a whole variable. Searched from a
# position on: a "{{" that turns out not to be a variable is skipped one brace at a time,
# so in `{{{name}}}` the variable one brace in is still found.
_TOKEN = re.compile(r"(\\+)(?=\{\{)|\{\{[ \t]*(" + NAME + r")[ \t]*\}\}")
_OPEN_WITH_BACKSLASHES = re.compile(r"(\\*)\{\{")


@dataclass(frozen=True)
class Occurrence:
    """One `{{name}}` in the text: `text[start:end]` is the whole `{{ … }}`; line and column count from 1."""

    name: str
    start: int
    end: int
    line: int
    column: int


class UnfilledVariablesError(ValueError):
    """`render` was not given a value for every variable.

    `missing`: the unfilled names in order of first appearance; `unused`: the names given
    that the text does not have (so one error can report both).
    """

    def __init__(self, missing: list[str], unused: list[str]) -> None:
        self.missing = missing
        self.unused = unused
        label = "unfilled variable" if len(missing) == 1 else "unfilled variables"
        super().__init__(f"{label}: {', '.join(missing)}")


def find(text: str) -> list[Occurrence]:
    """Every variable occurrence, in text order (escaped `\\{{…}}` are not variables)."""
    found: list[tuple[str, int, int]] = [(name, start, end) for name, start, end in _scan(text) if name]
    if not found:
        return []
    line_starts = [0, *(m.end() for m in re.finditer("\n", text))]
    occurrences = []
    for name, start, end in found:
        line = bisect_right(line_starts, start)
        occurrences.append(Occurrence(name, start, end, line, start - line_starts[line - 1] + 1))
    return occurrences


def names(text: str) -> list[str]:
    """The distinct variable names, in order of first appearance."""
    return list(dict.fromkeys(name for name, _, _ in _scan(text) if name))


def unused(text: str, values: Iterable[str]) -> list[str]:
    """The given names the text has no variable for, in the order given (for a CLI warning)."""
    present = set(names(text))
    return [name for name in dict.fromkeys(values) if name not in present]


def render(text: str, values: Mapping[str, str]) -> str:
    """The text with every variable replaced by its value and escapes resolved.

    Raises `UnfilledVariablesError` naming every variable without a value (nothing is
    filled partially), and `TypeError` naming a variable whose value is not a str.
    Values for names the text does not have are ignored here; see `unused`.
    """
    wanted = names(text)
    missing = [name for name in wanted if name not in values]
    if missing:
        raise UnfilledVariablesError(missing, unused(text, values))
    for name in wanted:
        if not isinstance(values[name], str):
            raise TypeError(f"the value of {name} must be text, not {type(values[name]).__name__}")
    parts: list[str] = []
    pos = 0
    for name, start, end in _scan(text):
        parts.append(text[pos:start])
        if name:
            parts.append(values[name])
        else:  # an escape run: half the backslashes, then the "{{" when it was escaped
            run = text[start:end]
            backslashes = run.rstrip("{")
            parts.append(backslashes[: len(backslashes) // 2] + run[len(backslashes) :])
        pos = end
    parts.append(text[pos:])
    return "".join(parts)


def escape(text: str) -> str:
    """Literal text written so that `render(escape(text), {}) == text` and `names` finds nothing."""
    return _OPEN_WITH_BACKSLASHES.sub(lambda m: "\\" * (2 * len(m[1]) + 1) + "{{", text)


def is_valid_name(name: str) -> bool:
    return _NAME_ONLY.fullmatch(name) is not None


def parse_assignment(argument: str) -> tuple[str, str]:
    """`NAME=VALUE` (a `--var`) → (name, value); the value is everything after the first `=`."""
    name, sep, value = argument.partition("=")
    name = name.strip()
    if not sep:
        raise ValueError(f"--var {argument!r}: write NAME=VALUE")
    if not is_valid_name(name):
        raise ValueError(f"--var {argument!r}: {name!r} is not a variable name (letters, digits, _ and .)")
    return name, value


def from_json_object(data: object) -> dict[str, str]:
    """Values from a parsed `--vars` JSON file: strings as they are, any other JSON value as its JSON text."""
    if not isinstance(data, dict):
        raise ValueError("the variables file must hold a JSON object of NAME: VALUE")
    return {
        str(name): value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
        for name, value in data.items()
    }


def _scan(text: str) -> list[tuple[str, int, int]]:
    """(name, start, end) for each variable, and ("", start, end) for each escape run.

    An escape run covers the backslashes and, when their number is odd, the `{{` after
    them; rendering halves the backslashes and keeps that `{{` (`\\\\\\{{` → `\\{{`).
    """
    tokens: list[tuple[str, int, int]] = []
    if "{{" not in text:
        return tokens
    pos = 0
    while (m := _TOKEN.search(text, pos)) is not None:
        if m[2] is not None:
            tokens.append((m[2], m.start(), m.end()))
            pos = m.end()
        elif len(m[1]) % 2:
            tokens.append(("", m.start(), m.end() + 2))
            pos = m.end() + 2
        else:  # an escaped backslash: the "{{" after it is live and scanned next
            tokens.append(("", m.start(), m.end()))
            pos = m.end()
    return tokens
