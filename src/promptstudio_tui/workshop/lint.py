"""Lint a prompt text offline and at once: findings with a severity, its tokens, its cost.

    report = lint(text, cases=[{"ticket": "…"}], model="gpt-4o", window=128_000,
                  count_tokens=lambda t: tokens.count(t, "gpt-4o").tokens,
                  prices={m: (p.input_per_mtok, p.output_per_mtok) for m, p in some_prices.items()})

Pure: no I/O, no tokenizer, no clock; the token counter and the price table are passed
in. Every check is a precompiled regex pass or a dictionary lookup, so a 4,000-token
prompt lints in a few milliseconds (`bench/lint.py`) and the pane can lint on each edit.

Findings (`Finding.code`, severity, what it means):

| code | severity | when |
|---|---|---|
| `variable-never-given` | error | `cases` given and no case has a value for a `{{variable}}` of the text |
| `variable-sometimes-given` | warning | some cases have no value for it ("in 2 of 5 test cases") |
| `unused-case-variable` | warning | a case gives a name the text has no `{{variable}}` for |
| `brace-empty` | error | `{{}}` or `{{ }}` |
| `brace-unclosed` | error | `{{name}` — one closing brace |
| `brace-unopened` | error | `{name}}` — one opening brace (not after `}`, `\\`, `^`, `_`, `$` or a letter, so LaTeX's `\\frac{a}{b}}` passes) |
| `brace-not-a-variable` | warning (info in code) | `{{ticket-id}}`, `{{#if x}}`: double braces around something that is not a name; it stays as written |
| `brace-never-closed` | warning (info in code) | a `{{` with no `}}` after it on its line |
| `brace-triple` | warning | `{{{name}}}`: Mustache's triple braces; here the value ends up inside `{…}` |
| `no-output-format` | warning | none of the words of `_FORMAT_GUIDANCE` (below) anywhere in the text |
| `conclusion-before-reasoning` | warning | in one schema or output skeleton a conclusion field comes before a reasoning field |
| `vague-quantity` | warning | "some", "a few", "several", "various", "etc.", "and so on", "as needed" in prose |
| `duplicate-instruction` | warning | a sentence (4 words or more) said again, compared without case, spacing, list marks and end punctuation |
| `too-long-for-window` | error | the token count exceeds `window` |
| `near-window` | warning | the prompt takes more than 90% of `window`, leaving little for input and reply |

Where a finding has a place, `line` and `column` count from 1 (columns in characters)
and `length` is how many characters it covers on that line; findings about the whole
text have none. `LintReport.findings` lists the whole-text ones first, then the rest in
text order. Code means fenced blocks (``` or ~~~) and `inline code`: vague words and
repeated sentences there are not flagged, and the brace warnings become info (a Jinja or
Go template in an example is usually meant as written; `\\{{` says so and silences it).
Text between `{{ }}` is never read as prose. A blank text has no findings.

Heuristics:

- Output format: guidance is any of format, JSON, YAML, XML, CSV, markdown, table,
  bullet(s), list, numbered, heading(s), section(s), paragraph(s), sentence(s),
  "N words", schema, template, structure(d), return, output, "respond/reply/answer
  with/in/using/only", "one word", "one line", "yes or no" (whole words, any case).
  Loose on purpose: a false "no format" on every edit would teach users to ignore it.
- Conclusion before reasoning: within one region (a fenced block, or a paragraph of
  prose between blank lines) the fields are JSON keys (`"score":`), `Key:` at the start
  of a line (one or two words), XML-style tags opening a line (`<answer>`) and, inside
  fenced blocks, markdown headings of one or two words. A field is reasoning if a word of its name is one of
  reasoning, reason(s), explanation, explain, rationale, justification, analysis,
  thinking, thought(s), scratchpad, steps, evidence; else a conclusion if one is answer,
  verdict, score, rating, label, classification, category, decision, conclusion, grade,
  judgment, prediction, outcome, result (snake_case, camelCase and kebab-case names are
  split into words). The finding is raised when the region's first conclusion comes
  before its first reasoning field, so several well-ordered examples in a row pass.
- Duplicates: sentences end at `.`, `!` or `?` followed by a space or the line's end.

Tokens: `count_tokens(text)` when given (`LintReport.tokens_estimated` is False), else
about four characters a token. The text is counted as written, variables unfilled.
Costs: for each model in `prices` (USD per 1M input and output tokens; Decimal, int, str
or float), the prompt sent once as input, and each 1,000 reply tokens, in integer
micro-dollars (`pricing.format_usd` shows them); `model` first when it is priced.

Wire-up (service, CLI, TUI):

- Prompt pane: lint the shown version on each edit (debounced is plenty); show the
  findings with their place, the token count ("≈" when estimated) and the costs.
- `promptstudio prompts lint ID|FILE [--json]`: the service reads the version (or file)
  and its cases' variable values, and calls `lint` with the configured model, its
  context window, `tokens.count` bound to the model and the prices of a few common
  models. Print one line per finding (`3:14 warning vague-quantity: …`), then tokens and
  costs; `--json` prints `report.as_dict()`. Exit 1 when `report.has_errors`.
- `cases`: pass each case's variable values only (a `.prompt.yml` testData row without
  `expected`), or `expected` will be reported as unused.
"""

from __future__ import annotations

import re
import sys
from bisect import bisect_right
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

from promptstudio_tui.workshop import variables

Severity = Literal["error", "warning", "info"]
Number = Decimal | int | float | str

_SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}
_NEAR_WINDOW = Decimal("0.9")
_MIN_DUPLICATE_WORDS = 4

_NAME = variables.NAME
_FENCE = re.compile(r"^[ \t]{0,3}(`{3,}|~{3,})", re.M)
_INLINE_CODE = re.compile(r"(`+)[^`\n]+?\1")
_BLANK_LINES = re.compile(r"\n[ \t]*\n")

_EMPTY = re.compile(r"\{\{[ \t]*\}\}")
_UNCLOSED = re.compile(r"\{\{[ \t]*(" + _NAME + r")[ \t]*\}(?!\})")
_UNOPENED = re.compile(r"(?<![{}\\\w^_$])\{[ \t]*(" + _NAME + r")[ \t]*\}\}")
_DOUBLE = re.compile(r"\{\{([^{}\n]{1,80}?)\}\}")
_OPEN = re.compile(r"\{\{")
_ESCAPED_OPEN = re.compile(r"(\\+)\{\{")

_FORMAT_GUIDANCE = re.compile(
    r"\b(?:format(?:s|ted|ting)?|json|yaml|xml|csv|markdown|tables?|bullet(?:s|ed)?|lists?|numbered"
    r"|headings?|sections?|paragraphs?|sentences?|\d+\s+words|schema|template|structured?|return|output"
    r"|(?:respond|reply|answer)\s+(?:with|in|using|only)|one\s+word|single\s+word|one\s+line|yes\s+or\s+no)\b",
    re.I,
)

_FIELD = re.compile(
    r'"(?P<json>[A-Za-z_][\w \-]{0,39})"\s*:'
    r"|^[ \t]*(?:[-*+][ \t]+)?(?:\*\*)?(?P<key>[A-Za-z][\w\-]*(?:[ \t][A-Za-z][\w\-]*)?)(?:\*\*)?[ \t]*:(?!//)"
    r"|^[ \t]*<(?P<tag>[A-Za-z][\w\-]{0,39})>"
    r"|^[ \t]*#{1,6}[ \t]+(?P<heading>[A-Za-z][\w\-]*(?:[ \t][A-Za-z][\w\-]*)?)[ \t]*#*[ \t]*$",
    re.M,
)
_WORDS_OF_NAME = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])")
_REASONING = frozenset(
    {
        "reasoning",
        "reason",
        "reasons",
        "explanation",
        "explain",
        "rationale",
        "justification",
        "analysis",
        "thinking",
        "thought",
        "thoughts",
        "scratchpad",
        "steps",
        "evidence",
    }
)
_CONCLUSION = frozenset(
    {
        "answer",
        "verdict",
        "score",
        "rating",
        "label",
        "classification",
        "category",
        "decision",
        "conclusion",
        "grade",
        "judgment",
        "judgement",
        "prediction",
        "outcome",
        "result",
    }
)

_VAGUE = re.compile(r"\b(?:some|a\s+few|several|various|as\s+needed|and\s+so\s+on)\b|\betc\b\.?", re.I)
_VAGUE_ADVICE = {
    "some": "say how many or which",
    "a few": "say how many",
    "several": "say how many",
    "various": "name them",
    "as needed": "say when",
    "and so on": "name every item, or write “such as” before the examples",
    "etc": "name every item, or write “such as” before the examples",
}

_SENTENCE = re.compile(r"\S.*?(?:[.!?]+(?=\s|$)|$)")
_LIST_MARK = re.compile(r"^(?:[>#]+|[-*+]|\d+[.)])\s+")
_EMPHASIS = re.compile(r"[*_`]+")
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class Finding:
    severity: Severity
    code: str
    message: str
    line: int | None = None  # from 1
    column: int | None = None  # from 1, in characters
    length: int | None = None  # characters covered on that line


@dataclass(frozen=True)
class Cost:
    model: str
    prompt_micros: int  # the prompt sent once as input, micro-USD
    reply_micros_per_1k: int  # each 1,000 tokens of reply, micro-USD


@dataclass(frozen=True)
class LintReport:
    findings: tuple[Finding, ...]
    tokens: int
    tokens_estimated: bool
    costs: tuple[Cost, ...] = ()

    @property
    def has_errors(self) -> bool:
        return any(f.severity == "error" for f in self.findings)

    def count(self, severity: Severity) -> int:
        return sum(f.severity == severity for f in self.findings)

    def as_dict(self) -> dict[str, object]:
        """Plain JSON-ready data for `--json`."""
        return {
            "tokens": self.tokens,
            "tokens_estimated": self.tokens_estimated,
            "findings": [asdict(f) for f in self.findings],
            "costs": [asdict(c) for c in self.costs],
        }


def lint(
    text: str,
    *,
    cases: Sequence[Mapping[str, object]] = (),
    model: str | None = None,
    window: int | None = None,
    count_tokens: Callable[[str], int] | None = None,
    prices: Mapping[str, tuple[Number, Number]] | None = None,
) -> LintReport:
    """Lint `text`. `cases`: each test case's variable values; `window`: the model's context in tokens."""
    tokens = count_tokens(text) if count_tokens is not None else (len(text) + 3) // 4
    estimated = count_tokens is None
    findings: list[Finding] = []
    if text.strip():
        doc = _Doc(text)
        findings += _braces(doc)
        findings += _case_variables(doc, cases)
        findings += _output_format(doc)
        findings += _conclusion_first(doc)
        findings += _vague(doc)
        findings += _duplicates(doc)
    findings += _window(tokens, estimated, window, model)
    findings.sort(key=lambda f: (f.line is not None, f.line or 0, f.column or 0, _SEVERITY_ORDER[f.severity]))
    return LintReport(tuple(findings), tokens, estimated, _costs(tokens, prices, model))


class _Doc:
    """The text with what every check needs once: line starts, code spans, variables."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.line_starts = [0, *(m.end() for m in re.finditer("\n", text))]
        self.fences = _fenced_blocks(text)
        self.occurrences = variables.find(text)
        inline = [m.span() for m in _INLINE_CODE.finditer(text) if not _inside(self.fences, m.start())]
        self.code = sorted(self.fences + inline)
        # Variables and escaped "{{" blanked out (same length): what is left is prose and stray braces.
        chars = list(text)
        for start, end in [(o.start, o.end) for o in self.occurrences] + _escaped_opens(text):
            chars[start:end] = "\0" * (end - start)
        self.masked = "".join(chars)

    def at(self, severity: Severity, code: str, message: str, offset: int, length: int) -> Finding:
        """A finding placed at `offset` of the text."""
        line = bisect_right(self.line_starts, offset)
        return Finding(severity, code, message, line, offset - self.line_starts[line - 1] + 1, length)

    def in_code(self, offset: int) -> bool:
        return _inside(self.code, offset)


def _inside(spans: list[tuple[int, int]], offset: int) -> bool:
    """Whether `offset` falls in one of `spans` (sorted, not overlapping)."""
    index = bisect_right(spans, (offset, sys.maxsize)) - 1
    return index >= 0 and offset < spans[index][1]


def _fenced_blocks(text: str) -> list[tuple[int, int]]:
    """(start, end) of each fenced code block, fences included; an unclosed one runs to the end."""
    blocks = []
    opening: re.Match[str] | None = None
    for m in _FENCE.finditer(text):
        if opening is None:
            opening = m
        elif m[1][0] == opening[1][0] and len(m[1]) >= len(opening[1]):
            end = text.find("\n", m.end())
            blocks.append((opening.start(), len(text) if end < 0 else end))
            opening = None
    if opening is not None:
        blocks.append((opening.start(), len(text)))
    return blocks


def _escaped_opens(text: str) -> list[tuple[int, int]]:
    """Spans of the `{{` made literal by an odd run of backslashes."""
    return [(m.end() - 2, m.end()) for m in _ESCAPED_OPEN.finditer(text) if len(m[1]) % 2]


def _braces(doc: _Doc) -> Iterable[Finding]:
    masked, reported = doc.masked, set()
    for m in _EMPTY.finditer(masked):
        reported.add(m.start())
        yield doc.at("error", "brace-empty", f"`{m[0]}` has no variable name", m.start(), len(m[0]))
    for m in _UNCLOSED.finditer(masked):
        reported.add(m.start())
        yield doc.at("error", "brace-unclosed", f"`{m[0]}` needs a second `}}`: `{{{{{m[1]}}}}}`", m.start(), len(m[0]))
    for m in _UNOPENED.finditer(masked):
        yield doc.at("error", "brace-unopened", f"`{m[0]}` needs a second `{{`: `{{{{{m[1]}}}}}`", m.start(), len(m[0]))
    for m in _DOUBLE.finditer(masked):
        if m.start() in reported or not m[1].strip() or "\0" in m[1]:
            continue
        reported.add(m.start())
        yield doc.at(
            "info" if doc.in_code(m.start()) else "warning",
            "brace-not-a-variable",
            f"`{m[0]}` is not a variable (names are letters, digits, _ and dots), so it stays as written; "
            f"write `\\{m[0]}` if that is meant",
            m.start(),
            len(m[0]),
        )
    for m in _OPEN.finditer(masked):
        if m.start() in reported or m.start() + 1 in reported:  # part of a shape reported above
            continue
        line_end = masked.find("\n", m.end())
        if "}}" in masked[m.end() : None if line_end < 0 else line_end]:
            continue
        reported.add(m.start())
        yield doc.at(
            "info" if doc.in_code(m.start()) else "warning",
            "brace-never-closed",
            "`{{` is not closed by `}}` on its line; write `\\{{` for literal braces",
            m.start(),
            2,
        )
    text = doc.text
    for o in doc.occurrences:
        if o.start > 0 and text[o.start - 1] == "{" and text[o.end : o.end + 1] == "}" and not doc.in_code(o.start):
            yield doc.at(
                "warning",
                "brace-triple",
                f"triple braces are not special here: the value of {o.name} will stand inside `{{…}}`; "
                f"write `{{{{{o.name}}}}}`",
                o.start - 1,
                o.end - o.start + 2,
            )


def _case_variables(doc: _Doc, cases: Sequence[Mapping[str, object]]) -> Iterable[Finding]:
    if not cases:
        return
    first: dict[str, variables.Occurrence] = {}
    for o in doc.occurrences:
        first.setdefault(o.name, o)
    total = len(cases)
    for name, o in first.items():
        given = sum(name in case for case in cases)
        if given == 0:
            message = f"{{{{{name}}}}} has no value in any test case"
            yield doc.at("error", "variable-never-given", message, o.start, o.end - o.start)
        elif given < total:
            message = f"{{{{{name}}}}} has no value in {total - given} of {total} test cases"
            yield doc.at("warning", "variable-sometimes-given", message, o.start, o.end - o.start)
    extra: dict[str, int] = {}
    for case in cases:
        for name in case:
            if name not in first:
                extra[name] = extra.get(name, 0) + 1
    for name, count in extra.items():
        yield Finding(
            "warning",
            "unused-case-variable",
            f"{count} of {total} test cases give “{name}”, which the prompt does not use",
        )


def _output_format(doc: _Doc) -> Iterable[Finding]:
    if _FORMAT_GUIDANCE.search(doc.masked) is None:
        yield Finding(
            "warning",
            "no-output-format",
            "no output format: say what the answer should look like (JSON with named keys, three bullets, one paragraph…)",
        )


def _regions(doc: _Doc) -> Iterable[tuple[int, int, bool]]:
    """(start, end, fenced): each fenced block, and each paragraph of the text between them."""
    pos = 0
    for start, end in [*doc.fences, (len(doc.text), len(doc.text))]:
        cut = pos
        for m in _BLANK_LINES.finditer(doc.text, pos, start):
            yield cut, m.start(), False
            cut = m.end()
        yield cut, start, False
        if start < end:
            yield start, end, True
        pos = end


def _kind(name: str) -> str | None:
    words = {w.lower() for w in _WORDS_OF_NAME.findall(name)}
    if words & _REASONING:
        return "reasoning"
    return "conclusion" if words & _CONCLUSION else None


def _conclusion_first(doc: _Doc) -> Iterable[Finding]:
    for start, end, fenced in _regions(doc):
        conclusion: re.Match[str] | None = None
        for m in _FIELD.finditer(doc.masked, start, end):
            group = m.lastgroup
            if group is None or (group == "heading" and not fenced):
                continue
            kind = _kind(m[group])
            if kind == "conclusion" and conclusion is None:
                conclusion = m
            elif kind == "reasoning":
                if conclusion is not None:
                    name = conclusion[conclusion.lastgroup or 0]
                    yield doc.at(
                        "warning",
                        "conclusion-before-reasoning",
                        f"“{name}” comes before “{m[group]}”: ask for the reasoning first, so the conclusion can build on it",
                        conclusion.start(conclusion.lastgroup or 0),
                        len(name),
                    )
                break


def _vague(doc: _Doc) -> Iterable[Finding]:
    for m in _VAGUE.finditer(doc.masked):
        if doc.in_code(m.start()):
            continue
        phrase = _SPACES.sub(" ", m[0].lower()).rstrip(".")
        yield doc.at("warning", "vague-quantity", f"vague: “{m[0]}” — {_VAGUE_ADVICE[phrase]}", m.start(), len(m[0]))


def _duplicates(doc: _Doc) -> Iterable[Finding]:
    seen: dict[str, tuple[int, str]] = {}
    text, starts = doc.text, doc.line_starts
    for number, line_start in enumerate(starts, 1):
        if _inside(doc.fences, line_start):
            continue
        line_end = starts[number] - 1 if number < len(starts) else len(text)
        # Sentences are cut in the masked text, so a dot inside {{user.name}} ends nothing.
        for m in _SENTENCE.finditer(doc.masked, line_start, line_end):
            sentence = text[m.start() : m.end()]
            key = _normalise(sentence)
            if len(key.split()) < _MIN_DUPLICATE_WORDS:
                continue
            if key not in seen:
                seen[key] = (number, sentence)
                continue
            first_line, first = seen[key]
            quoted = first if len(first) <= 60 else first[:59] + "…"
            yield doc.at(
                "warning", "duplicate-instruction", f"repeats line {first_line}: “{quoted}”", m.start(), len(sentence)
            )


def _normalise(sentence: str) -> str:
    sentence = _LIST_MARK.sub("", sentence.strip())
    return _SPACES.sub(" ", _EMPHASIS.sub("", sentence)).strip().rstrip(".!?:;,").lower()


def _window(tokens: int, estimated: bool, window: int | None, model: str | None) -> Iterable[Finding]:
    if window is None:
        return
    size = f"{'about ' if estimated else ''}{tokens:,} tokens"
    whose = f"{model}'s" if model else "the model's"
    if tokens > window:
        yield Finding("error", "too-long-for-window", f"the prompt is {size}, over {whose} {window:,}-token window")
    elif tokens > window * _NEAR_WINDOW:
        yield Finding(
            "warning",
            "near-window",
            f"the prompt is {size}: only {window - tokens:,} of {whose} {window:,}-token window are left for input and reply",
        )


def _costs(tokens: int, prices: Mapping[str, tuple[Number, Number]] | None, model: str | None) -> tuple[Cost, ...]:
    if not prices:
        return ()
    order = sorted(prices, key=lambda name: name != model)  # stable: the chosen model first
    costs = []
    for name in order:
        input_usd, output_usd = (Decimal(str(p)) for p in prices[name])
        # USD per 1M tokens is micro-USD per token.
        costs.append(Cost(name, _whole(tokens * input_usd), _whole(1000 * output_usd)))
    return tuple(costs)


def _whole(micros: Decimal) -> int:
    return int(micros.quantize(Decimal(1), rounding=ROUND_HALF_UP))
