"""`promptstudio prompts …` for versions: the installed CLI over real HTTP, with a fake $EDITOR."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest

from clitools import cli_env, error_line, run_in_pty
from conftest import TEST_KEY
from loopback import Scenario
from promptstudio_tui.events import PromptReady


@pytest.fixture
def prompt_id(studio, endpoint) -> str:
    """A prompt with two versions, generated and refined from a conversation.

    Made in this process (the CLI's own send and generate are tested on their own): four
    CLI starts here cost ~5 s for each of the many tests that only need the prompt."""

    async def made() -> str:
        conversation = studio.new_conversation().id
        endpoint.script(Scenario(reply="Who reads it?"))
        [_ async for _ in studio.send(conversation, "A prompt for release notes")]
        endpoint.script(Scenario(reply="Write release notes in three bullets."))
        (v1,) = [
            event.version
            for event in [e async for e in studio.generate(conversation)]
            if isinstance(event, PromptReady)
        ]
        endpoint.script(Scenario(reply="Sure."), Scenario(reply="Write release notes in five bullets."))
        [_ async for _ in studio.send(conversation, "five bullets")]
        (v2,) = [
            event.version
            for event in [e async for e in studio.generate(conversation)]
            if isinstance(event, PromptReady)
        ]
        assert (v1.number, v2.number, v2.prompt_id) == (1, 2, v1.prompt_id)
        return v1.prompt_id

    return asyncio.run(made())


def fake_editor(tmp_path: Path, body: str) -> str:
    """An editor that runs `body` (python, with `path` the file to edit) and exits."""
    script = tmp_path / "fake-editor"
    script.write_text(f"#!{sys.executable}\nimport sys\nfrom pathlib import Path\npath = Path(sys.argv[1])\n{body}\n")
    script.chmod(0o700)
    return str(script)


def test_versions_show_and_diff(run, prompt_id: str) -> None:
    lines = run("prompts", "versions", prompt_id[:13]).stdout.splitlines()
    assert [line.split()[0] for line in lines] == ["v1", "v2"]
    assert [line.split()[3:] for line in lines] == [["generated", "7", "tok"], ["refined", "7", "tok"]]

    assert run("prompts", "show", prompt_id).stdout == "Write release notes in five bullets.\n"
    assert run("prompts", "show", prompt_id, "--version", "1").stdout == "Write release notes in three bullets.\n"
    assert run("prompts", "show", prompt_id, "--version", "v2").stdout == "Write release notes in five bullets.\n"

    diff = run("prompts", "diff", prompt_id)  # not a terminal: plain, no colour
    assert diff.stdout == "Write release notes in [-three-]{+five+} bullets.\n"
    assert diff.stderr == "v1 → v2: +1 -1 words\n"
    assert run("prompts", "diff", prompt_id, "2", "1").stdout == "Write release notes in [-five-]{+three+} bullets.\n"
    same = run("prompts", "diff", prompt_id, "2", "2")
    assert same.stdout == "no changes\n" and same.returncode == 0
    assert "v2" in run("prompts", "list").stdout


def test_diff_is_coloured_only_on_a_terminal_without_no_color(home: Path, endpoint, run, prompt_id: str) -> None:
    env = cli_env(home, endpoint.base_url, TEST_KEY)
    code, received = run_in_pty(env, "prompts", "diff", prompt_id)
    assert code == 0 and b"\x1b[31mthree\x1b[0m" in received and b"\x1b[32mfive\x1b[0m" in received
    code, received = run_in_pty({**env, "NO_COLOR": "1"}, "prompts", "diff", prompt_id)
    assert code == 0 and b"\x1b[" not in received and b"[-three-]{+five+}" in received


def test_restore_makes_a_new_version_and_keeps_history(run, prompt_id: str) -> None:
    restored = run("prompts", "restore", prompt_id, "1")
    assert restored.stderr == f"restored v1 as v3 of prompt {prompt_id}\n"
    versions = run("prompts", "versions", prompt_id).stdout.splitlines()
    assert [line.split()[3] for line in versions] == ["generated", "refined", "restored"]
    assert run("prompts", "show", prompt_id).stdout == "Write release notes in three bullets.\n"
    assert run("prompts", "show", prompt_id, "--version", "2").stdout == "Write release notes in five bullets.\n"


def test_refine_streams_and_prints_the_new_version(run, endpoint, prompt_id: str) -> None:
    endpoint.script(Scenario(reply="<plan>shorten</plan>\nRelease notes, five bullets."))
    refined = run("prompts", "refine", prompt_id, "make it shorter")
    assert refined.stdout == "Release notes, five bullets.\n"
    assert refined.stderr.startswith(f"saved v3 of prompt {prompt_id} (")
    assert "make it shorter" in endpoint.requests[-1].body["messages"][-1]["content"]
    assert "Write release notes in five bullets." in endpoint.requests[-1].body["messages"][-1]["content"]


def test_edit_in_the_users_editor(run, prompt_id: str, tmp_path: Path) -> None:
    seen = tmp_path / "seen"
    editor = fake_editor(
        tmp_path,
        f"Path({str(seen)!r}).write_text(oct(path.stat().st_mode & 0o777) + ' ' + path.read_text())\n"
        "path.write_text(path.read_text().replace('five', 'seven'))",
    )
    edited = run("prompts", "edit", prompt_id, EDITOR=editor)
    assert edited.stderr.startswith(f"saved v3 of prompt {prompt_id} (edited")
    assert seen.read_text() == "0o600 Write release notes in five bullets.\n"  # the latest, in a private file
    assert run("prompts", "show", prompt_id).stdout == "Write release notes in seven bullets.\n"
    # $VISUAL wins over $EDITOR; an unchanged text makes no version.
    unchanged = run("prompts", "edit", prompt_id, VISUAL=fake_editor(tmp_path, "pass"), EDITOR="no-such-editor")
    assert unchanged.stderr == "no changes; no version made\n"
    assert len(run("prompts", "versions", prompt_id).stdout.splitlines()) == 3


@pytest.mark.parametrize(
    ("editor", "message"),
    [
        ("no-such-editor-anywhere", "The editor 'no-such-editor-anywhere' (from $EDITOR) cannot be found"),
        ("false", "The editor exited with status 1; no version was made."),
        ("", "No editor is set: set $VISUAL or $EDITOR"),
    ],
)
def test_an_editor_that_fails_makes_no_version(run, prompt_id: str, editor: str, message: str) -> None:
    failed = run("prompts", "edit", prompt_id, EDITOR=editor, VISUAL="", check=1)
    assert error_line(failed.stderr).startswith(message)
    assert len(run("prompts", "versions", prompt_id).stdout.splitlines()) == 2


def test_an_emptied_text_is_refused(run, prompt_id: str, tmp_path: Path) -> None:
    failed = run("prompts", "edit", prompt_id, EDITOR=fake_editor(tmp_path, "path.write_text('  \\n')"), check=1)
    assert error_line(failed.stderr) == "An empty prompt cannot be saved; the latest version is unchanged."
    assert len(run("prompts", "versions", prompt_id).stdout.splitlines()) == 2


def test_import_a_file_or_stdin_then_improve_it(run, endpoint, tmp_path: Path) -> None:
    source = tmp_path / "reviewer.md"
    source.write_text("---\ntitle: Code reviewer\ntags: [python]\n---\nYou review pull requests.\n")
    imported = run("prompts", "import", str(source))
    prompt = imported.stdout.strip()
    conversation = imported.stderr.split("with conversation ")[1].split()[0]
    assert run("prompts", "show", prompt).stdout == "You review pull requests.\n"
    assert run("prompts", "versions", prompt).stdout.split()[3] == "imported"
    assert "Code reviewer" in run("prompts", "list").stdout

    endpoint.script(Scenario(reply="You review Python pull requests."))
    improved = run("generate", "--conversation", conversation)
    assert improved.stdout == "You review Python pull requests.\n"
    assert "You review pull requests." in endpoint.requests[-1].body["messages"][-1]["content"]
    assert run("prompts", "diff", prompt).stdout == "You review {+Python +}pull requests.\n"

    piped = run("prompts", "import", "-", stdin="Summarise {{text}}.\n").stdout.strip()
    assert run("prompts", "show", piped).stdout == "Summarise {{text}}.\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("prompts", "show", "{id}", "--version", "7"), "Prompt {id} has no version 7 (it has 1–2)."),
        (("prompts", "diff", "{id}", "1", "9"), "Prompt {id} has no version 9 (it has 1–2)."),
        (("prompts", "restore", "{id}", "0"), "Prompt {id} has no version 0 (it has 1–2)."),
        (("prompts", "restore", "{id}", "two"), "A version is a number such as 2 or v2, not 'two'."),
        (("prompts", "restore", "{id}", "2"), "v2 has the same text as the latest version, v2: nothing to restore."),
        (("prompts", "refine", "{id}", " "), "Say what should change, e.g. “make it shorter”."),
        (
            ("prompts", "versions", "nope"),
            "No single prompt matches 'nope'; list them with `promptstudio prompts list`.",
        ),
    ],
)
def test_bad_input_is_one_line_and_non_zero(run, prompt_id: str, args: tuple[str, ...], message: str) -> None:
    failed = run(*[a.format(id=prompt_id) for a in args], check=1)
    assert error_line(failed.stderr) == message.format(id=prompt_id)
    assert failed.stdout == ""


def test_diff_of_a_single_version_and_bad_imports(run, tmp_path: Path, home: Path) -> None:
    prompt = run("prompts", "import", "-", stdin="Only one version.").stdout.strip()
    failed = run("prompts", "diff", prompt, check=1)
    assert error_line(failed.stderr) == f"Prompt {prompt} has only one version: there is nothing to compare yet."

    assert (
        error_line(run("prompts", "import", "-", stdin=" \n", check=1).stderr) == "There is no prompt text to import."
    )
    binary = tmp_path / "image.png"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\xff\xfe")
    assert "is not UTF-8 text" in error_line(run("prompts", "import", str(binary), check=1).stderr)
    missing = run("prompts", "import", str(tmp_path / "missing.md"), check=1)
    assert error_line(missing.stderr).startswith("No such file or directory")
    (home / "config.toml").write_text("context_window = 4000\n")
    (home / "config.toml").chmod(0o600)
    big = error_line(run("prompts", "import", "-", stdin="word " * 3000, check=1).stderr)
    assert big.startswith("The prompt is 3,000 tokens:") and "window of 4,000 tokens (set in config.toml)" in big


def test_the_file_being_edited_is_private(run, prompt_id: str, tmp_path: Path) -> None:
    editor = fake_editor(tmp_path, "print(oct(path.parent.stat().st_mode & 0o777), oct(path.stat().st_mode & 0o777))")
    assert run("prompts", "edit", prompt_id, EDITOR=editor).stdout.split() == ["0o700", "0o600"]
