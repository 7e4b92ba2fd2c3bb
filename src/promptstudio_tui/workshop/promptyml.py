"""`.prompt.yml` files (GitHub Models' format): read, write, compare, name.

    name: Ticket triage
    description: Sorts a support ticket into a queue
    model: openai/gpt-4o-mini
    modelParameters:
      temperature: 0.2
    messages:
      - role: system
        content: |
          You sort support tickets…
      - role: user
        content: '{{ticket}}'
    testData:
      - ticket: My invoice is wrong
        expected: billing
    evaluators:
      - name: Names the queue
        string:
          contains: '{{expected}}'

`load(text, source_name=…)` → `PromptFile`; `dump(PromptFile)` → text. Loading is
`yaml.safe_load` only. Dumping is PyYAML's safe dumper (plain types only) with two
presentation choices: multi-line strings as `|` blocks and lists indented under their key,
as GitHub's examples write them. Keys come in the format's order (name, description,
model, modelParameters, responseFormat, jsonSchema, messages, testData, evaluators, then
any other top-level key as it was). PyYAML is imported inside the functions: the app's
first frame never waits for it.

What a file holds, kept through load → dump → load: every field above; `modelParameters`
as written (gh reads `temperature`, `maxTokens`, `topP`; `request_parameters()` maps them
to the OpenAI names); `responseFormat` and `jsonSchema`; top-level keys we do not know
(in `extra`); GitHub's `string:`, `llm:` and `uses: github/…` evaluators. Test case
values are str, int, float or bool as YAML typed them; `evaluators.as_text(value)` is the
text gh puts in the prompt for one (`true`, not `True`). Comments,
anchors and quoting style are not kept (PyYAML's loader drops them).

What the format cannot hold: versions (a file is one version: export writes the latest,
import makes a version), runs and their outputs, results, usage, tags. Our evaluator
kinds beyond GitHub's are written as `uses: promptstudio/<kind>` with a `with:` mapping
(the shape GitHub Actions uses for a step's inputs):

    - name: Cites a ticket id           - name: Under 50 words
      uses: promptstudio/regex            uses: promptstudio/length
      with:                               with:
        pattern: TICKET-\\d+                 max: 50
        flags: i                            unit: words
    - name: Valid JSON                   - name: Polite
      uses: promptstudio/json             uses: promptstudio/judge
    - name: Matches the schema            with:
      uses: promptstudio/json-schema        rubric: The reply is courteous…
      with:                                 model: openai/gpt-4o   # optional
        schema: {type: object, …}

`gh models eval` reads such a file and runs its string, llm and github/ evaluators, but
not ours: it reports each `promptstudio/…` evaluator as failed ("Plugin evaluator … not
found"). A file meant for GitHub's CI should use `string:` or `llm:` evaluators only.

The service and CLI:
- `promptstudio prompts export ID --format prompt-yml`: build a `PromptFile` from the
  latest version (and the prompt's cases and evaluators), write `dump(file)`.
- `promptstudio prompts import FILE.prompt.yml`: `load(text, source_name=FILE)`; a
  `PromptFileError` is the one line to show (exit 1).
- `promptstudio prompts export-all DIR`: one file per prompt, named
  `file_name_for(title, taken=names_already_used)`.
- `promptstudio prompts import DIR`: each `*.prompt.yml` / `*.prompt.yaml`. A file whose
  `fingerprint()` equals that of the `PromptFile` the service would export for the
  prompt's latest version changes nothing; a different one becomes a new version.
  Fingerprints compare content, not layout: key order, quoting and comments do not count.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from promptstudio_tui.workshop import evaluators
from promptstudio_tui.workshop.evaluators import EvaluatorError, Spec

if TYPE_CHECKING:
    import yaml

Scalar = str | int | float | bool
SUFFIXES = (".prompt.yml", ".prompt.yaml")
ROLES = ("system", "user", "assistant")
_KNOWN = (
    "name",
    "description",
    "model",
    "modelParameters",
    "responseFormat",
    "jsonSchema",
    "messages",
    "testData",
    "evaluators",
)
_REQUEST_NAMES = {"temperature": "temperature", "maxTokens": "max_tokens", "topP": "top_p"}
_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(1, 10)), *(f"lpt{i}" for i in range(1, 10))}


class PromptFileError(ValueError):
    """A file cannot be read as a `.prompt.yml`; the message is one sentence naming the file."""


@dataclass(frozen=True)
class Message:
    role: str  # system, user or assistant (any case, kept as written)
    content: str  # with {{variables}}


@dataclass(frozen=True)
class PromptFile:
    name: str = ""  # empty when the file has none: the importer names it after the file
    description: str = ""
    model: str = ""
    model_parameters: dict[str, Scalar] = field(default_factory=dict)
    messages: list[Message] = field(default_factory=list)
    test_data: list[dict[str, Scalar]] = field(default_factory=list)  # one mapping per case, `expected` included
    evaluators: list[Spec] = field(default_factory=list)
    response_format: str | None = None  # text, json_object or json_schema
    json_schema: str | None = None  # a JSON text, as GitHub writes it
    extra: dict[str, Any] = field(default_factory=dict)  # top-level keys we do not know, kept in order

    def to_mapping(self) -> dict[str, Any]:
        """The file as plain data, keys in the format's order, empty fields left out."""
        data: dict[str, Any] = {"name": self.name}
        if self.description:
            data["description"] = self.description
        if self.model:
            data["model"] = self.model
        if self.model_parameters:
            data["modelParameters"] = dict(self.model_parameters)
        if self.response_format is not None:
            data["responseFormat"] = self.response_format
        if self.json_schema is not None:
            data["jsonSchema"] = self.json_schema
        data["messages"] = [{"role": m.role, "content": m.content} for m in self.messages]
        if self.test_data:
            data["testData"] = [dict(case) for case in self.test_data]
        if self.evaluators:
            data["evaluators"] = [evaluators.to_mapping(spec) for spec in self.evaluators]
        data.update(self.extra)
        return data

    def fingerprint(self) -> str:
        """A digest of the content (sha256 hex): equal for files that say the same, whatever their layout."""
        # default=str: YAML dates and timestamps in unknown keys count by their written value.
        canonical = json.dumps(
            self.to_mapping(), sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str
        )
        return hashlib.sha256(canonical.encode()).hexdigest()

    def request_parameters(self) -> dict[str, Scalar]:
        """`modelParameters` that gh models eval sends, under the OpenAI API's names (maxTokens → max_tokens)."""
        return {_REQUEST_NAMES[key]: value for key, value in self.model_parameters.items() if key in _REQUEST_NAMES}


def load(text: str, *, source_name: str) -> PromptFile:
    """Read a `.prompt.yml`. Raises PromptFileError: one sentence with `source_name`, and the line for bad YAML."""
    import yaml

    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise PromptFileError(_yaml_problem(source_name, exc)) from None
    if not isinstance(data, dict):
        raise PromptFileError(f"{source_name} is not a .prompt.yml file: it needs keys such as name and messages.")
    try:
        return _from_mapping(data)
    except (PromptFileError, EvaluatorError) as exc:
        raise PromptFileError(f"{source_name}: {exc}") from None


def dump(prompt: PromptFile) -> str:
    """The file's text: block style, the format's key order, multi-line strings as `|` blocks. Stable."""
    import yaml

    return yaml.dump(
        prompt.to_mapping(),
        Dumper=_dumper(),
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        width=1_000_000,  # never fold a long line: the file should read (and diff) as written
    )


def file_name_for(title: str, taken: Collection[str] = ()) -> str:
    """A safe file name for a prompt: `ticket-triage.prompt.yml`; `-2`, `-3`… when `taken` has it.

    ASCII letters, digits and dashes only (accents folded, at most 60 characters), never a
    name Windows reserves; "prompt" when nothing is left. `taken` is compared case-insensitively,
    as on macOS and Windows file systems.
    """
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-")[:60].strip("-") or "prompt"
    if slug in _RESERVED:
        slug += "-prompt"
    used = {name.lower() for name in taken}
    candidate, n = f"{slug}.prompt.yml", 1
    while candidate in used:
        n += 1
        candidate = f"{slug}-{n}.prompt.yml"
    return candidate


# ---- reading


def _from_mapping(data: dict[Any, Any]) -> PromptFile:
    for key in data:
        if not isinstance(key, str):
            raise PromptFileError(f"the top-level key {key!r} is not text.")
    messages = _list(data, "messages")
    if not messages:
        raise PromptFileError("messages is missing or empty: a prompt needs at least one message.")
    return PromptFile(
        name=_text(data, "name"),
        description=_text(data, "description"),
        model=_text(data, "model"),
        model_parameters=_parameters(data.get("modelParameters")),
        messages=[_message(item, i) for i, item in enumerate(messages, start=1)],
        test_data=[_case(item, i) for i, item in enumerate(_list(data, "testData"), start=1)],
        evaluators=[_evaluator(item, i) for i, item in enumerate(_list(data, "evaluators"), start=1)],
        response_format=_optional_text(data, "responseFormat"),
        json_schema=_optional_text(data, "jsonSchema"),
        extra={key: value for key, value in data.items() if key not in _KNOWN},
    )


def _text(data: Mapping[str, Any], key: str) -> str:
    return _optional_text(data, key) or ""


def _optional_text(data: Mapping[str, Any], key: str) -> str | None:
    value = data.get(key)
    if value is None or isinstance(value, str):
        return value
    raise PromptFileError(f"{key} must be text, not {_kind(value)}.")


def _list(data: Mapping[str, Any], key: str) -> list[Any]:
    value = data.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise PromptFileError(f"{key} must be a list, not {_kind(value)}.")
    return value


def _parameters(value: object) -> dict[str, Scalar]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise PromptFileError(f"modelParameters must be a mapping, not {_kind(value)}.")
    for key, item in value.items():
        if not isinstance(key, str) or not _is_scalar(item):
            raise PromptFileError(f"modelParameters {key} must be a number, text or true/false, not {_kind(item)}.")
    return dict(value)


def _message(item: object, number: int) -> Message:
    if not isinstance(item, dict) or set(item) != {"role", "content"}:
        raise PromptFileError(f"messages item {number} must have exactly a role and a content.")
    role, content = item["role"], item["content"]
    if not isinstance(role, str) or role.lower() not in ROLES:
        raise PromptFileError(f"messages item {number}: the role {role!r} is not one of {', '.join(ROLES)}.")
    if not isinstance(content, str):
        raise PromptFileError(f"messages item {number}: the content must be text, not {_kind(content)}.")
    return Message(role, content)


def _case(item: object, number: int) -> dict[str, Scalar]:
    if not isinstance(item, dict):
        raise PromptFileError(f"testData item {number} must be a mapping of variable names to values.")
    for key, value in item.items():
        if not isinstance(key, str):
            raise PromptFileError(f"testData item {number}: the variable name {key!r} is not text.")
        if not _is_scalar(value):
            raise PromptFileError(
                f"testData item {number}: {key} must be text, a number or true/false, not {_kind(value)}."
            )
    return dict(item)


def _evaluator(item: object, number: int) -> Spec:
    try:
        return evaluators.from_mapping(item)
    except EvaluatorError as exc:
        raise PromptFileError(f"evaluators item {number}: {exc}") from None


def _is_scalar(value: object) -> bool:
    return isinstance(value, (str, int, float, bool))


def _kind(value: object) -> str:
    if value is None:
        return "empty"
    if isinstance(value, bool):
        return "true/false"
    return {dict: "a mapping", list: "a list", str: "text", int: "a number", float: "a number"}.get(
        type(value), type(value).__name__
    )


def _yaml_problem(source_name: str, exc: yaml.YAMLError) -> str:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    where = f" line {mark.line + 1}" if mark is not None else ""
    problem = getattr(exc, "problem", None) or "it is not valid YAML"
    return f"{source_name}{where}: the YAML does not parse ({problem})."


# ---- writing


def _dumper() -> type[yaml.SafeDumper]:
    """PyYAML's SafeDumper, choosing `|` for multi-line text and indenting lists under their key."""
    import yaml

    class BlockDumper(yaml.SafeDumper):
        def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
            super().increase_indent(flow, False)

    def text(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
        # PyYAML writes these line breaks raw in plain and quoted styles and reads them back as
        # spaces; escaped in double quotes they survive.
        if any(ch in value for ch in "\r\x85\u2028\u2029"):
            style: str | None = '"'
        else:
            style = "|" if "\n" in value else None
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)

    BlockDumper.add_representer(str, text)
    return BlockDumper
