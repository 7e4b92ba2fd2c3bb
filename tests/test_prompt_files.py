""".prompt.yml files and lint through the service, on a real SQLite file: golden files survive
import → export byte for byte, a folder imports idempotently, a changed text is a new version,
export never overwrites a file that is not the prompt's own, lint sees the prompt's cases."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from promptstudio_tui.events import StudioError
from promptstudio_tui.store.cases import NewCase, PromptEvaluators, TestCases
from promptstudio_tui.studio import Studio
from promptstudio_tui.workshop import evaluators
from promptstudio_tui.workshop.evaluators import StringCheck
from promptstudio_tui.workshop.promptyml import Message, load
from repos import repos

DATA = Path(__file__).parent / "data" / "promptyml"
GOLDEN = sorted(DATA.glob("*.prompt.yml"))
STUDIO_GOLDEN = DATA / "studio" / "release-notes.prompt.yml"
RELEASE_NOTES = "Write release notes for {{product}} from the changes below, as three bullets.\n\n<changes>\n{{changes}}\n</changes>"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """The three golden files in a folder of their own, as a team keeps them in git."""
    return golden_folder(tmp_path)


def golden_folder(tmp_path: Path) -> Path:
    target = tmp_path / "prompts"
    target.mkdir()
    for path in GOLDEN:
        shutil.copy(path, target / path.name)
    return target


def release_notes(studio: Studio) -> str:
    """A prompt made in the studio (not from a file), with two cases and two string evaluators."""
    prompt = studio.import_prompt(RELEASE_NOTES, title="Release notes")
    store = repos(studio).store
    TestCases(store).add_many(
        prompt.id,
        [
            NewCase({"product": "Inkwell 2.1", "changes": "Export to PDF; dark mode; fixed a crash on save."}, "PDF"),
            NewCase({"product": "Inkwell 2.2", "changes": "Faster search."}, "search"),
        ],
    )
    specs = [
        StringCheck("Mentions the expected change", "contains", "{{expected}}"),
        StringCheck("Starts with a bullet", "startsWith", "- "),
    ]
    PromptEvaluators(store).replace(prompt.id, [evaluators.to_mapping(s) for s in specs])
    return prompt.id


@pytest.mark.parametrize("path", GOLDEN, ids=lambda p: p.name)
def test_golden_file_imports_and_exports_byte_for_byte(studio: Studio, path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    done = studio.import_prompt_file(text, str(path))
    assert done.outcome == "created" and done.version is not None
    assert (done.version.number, done.version.source) == (1, "imported")
    loaded = load(text, source_name=path.name)
    assert done.prompt.title == loaded.name
    assert len(TestCases(repos(studio).store).for_prompt(done.prompt.id)) == len(loaded.test_data)
    assert studio.export_prompt_file(done.prompt.id) == text
    # The prompt is one text in the studio, with a conversation to talk it over.
    assert done.prompt.content == "\n\n".join(m.content.strip() for m in loaded.messages)
    assert done.prompt.conversation_id is not None


def test_studio_prompt_exports_as_one_user_message_with_the_chat_settings(studio: Studio, tmp_path: Path) -> None:
    prompt_id = release_notes(studio)
    text = studio.export_prompt_file(prompt_id)
    assert text == STUDIO_GOLDEN.read_text(encoding="utf-8")

    # The file travels to another machine (another data directory) and back out unchanged.
    other = Studio.open({"model": "gpt-4o-mini"}, paths=_paths(tmp_path / "other"))
    try:
        done = other.import_prompt_file(text, "release-notes.prompt.yml")
        assert done.prompt.content == RELEASE_NOTES
        assert other.export_prompt_file(done.prompt.id) == text
    finally:
        other.close()


def test_a_folder_imported_twice_changes_nothing_the_second_time(studio: Studio, folder: Path) -> None:
    first = studio.import_dir(folder)
    assert (first.count("created"), first.errors) == (3, [])
    before = {p.id: (p, studio.versions(p.id)) for p in studio.prompts_for(None)}

    second = studio.import_dir(folder)
    assert [second.count(o) for o in ("created", "new_version", "updated", "unchanged")] == [0, 0, 0, 3]
    assert {p.id: (p, studio.versions(p.id)) for p in studio.prompts_for(None)} == before  # not even updated_at


def test_a_changed_text_becomes_a_new_version_and_other_changes_update_in_place(studio: Studio, folder: Path) -> None:
    studio.import_dir(folder)
    path = folder / "ticket-triage.prompt.yml"
    original = path.read_text(encoding="utf-8")
    path.write_text(original.replace("billing, shipping, account or other", "billing, shipping, returns or other"))

    changed = studio.import_dir(folder)
    assert [changed.count(o) for o in ("created", "new_version", "unchanged")] == [0, 1, 2]
    (done,) = [f for f in changed.files if f.changed]
    versions = studio.versions(done.prompt.id)
    assert [(v.number, v.source) for v in versions] == [(1, "imported"), (2, "imported")]
    assert "returns" in versions[1].content and "returns" not in versions[0].content
    assert studio.export_prompt_file(done.prompt.id) == path.read_text(encoding="utf-8")
    assert studio.import_dir(folder).count("unchanged") == 3

    # Only a test case changes: the cases follow the file, the text has no new version.
    path.write_text(path.read_text().replace("I was charged twice for order 4411.", "Refund still missing."))
    updated = studio.import_prompt_file(path.read_text(), str(path))
    assert updated.outcome == "updated" and updated.version is None
    assert len(studio.versions(done.prompt.id)) == 2
    cases = TestCases(repos(studio).store).for_prompt(done.prompt.id)
    assert cases[0].vars == {"ticket": "Refund still missing."} and cases[0].expected == "billing"
    assert studio.import_prompt_file(path.read_text(), str(path)).outcome == "unchanged"


def test_layout_and_key_order_do_not_count_as_a_change(studio: Studio, folder: Path) -> None:
    studio.import_dir(folder)
    path = folder / "text-summarizer.prompt.yml"
    data = yaml.safe_load(path.read_text())
    reordered = {key: data[key] for key in reversed(list(data))}
    path.write_text("# a comment the loader drops\n" + yaml.safe_dump(reordered, default_flow_style=True))
    assert studio.import_prompt_file(path.read_text(), str(path)).outcome == "unchanged"


def test_a_renamed_prompt_keeps_its_file_and_a_file_without_a_name_is_named_after_it(
    studio: Studio, tmp_path: Path
) -> None:
    text = "messages:\n  - role: user\n    content: Say hello to {{who}}.\n"
    done = studio.import_prompt_file(text, str(tmp_path / "greeter.prompt.yml"))
    assert done.prompt.title == "Greeter"
    assert studio.import_prompt_file(text, str(tmp_path / "greeter.prompt.yml")).outcome == "unchanged"
    studio.save_prompt(done.prompt.id, title="Hello bot", category="General", tags=[])
    report = studio.export_all(tmp_path / "out")
    assert [f.path.name for f in report.files] == ["greeter.prompt.yml"]  # its file, not hello-bot.prompt.yml
    assert load(report.files[0].path.read_text(), source_name="x").name == "Hello bot"


def test_export_all_writes_each_prompt_once_and_rewrites_nothing_unchanged(studio: Studio, folder: Path) -> None:
    studio.import_dir(folder)
    made_here = release_notes(studio)
    first = studio.export_all(folder)
    assert sorted(f.path.name for f in first.files) == sorted([p.name for p in GOLDEN] + ["release-notes.prompt.yml"])
    assert [f.written for f in first.files if f.prompt.id != made_here] == [False, False, False]  # already said it
    snapshot = {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in folder.iterdir()}

    again = studio.export_all(folder)
    assert not any(f.written for f in again.files) and again.skipped == []
    assert {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in folder.iterdir()} == snapshot
    # The studio's own prompt is now known by its file: importing the folder changes nothing.
    assert studio.import_dir(folder).count("unchanged") == 4


def test_export_all_never_overwrites_a_file_that_is_not_the_prompts_own(studio: Studio, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    foreign = out / "release-notes.prompt.yml"
    foreign.write_text("someone else's file\n")
    release_notes(studio)
    report = studio.export_all(out)
    assert [f.path.name for f in report.files] == ["release-notes-2.prompt.yml"]
    assert foreign.read_text() == "someone else's file\n"


def test_export_all_leaves_a_file_changed_since_unless_forced(studio: Studio, folder: Path) -> None:
    studio.import_dir(folder)
    path = folder / "ticket-triage.prompt.yml"
    teammates = path.read_text().replace("one short sentence", "one short, kind sentence")
    path.write_text(teammates)  # pulled from git, not imported yet

    report = studio.export_all(folder)
    assert len(report.skipped) == 1 and "ticket-triage.prompt.yml changed since" in report.skipped[0]
    assert path.read_text() == teammates
    forced = studio.export_all(folder, force=True)
    assert forced.skipped == [] and path.read_text() == (DATA / path.name).read_text()


def test_export_never_writes_through_a_link(studio: Studio, folder: Path, tmp_path: Path) -> None:
    studio.import_dir(folder)
    elsewhere = tmp_path / "elsewhere.txt"
    elsewhere.write_text("keep me\n")
    link = folder / "ticket-triage.prompt.yml"
    link.unlink()
    link.symlink_to(elsewhere)
    report = studio.export_all(folder, force=True)
    assert any("not a regular file" in s for s in report.skipped)
    assert elsewhere.read_text() == "keep me\n" and link.is_symlink()


def test_write_prompt_file_refuses_a_foreign_file_without_force(studio: Studio, tmp_path: Path) -> None:
    prompt_id = release_notes(studio)
    target = tmp_path / "notes.prompt.yml"
    target.write_text("mine\n")
    with pytest.raises(StudioError, match=r"exists and is not this prompt's file; nothing was written"):
        studio.write_prompt_file(prompt_id, target)
    assert target.read_text() == "mine\n"
    assert studio.write_prompt_file(prompt_id, target, force=True).written
    assert not studio.write_prompt_file(prompt_id, target).written  # now ours, and unchanged


def test_malformed_yaml_is_one_sentence_with_file_and_line_and_the_rest_of_the_folder_imports(
    studio: Studio, folder: Path
) -> None:
    bad = folder / "broken.prompt.yml"
    bad.write_text("name: Broken\nmessages:\n  - role: user\n    content: [unclosed\n")
    with pytest.raises(StudioError) as caught:
        studio.import_prompt_file(bad.read_text(), str(bad))
    message = str(caught.value)
    assert message.startswith(f"{bad} line ") and "\n" not in message
    report = studio.import_dir(folder)
    assert report.count("created") == 3 and len(report.errors) == 1 and str(bad) in report.errors[0]


def test_an_unknown_evaluator_is_named_and_nothing_is_imported(studio: Studio, tmp_path: Path) -> None:
    text = "name: X\nmessages:\n  - role: user\n    content: Hi\nevaluators:\n  - name: Odd\n    uses: acme/odd\n"
    with pytest.raises(StudioError, match="acme/odd"):
        studio.import_prompt_file(text, "x.prompt.yml")
    assert studio.prompts_for(None) == []


def test_string_evaluators_export_as_gh_models_eval_reads_them(studio: Studio) -> None:
    data = yaml.safe_load(studio.export_prompt_file(release_notes(studio)))
    assert set(data) <= {"name", "description", "model", "modelParameters", "messages", "testData", "evaluators"}
    assert data["model"] == "openai/gpt-4o-mini" and set(data["modelParameters"]) == {"temperature", "maxTokens"}
    assert all(set(m) == {"role", "content"} for m in data["messages"])
    assert data["evaluators"] == [
        {"name": "Mentions the expected change", "string": {"contains": "{{expected}}"}},
        {"name": "Starts with a bullet", "string": {"startsWith": "- "}},
    ]
    assert all(isinstance(v, str) for row in data["testData"] for v in row.values())


def test_a_later_text_of_a_multi_message_file_exports_as_one_user_message(studio: Studio, folder: Path) -> None:
    path = folder / "ticket-triage.prompt.yml"
    done = studio.import_prompt_file(path.read_text(), str(path))
    studio.edit_prompt(done.prompt.id, done.prompt.content + "\n\nNever guess.")
    messages = load(studio.export_prompt_file(done.prompt.id), source_name="x").messages
    assert messages == [Message("user", done.prompt.content + "\n\nNever guess.\n")]
    studio.restore(done.prompt.id, 1)  # the imported text again: its system/user layout comes back
    assert [m.role for m in load(studio.export_prompt_file(done.prompt.id), source_name="x").messages] == [
        "system",
        "user",
    ]


def test_lint_sees_the_prompts_cases_and_the_files_own(studio: Studio, folder: Path) -> None:
    path = folder / "ticket-triage.prompt.yml"
    done = studio.import_prompt_file(path.read_text(), str(path))
    report = studio.lint_prompt(done.prompt.id)
    assert not report.has_errors and report.tokens > 0 and not report.tokens_estimated
    assert report.costs[0].model == "gpt-4o-mini" and len(report.costs) > 1

    with_new_variable = path.read_text().replace("{{ticket}}", "{{ticket}} ({{priority}})")
    file_report = studio.lint_file(with_new_variable, str(path))
    assert [f.code for f in file_report.findings if f.severity == "error"] == ["variable-never-given"]
    assert "priority" in file_report.findings[0].message
    assert not any(f.code == "unused-case-variable" for f in file_report.findings)  # expected is not a variable

    text_report = studio.lint_text("Summarize {{text}} in some sentences.")
    assert [f.code for f in text_report.findings] == ["vague-quantity"]


def test_lint_of_an_older_version_and_a_missing_one(studio: Studio) -> None:
    prompt_id = release_notes(studio)
    studio.edit_prompt(prompt_id, RELEASE_NOTES.replace("{{changes}}", "{{changes}} {{"))
    assert "brace-never-closed" in [f.code for f in studio.lint_prompt(prompt_id).findings]
    assert "brace-never-closed" not in [f.code for f in studio.lint_prompt(prompt_id, 1).findings]
    with pytest.raises(StudioError, match=r"has no version 7 \(it has 1–2\)"):
        studio.lint_prompt(prompt_id, 7)


def _paths(root: Path):
    from promptstudio_tui.paths import Paths

    return Paths(data_dir=root, config_dir=root, cache_dir=root / "cache")


def test_a_number_as_expected_is_kept_as_text_and_reimports_unchanged(studio: Studio) -> None:
    text = (
        "name: Adder\nmessages:\n  - role: user\n    content: Add {{a}} and 1.\ntestData:\n  - a: 2\n    expected: 3\n"
    )
    done = studio.import_prompt_file(text, "adder.prompt.yml")
    (case,) = TestCases(repos(studio).store).for_prompt(done.prompt.id)
    assert case.vars == {"a": 2} and case.expected == "3"
    assert studio.import_prompt_file(text, "adder.prompt.yml").outcome == "unchanged"
    assert "expected: '3'" in studio.export_prompt_file(done.prompt.id)


def test_yaml_loads_only_when_a_file_is_touched() -> None:
    code = (
        "import sys\n"
        "import promptstudio_tui.studio\n"
        "from promptstudio_tui.cli import build_parser\n"
        "build_parser()\n"
        "print(sorted(m for m in ('yaml', 'jsonschema') if m in sys.modules))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
