"""Prompts as `.prompt.yml` files (GitHub Models' format) and prompt lint: a part of the Studio.

A prompt travels through git as one file: its latest version, its test cases and its
evaluators. What the format cannot hold stays in the studio: older versions, runs and
their results, usage, the conversation, category, tags and the favourite mark, and a
test case's name (`NOT_IN_FILES` says so for the CLI).

**Messages.** A prompt's text is one template. Exported, it is one `user` message with
the whole text, `{{variables}}` where the author put them: `gh models eval` fills the
variables in every message and sends the file's messages as they are, so it sends the
same request the studio's own try and test runs send (the filled text as the user
message), and both tools grade the same thing. Splitting the text into a `system`
message and an invented `user` template would change the request and duplicate values
the text already holds. A multi-line text is written with a final newline, so YAML
shows it as a `|` block, as GitHub's examples do.

A file with other messages (a `system` message and a `user` template, say) is imported
as one text: each message's content, stripped, joined by a blank line. Its exact
messages are kept in that version's metadata (`file_messages`), and export writes them
again as long as the latest text is that version's text (edited or refined later, the
prompt is written as one user message: the split of a new text is unknown).

**Which prompt a file is.** A file is known by its name (`ticket-triage.prompt.yml`,
without its folder): the prompt it was imported from, exported to or written into by
export-all records it in its metadata (`prompt_file.origin`), with the fingerprint of
that file's content (`prompt_file.fingerprint`). Importing a file of that name again
compares its content with what export would write now (`PromptFile.fingerprint`,
layout-blind): equal changes nothing; a different text becomes a new version (source
"imported"); the same text with other cases, evaluators or fields updates the prompt in
place (no version: the text did not change). Titles are not identities (two people's
"Summarizer" are different prompts), and a file renamed in git is imported as a new
prompt. One folder per studio: two files of the same name in different folders are the
same prompt here.

**Never overwriting a foreign file.** Export writes over an existing file only when it
is ours: a regular file (never a link), with the name the prompt recorded, whose content
is still what was last imported from or exported to it. A file changed since (a
teammate's commit pulled in, say) is left alone with a sentence (import it first, or
force); a file of another prompt or of nobody is never overwritten by export-all, which
picks the next free name instead (`file_name_for`). Writes are atomic
(`safe_files.write_file`, which also refuses links and devices); a file that already
says what export would write is not touched, so re-exporting unchanged prompts leaves
the folder byte for byte as it was.

Fields the studio does not keep itself (description, model, modelParameters,
responseFormat, jsonSchema, unknown top-level keys, a name longer than a title) are kept
from an imported file in the prompt's metadata (`prompt_file.fields`) and written back
on export. A prompt that never came from a file is written with the configured model
(as `openai/<model>` for OpenAI's models, the name GitHub Models uses) and the chat
settings' temperature and max_tokens, with which its tries and tests run.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from promptstudio_tui import catalog, context, pricing, safe_files, tokens
from promptstudio_tui.events import StudioError
from promptstudio_tui.sanitize import one_line
from promptstudio_tui.store.records import Prompt, PromptVersion
from promptstudio_tui.studio_base import StudioBase

if TYPE_CHECKING:
    from promptstudio_tui.store.cases import NewCase
    from promptstudio_tui.workshop.lint import LintReport
    from promptstudio_tui.workshop.promptyml import Message, PromptFile


META_KEY = "prompt_file"  # the prompt's metadata about its file: origin, fingerprint, fields
LAYOUT_KEY = "file_messages"  # a version's metadata: the messages of the file it came from
# Models whose cost of one request lint shows besides the configured one.
COMMON_MODELS = ("gpt-4o-mini", "gpt-4.1-mini", "gpt-4o", "gpt-5-mini", "gpt-5")
NOT_IN_FILES = (
    "a .prompt.yml holds the latest version, its test cases and evaluators; "
    "older versions, runs, category, tags and case names stay in the studio"
)

Outcome = Literal["created", "new_version", "updated", "unchanged"]


@dataclass(frozen=True)
class ImportedFile:
    """What importing one file did to which prompt (`version`: the new one, for created/new_version)."""

    source: str
    prompt: Prompt
    outcome: Outcome
    version: PromptVersion | None = None

    @property
    def changed(self) -> bool:
        return self.outcome != "unchanged"


@dataclass(frozen=True)
class FolderImport:
    files: list[ImportedFile] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # one sentence per file that could not be imported

    def count(self, outcome: Outcome) -> int:
        return sum(f.outcome == outcome for f in self.files)


@dataclass(frozen=True)
class ExportedFile:
    path: Path
    prompt: Prompt
    written: bool  # False: the file already said exactly this and was left untouched


@dataclass(frozen=True)
class FolderExport:
    files: list[ExportedFile] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # one sentence per prompt not written

    @property
    def paths(self) -> list[Path]:
        return [f.path for f in self.files]


class PromptFiles(StudioBase):
    # -- lint -----------------------------------------------------------------

    def lint_prompt(self, prompt_id: str, version: int | None = None) -> LintReport:
        """Lint a version (None: the latest) against the prompt's test cases' values."""
        from promptstudio_tui.store.cases import TestCases

        shown = self.version(prompt_id, version)
        cases = [case.vars for case in TestCases(self._store).for_prompt(prompt_id)]
        return self._lint_with(shown.content, cases, self.settings.model)

    def lint_text(self, text: str, cases: Sequence[Mapping[str, object]] = ()) -> LintReport:
        """Lint a text that is not saved (a plain or markdown file, stdin) for the configured model."""
        return self._lint_with(text, cases, self.settings.model)

    def lint_file(self, text: str, source_name: str) -> LintReport:
        """Lint a `.prompt.yml`: its messages as the studio imports them, its testData, its model.

        Lines and columns count within that text (one message: the message's content).
        """
        loaded = self._load_file(text, source_name)
        cases = [{k: v for k, v in row.items() if k != "expected"} for row in loaded.test_data]
        return self._lint_with(_joined(loaded.messages), cases, _bare_model(loaded.model) or self.settings.model)

    def _lint_with(self, text: str, cases: Sequence[Mapping[str, object]], model: str) -> LintReport:
        from promptstudio_tui.workshop.lint import lint

        window = self.window() if model == self.settings.model else context.resolve_window(model)
        counted = tokens.count("", model)
        prices: dict[str, tuple[Any, Any]] = {}
        for name in (model, *COMMON_MODELS):
            price = pricing.price_for(name, self.settings.prices)
            if price is not None and name not in prices:
                prices[name] = (price.input_per_mtok, price.output_per_mtok)
        report = lint(
            text,
            cases=cases,
            model=model,
            window=window.tokens,
            count_tokens=lambda t: tokens.count(t, model).tokens,
            prices=prices,
        )
        # tiktoken's count for a model it does not know is o200k_base's: an estimate all the same.
        return dataclasses.replace(report, tokens_estimated=not counted.exact)

    # -- export ---------------------------------------------------------------

    def prompt_file(self, prompt_id: str) -> PromptFile:
        """The `.prompt.yml` of the prompt's latest version, its cases and evaluators."""
        from promptstudio_tui.store.cases import PromptEvaluators, TestCases
        from promptstudio_tui.workshop import evaluators
        from promptstudio_tui.workshop.promptyml import PromptFile

        prompt = self._file_prompt(prompt_id)
        latest = self.version(prompt_id, None)
        record = _record(prompt)
        kept = record.get("fields")
        if isinstance(kept, dict):
            name = str(kept.get("name") or "")
            fields: dict[str, Any] = {
                "description": kept.get("description") or "",
                "model": kept.get("model") or "",
                "model_parameters": dict(kept.get("modelParameters") or {}),
                "response_format": kept.get("responseFormat"),
                "json_schema": kept.get("jsonSchema"),
                "extra": dict(kept.get("extra") or {}),
            }
            if not name or _title_for(name) != prompt.title:  # renamed in the studio since
                name = prompt.title
        else:
            chat = self.settings.chat
            name = prompt.title
            fields = {
                "model": _gh_model(self.settings.model),
                "model_parameters": {"temperature": chat.temperature, "maxTokens": chat.max_tokens},
            }
        rows: list[dict[str, Any]] = []
        for case in TestCases(self._store).for_prompt(prompt_id):
            row = dict(case.vars)
            if case.expected is not None:
                row["expected"] = case.expected
            rows.append(row)
        specs = [evaluators.from_mapping(m) for m in PromptEvaluators(self._store).for_prompt(prompt_id)]
        return PromptFile(name=name, messages=self._messages_for(latest), test_data=rows, evaluators=specs, **fields)

    def export_prompt_file(self, prompt_id: str) -> str:
        """The prompt's `.prompt.yml` text."""
        from promptstudio_tui.workshop import promptyml

        return promptyml.dump(self.prompt_file(prompt_id))

    def write_prompt_file(self, prompt_id: str, path: Path, *, force: bool = False) -> ExportedFile:
        """Write the prompt's file at `path` and remember it as the prompt's file.

        An existing file is overwritten only when it is ours (see the module docstring) or
        `force` is set; never through a link or over something that is not a regular file.
        """
        target = path.expanduser()
        _known_by_its_name(target)
        prompt = self._file_prompt(prompt_id)
        text = self.export_prompt_file(prompt_id)
        try:
            exists = safe_files.existing_file(target)
        except OSError as exc:
            raise StudioError(f"Could not write {target}: {exc.strerror or exc}.") from None
        if exists and not force:
            problem = self._not_ours(prompt, target)
            if problem:
                raise StudioError(f"{problem}; nothing was written (--force overwrites it).")
        return self._write_file(prompt, target, text)

    def export_all(self, directory: Path, *, force: bool = False) -> FolderExport:
        """One file per prompt in `directory` (made if missing); see the module docstring for names."""
        from promptstudio_tui.workshop import promptyml

        folder = directory.expanduser()
        if folder.exists() and not folder.is_dir():
            raise StudioError(f"{folder} is not a folder.")
        try:
            folder.mkdir(parents=True, exist_ok=True)
            present = {p.name.lower() for p in folder.iterdir()}
        except OSError as exc:
            raise StudioError(f"Could not use the folder {folder}: {exc.strerror or exc}.") from None
        prompts = self._prompts.list(limit=1_000_000)
        # Prompts that have a file name claim it first; the rest get fresh names around them.
        prompts.sort(key=lambda p: (_record(p).get("origin") is None, p.created_at, p.id))
        claimed: set[str] = set()
        report = FolderExport()
        for prompt in prompts:
            origin = _record(prompt).get("origin")
            target: Path | None = None
            if isinstance(origin, str) and origin.lower() not in claimed:
                candidate = folder / origin
                try:
                    exists = safe_files.existing_file(candidate)
                except OSError as exc:
                    report.skipped.append(f"{candidate}: {exc.strerror}, so {prompt.title!r} was not written.")
                    claimed.add(origin.lower())
                    continue
                problem = None if force or not exists else self._not_ours(prompt, candidate)
                if problem:
                    report.skipped.append(f"{problem}: import it first, or export again with --force.")
                    claimed.add(origin.lower())
                    continue
                target = candidate
            if target is None:
                target = folder / promptyml.file_name_for(prompt.title, present | claimed)
            claimed.add(target.name.lower())
            try:
                report.files.append(self._write_file(prompt, target, self.export_prompt_file(prompt.id)))
            except StudioError as exc:
                report.skipped.append(str(exc))
        return report

    def _not_ours(self, prompt: Prompt, target: Path) -> str | None:
        """None when `target` is this prompt's file, unchanged since we last read or wrote it; else why not."""
        from promptstudio_tui.workshop import promptyml
        from promptstudio_tui.workshop.promptyml import PromptFileError

        record = _record(prompt)
        if record.get("origin") != target.name:
            return f"{target} exists and is not this prompt's file"
        try:
            on_disk = promptyml.load(target.read_text(encoding="utf-8"), source_name=str(target)).fingerprint()
        except (OSError, UnicodeDecodeError, PromptFileError):
            return f"{target} is no longer a .prompt.yml this prompt wrote"
        if on_disk != record.get("fingerprint"):
            return f"{target} changed since it was last imported or exported"
        return None

    def _write_file(self, prompt: Prompt, target: Path, text: str) -> ExportedFile:
        from promptstudio_tui.workshop import promptyml

        fingerprint = promptyml.load(text, source_name=target.name).fingerprint()
        written = True
        try:
            if target.is_file() and not target.is_symlink() and target.read_bytes() == text.encode():
                written = False
            else:
                safe_files.write_file(target, text, overwrite=True)  # the callers decided it may be replaced
        except OSError as exc:
            raise StudioError(f"Could not write {target}: {exc.strerror or exc}.") from None
        record = _record(prompt)
        if record.get("origin") != target.name or record.get("fingerprint") != fingerprint:
            metadata = {**prompt.metadata, META_KEY: {**record, "origin": target.name, "fingerprint": fingerprint}}
            prompt = self._prompts.update(prompt.id, metadata=metadata)
        return ExportedFile(target, prompt, written)

    def _messages_for(self, latest: PromptVersion) -> list[Message]:
        """The file's messages for a text: the layout it was imported with, else one user message."""
        from promptstudio_tui.workshop.promptyml import Message

        for version in reversed(self._versions.for_prompt(latest.prompt_id)):
            layout = _layout(version)
            if version.content == latest.content and layout and _joined(layout) == latest.content:
                return layout
        text = latest.content
        return [Message("user", text + "\n" if "\n" in text and not text.endswith("\n") else text)]

    # -- import ---------------------------------------------------------------

    def import_prompt_file(self, text: str, source_name: str, *, origin: str | None = None) -> ImportedFile:
        """Import one `.prompt.yml` (`source_name` names it in errors; its file name is its identity).

        A new file name: a new prompt (v1 "imported", with a conversation to talk it over).
        A known one: nothing when its content is what export would write; a new version when
        the text differs; the prompt updated in place when only cases, evaluators or fields do.
        """
        from promptstudio_tui.store.cases import PromptEvaluators, TestCases
        from promptstudio_tui.workshop import evaluators
        from promptstudio_tui.workshop.promptyml import Message

        origin = origin or Path(source_name).name
        _known_by_its_name(Path(source_name).with_name(origin))
        loaded = self._load_file(text, source_name)
        name = loaded.name or _name_from_file(origin)
        title = _title_for(name)
        body = _joined(loaded.messages)
        if not body:
            raise StudioError(f"{source_name}: the messages hold no text to import.")
        fields = {
            "name": loaded.name,
            "description": loaded.description,
            "model": loaded.model,
            "modelParameters": dict(loaded.model_parameters),
            "responseFormat": loaded.response_format,
            "jsonSchema": loaded.json_schema,
            "extra": _json_ready(loaded.extra),
        }
        record = {"origin": origin, "fingerprint": loaded.fingerprint(), "fields": fields}
        layout = [] if loaded.messages == [Message("user", body)] else loaded.messages
        version_meta: dict[str, Any] = {"origin": origin}
        if layout:
            version_meta[LAYOUT_KEY] = [{"role": m.role, "content": m.content} for m in layout]
        cases = [_new_case(row) for row in loaded.test_data]
        specs = [evaluators.to_mapping(spec) for spec in loaded.evaluators]
        counted = tokens.count(body, self.settings.model).tokens

        existing = self._prompt_from(origin)
        if existing is None:
            with self._store.write():
                conversation = self._conversations.create(title=title)
                seed = self._messages.add(conversation.id, "user", catalog.IMPORT_SEED.format(prompt=body))
                self._conversations.note_message(conversation.id, seed.content, unread=False)
                created = self._prompts.add(
                    title=title,
                    content=body,
                    conversation_id=conversation.id,
                    tokens_used=counted,
                    source="imported",
                    metadata={**version_meta, "through_message_id": seed.id},
                )
                TestCases(self._store).add_many(created.id, cases)
                PromptEvaluators(self._store).replace(created.id, specs)
                prompt = self._prompts.update(created.id, metadata={**created.metadata, META_KEY: record})
            return ImportedFile(source_name, prompt, "created", self.version(prompt.id, None))

        now = self.prompt_file(existing.id)
        # Compared as the studio keeps it: a file without a name has the prompt's; `expected` is text.
        rows = [dict(c.vars) if c.expected is None else {**c.vars, "expected": c.expected} for c in cases]
        kept = dataclasses.replace(loaded, name=loaded.name or now.name, test_data=rows)
        if kept.fingerprint() == now.fingerprint():
            return ImportedFile(source_name, existing, "unchanged")
        version: PromptVersion | None = None
        with self._store.write():
            if loaded.messages != now.messages:
                latest = self.version(existing.id, None)
                version = self._versions.add(
                    existing.id,
                    content=body,
                    source="imported",
                    tokens=counted,
                    metadata={**version_meta, "through_message_id": latest.metadata.get("through_message_id")},
                )
            if kept.test_data != now.test_data:
                TestCases(self._store).replace(existing.id, cases)
            if specs != [evaluators.to_mapping(spec) for spec in now.evaluators]:
                PromptEvaluators(self._store).replace(existing.id, specs)
            prompt = self._prompts.update(
                existing.id, title=title, metadata={**self._file_prompt(existing.id).metadata, META_KEY: record}
            )
        return ImportedFile(source_name, prompt, "new_version" if version else "updated", version)

    def import_dir(self, directory: Path) -> FolderImport:
        """Every `*.prompt.yml` / `*.prompt.yaml` directly in `directory`, in name order.

        A file that cannot be read is one sentence in `errors`; the others are imported.
        Importing the same folder again changes nothing.
        """
        from promptstudio_tui.workshop import promptyml

        folder = directory.expanduser()
        if not folder.is_dir():
            raise StudioError(f"{folder} is not a folder.")
        try:
            found = sorted(p for p in folder.iterdir() if p.name.lower().endswith(promptyml.SUFFIXES))
        except OSError as exc:
            raise StudioError(f"Could not read the folder {folder}: {exc.strerror or exc}.") from None
        report = FolderImport()
        for path in found:
            if not path.is_file():
                continue
            try:
                report.files.append(self.import_prompt_file(read_file(path), str(path), origin=path.name))
            except StudioError as exc:
                report.errors.append(str(exc))
        return report

    def _prompt_from(self, origin: str) -> Prompt | None:
        """The prompt that recorded `origin` as its file (the newest, should two have)."""
        for prompt in self._prompts.list(limit=1_000_000):
            if _record(prompt).get("origin") == origin:
                return prompt
        return None

    def _load_file(self, text: str, source_name: str) -> PromptFile:
        from promptstudio_tui.workshop import promptyml
        from promptstudio_tui.workshop.promptyml import PromptFileError

        try:
            return promptyml.load(text, source_name=source_name)
        except PromptFileError as exc:
            raise StudioError(str(exc)) from None

    def _file_prompt(self, prompt_id: str) -> Prompt:
        try:
            return self._prompts.get(prompt_id)
        except KeyError:
            raise StudioError(f"There is no prompt {prompt_id}.") from None


def _known_by_its_name(path: Path) -> None:
    """A .prompt.yml is known again by its file name, which the studio records: that name
    must be UTF-8 (the folders above it may hold any bytes)."""
    try:
        path.name.encode()
    except UnicodeEncodeError:
        raise StudioError(
            f"{safe_files.shown(path)}: a .prompt.yml is known by its file name, which is not UTF-8; "
            "rename the file. Nothing was saved."
        ) from None


def read_file(path: Path) -> str:
    """A file's text; one sentence when it cannot be read or is not UTF-8."""
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise StudioError(
            f"{safe_files.shown(path)} is not UTF-8 text; save it as UTF-8 and import it again."
        ) from None
    except OSError as exc:
        raise StudioError(f"Could not read {safe_files.shown(path)}: {exc.strerror or exc}.") from None


def _record(prompt: Prompt) -> dict[str, Any]:
    found = prompt.metadata.get(META_KEY)
    return dict(found) if isinstance(found, dict) else {}


def _layout(version: PromptVersion) -> list[Message]:
    from promptstudio_tui.workshop.promptyml import Message

    raw = version.metadata.get(LAYOUT_KEY)
    if not isinstance(raw, list):
        return []
    try:
        return [Message(str(m["role"]), str(m["content"])) for m in raw]
    except (TypeError, KeyError):
        return []


def _joined(messages: Sequence[Message]) -> str:
    """One text for the studio: each message's content, stripped, blank-line separated."""
    return "\n\n".join(m.content.strip() for m in messages if m.content.strip())


def _new_case(row: Mapping[str, Any]) -> NewCase:
    from promptstudio_tui.store.cases import NewCase
    from promptstudio_tui.workshop import evaluators

    expected = row.get("expected")
    values = {k: v for k, v in row.items() if k != "expected"}
    return NewCase(values, None if expected is None else evaluators.as_text(expected), source="imported")


def _title_for(name: str) -> str:
    return one_line(name, catalog.TITLE_CHARS) or "Imported prompt"


def _name_from_file(file_name: str) -> str:
    from promptstudio_tui.workshop import promptyml

    for suffix in promptyml.SUFFIXES:
        if file_name.lower().endswith(suffix):
            file_name = file_name[: -len(suffix)]
    return file_name.replace("-", " ").replace("_", " ").strip().capitalize() or "Imported prompt"


def _gh_model(model: str) -> str:
    """GitHub Models names OpenAI's models `openai/<name>`; other names are written as configured."""
    if "/" not in model and pricing.price_for(model) is not None:
        return f"openai/{model}"
    return model


def _bare_model(model: str) -> str:
    return model.split("/", 1)[1] if model.startswith("openai/") else model


def _json_ready(value: Any) -> Any:
    """Unknown top-level keys as JSON can keep them (YAML dates as their text, as the fingerprint counts them)."""
    import json

    return json.loads(json.dumps(value, default=str))
