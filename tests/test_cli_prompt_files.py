"""`promptstudio prompts lint | export --format prompt-yml | export-all | import FILE.prompt.yml | import DIR`:
the installed CLI, its exit codes, its lines and its files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from clitools import error_line
from test_prompt_files import GOLDEN, golden_folder

NOT_IN_FILES = "older versions, runs, category, tags and case names stay in the studio"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return golden_folder(tmp_path)


def test_import_a_folder_twice_then_export_it_again(run, folder: Path, tmp_path: Path) -> None:
    first = run("prompts", "import", str(folder))
    assert len(first.stdout.split()) == 3
    assert first.stderr.splitlines()[-1] == "3 file(s): 3 created, 0 new version(s), 0 updated, 0 unchanged, 0 failed"

    second = run("prompts", "import", str(folder))
    assert second.stdout == first.stdout  # the same prompts
    assert second.stderr.splitlines()[-1] == (
        "3 file(s): 0 created, 0 new version(s), 0 updated, 3 unchanged, 0 failed"
    )

    out = tmp_path / "out"
    exported = run("prompts", "export-all", str(out))
    assert sorted(p.name for p in out.iterdir()) == [p.name for p in GOLDEN]
    for path in GOLDEN:
        assert (out / path.name).read_bytes() == path.read_bytes()
    assert NOT_IN_FILES in exported.stderr
    again = run("prompts", "export-all", str(out))
    assert [line.split()[0] for line in again.stdout.splitlines()] == ["unchanged"] * 3


def test_a_changed_file_becomes_a_new_version(run, folder: Path) -> None:
    path = folder / "text-summarizer.prompt.yml"
    prompt_id = run("prompts", "import", str(path)).stdout.strip()
    path.write_text(path.read_text().replace("concisely", "in one sentence"))  # the description only
    updated = run("prompts", "import", str(path))
    assert f"updated prompt {prompt_id}" in updated.stderr
    path.write_text(path.read_text().replace("Summarize the given text", "Summarize the text"))
    changed = run("prompts", "import", str(path))
    assert changed.stdout.strip() == prompt_id
    assert f"new version v2 of prompt {prompt_id}" in changed.stderr
    versions = run("prompts", "versions", prompt_id).stdout.splitlines()
    assert [line.split()[3] for line in versions] == ["imported", "imported"]
    assert run("prompts", "export", prompt_id, "--format", "prompt-yml").stdout == path.read_text()


def test_export_to_a_file_never_overwrites_a_foreign_one_without_force(run, folder: Path, tmp_path: Path) -> None:
    golden = folder / "ticket-triage.prompt.yml"
    prompt_id = run("prompts", "import", str(golden)).stdout.strip()
    shown = run("prompts", "export", prompt_id, "--format", "prompt-yml")
    assert shown.stdout == golden.read_text() and NOT_IN_FILES in shown.stderr

    target = tmp_path / "notes.prompt.yml"
    target.write_text("not yours\n")
    refused = run("prompts", "export", prompt_id, "--format", "prompt-yml", "-o", str(target), check=1)
    assert error_line(refused.stderr) == (
        f"{target} exists and is not this prompt's file; nothing was written (--force overwrites it)."
    )
    assert target.read_text() == "not yours\n"
    forced = run("prompts", "export", prompt_id, "--format", "prompt-yml", "-o", str(target), "--force")
    assert forced.stderr.startswith(f"exported to {target}") and target.read_text() == golden.read_text()


def test_malformed_yaml_is_one_line_with_file_and_line(run, folder: Path) -> None:
    bad = folder / "broken.prompt.yml"
    bad.write_text("name: Broken\nmessages:\n  - role: user\n    content: [unclosed\n")
    failed = run("prompts", "import", str(bad), check=1)
    assert error_line(failed.stderr).startswith(f"{bad} line 5: the YAML does not parse")
    assert failed.stdout == ""
    linted = run("prompts", "lint", str(bad), check=1)
    assert error_line(linted.stderr).startswith(f"{bad} line 5: ")

    whole = run("prompts", "import", str(folder), check=1)  # the good files still come in
    assert len(whole.stdout.split()) == 3
    assert whole.stderr.splitlines()[-1].endswith("3 created, 0 new version(s), 0 updated, 0 unchanged, 1 failed")


def test_lint_exit_codes_lines_and_json(run, folder: Path, tmp_path: Path) -> None:
    clean = run("prompts", "lint", str(folder / "ticket-triage.prompt.yml"))
    assert clean.stdout.splitlines()[0].endswith("tokens; 0 error(s), 0 warning(s), 0 info")
    assert "one request on gpt-4o-mini: " in clean.stdout

    draft = tmp_path / "draft.prompt.yml"
    draft.write_text(
        "name: Draft\nmessages:\n  - role: user\n    content: |\n"
        "      Sort {{ticket}} for {{team}} into a queue; answer with one word.\n"
        "testData:\n  - ticket: Refund\n    expected: billing\n"
    )
    failed = run("prompts", "lint", str(draft), check=1)
    assert failed.stdout.splitlines()[0] == "1:21 error variable-never-given: {{team}} has no value in any test case"
    data = json.loads(run("prompts", "lint", str(draft), "--json", check=1).stdout)
    assert set(data) == {"tokens", "tokens_estimated", "findings", "costs"}
    assert [(f["line"], f["column"], f["severity"], f["code"]) for f in data["findings"]] == [
        (1, 21, "error", "variable-never-given")
    ]
    assert data["costs"][0]["model"] == "gpt-4o-mini"

    # A saved prompt by id, and plain text from stdin.
    prompt_id = run("prompts", "import", str(draft)).stdout.strip()
    assert run("prompts", "lint", prompt_id[:12], check=1).stdout.startswith("1:21 error variable-never-given: ")
    vague = run("prompts", "lint", "-", stdin="List some risks, etc.")
    assert [line.split()[1:3] for line in vague.stdout.splitlines()[:2]] == [
        ["warning", "vague-quantity:"],
        ["warning", "vague-quantity:"],
    ]


def test_plain_text_import_still_makes_an_improvable_prompt(run, tmp_path: Path) -> None:
    notes = tmp_path / "notes.md"
    notes.write_text("Summarize the meeting in five bullets.\n")
    imported = run("prompts", "import", str(notes))
    assert "imported as v1 of prompt" in imported.stderr
