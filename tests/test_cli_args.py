"""What the CLI does with its arguments and with a stop signal, before and while it works.

Two paths that once fell outside its own error handling:

- `promptstudio models` stopped (ctrl+c, SIGTERM, SIGHUP) while the endpoint never answers
  its GET /models: exits as `send` does, with its one line, the request closed.
- Argument bytes that are not UTF-8 (they reach Python as lone surrogates): text arguments
  are refused in one line before anything is stored or sent; file and folder paths are
  paths, and work wherever the command only opens or writes the file.

The installed `promptstudio` runs as a real process against the loopback endpoint.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import time
from pathlib import Path

import pytest

from clitools import cli_env, error_line, query, run_cli, start_cli
from conftest import TEST_KEY
from loopback import LoopbackServer

NOT_UTF8 = os.fsdecode(b"caf\xe9 \xff\xfe")  # as Linux hands Python such argument bytes: lone surrogates
REFUSAL = "The text given is not UTF-8 text ({}); convert it first (e.g. `iconv -t UTF-8`). Nothing was saved."
# A desktop's UTF-8 locale (en_US.UTF-8) gives stdout strict errors; C.UTF-8 would hide a raw surrogate.
STRICT_STDOUT = {"PYTHONIOENCODING": "utf-8:strict"}


# ---- models, stopped


def _models_requests(endpoint: LoopbackServer) -> list:
    return [r for r in endpoint.requests if r.path.rstrip("/").endswith("/models")]


@pytest.mark.parametrize(
    ("signum", "line"),
    [(signal.SIGINT, "interrupted"), (signal.SIGTERM, "stopped by SIGTERM"), (signal.SIGHUP, "stopped by SIGHUP")],
    ids=["ctrl+c", "SIGTERM", "SIGHUP"],
)
def test_models_stopped_while_the_endpoint_never_answers(
    signum: int, line: str, home: Path, endpoint: LoopbackServer
) -> None:
    endpoint.metadata_hang = True  # GET /v1/models is read and never answered
    proc = start_cli(cli_env(home, endpoint.base_url, TEST_KEY), "models", text=True)
    try:
        deadline = time.monotonic() + 30  # a hang detector, not a speed bound
        while not _models_requests(endpoint):
            assert time.monotonic() < deadline and proc.poll() is None, "the request never reached the server"
            time.sleep(0.02)
        proc.send_signal(signum)
        out, err = proc.communicate(timeout=30)  # only the signal can end it: the server never answers
    finally:
        proc.kill()
    assert proc.returncode == (130 if signum == signal.SIGINT else 128 + signum)
    assert error_line(err) == line
    assert out == ""
    assert _models_requests(endpoint)[0].disconnected.wait(5)


# ---- text arguments that are not UTF-8


def _snapshot(db: Path) -> list[str]:
    """Every row of the database, as SQL (read without taking part in the CLI's writes)."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)
    try:
        return list(conn.iterdump())
    finally:
        conn.close()


@pytest.fixture
def stored(studio) -> dict[str, str]:
    """A conversation and a prompt with a {{thing}}, made in this process (the CLI's own send
    and import are tested elsewhere; two CLI starts per case would double this module's time)."""
    prompt = studio.import_prompt("Write about {{thing}}.", title="About a thing")
    return {"conversation": studio.new_conversation().id, "prompt": prompt.id}


# (the arguments, with {conversation} / {prompt} filled in; how the refusal names the argument)
TEXT_ARGUMENTS = {
    "send TEXT": (["send", NOT_UTF8], "TEXT"),
    "send --category": (["send", "--category", NOT_UTF8, "hello"], "--category"),
    "send --model": (["send", "--model", NOT_UTF8, "hello"], "--model"),
    "--base-url before the command": (["--base-url", "http://127.0.0.1:9/" + NOT_UTF8, "send", "hello"], "--base-url"),
    "send --conversation": (["send", "--conversation", NOT_UTF8, "hello"], "--conversation"),
    "generate --title": (["generate", "--conversation", "{conversation}", "--title", NOT_UTF8], "--title"),
    "conversations list --search": (["conversations", "list", "--search", NOT_UTF8], "--search"),
    "conversations show ID": (["conversations", "show", NOT_UTF8], "ID"),
    "prompts list --search": (["prompts", "list", "--search", "notes", NOT_UTF8], "--search"),
    "prompts list --tag": (["prompts", "list", "--tag", NOT_UTF8], "--tag"),
    "prompts refine INSTRUCTION": (["prompts", "refine", "{prompt}", NOT_UTF8], "INSTRUCTION"),
    "prompts case-add --var": (["prompts", "case-add", "{prompt}", "--var", "thing=" + NOT_UTF8], "--var"),
    "prompts case-add --name": (["prompts", "case-add", "{prompt}", "--var", "thing=x", "--name", NOT_UTF8], "--name"),
    "prompts run --var": (["prompts", "run", "{prompt}", "--var", "thing=" + NOT_UTF8], "--var"),
    "prompts compare --model": (["prompts", "compare", "{prompt}", "--model", NOT_UTF8, "--model", "b"], "--model"),
}


@pytest.mark.parametrize("case", TEXT_ARGUMENTS)
def test_a_text_argument_that_is_not_utf8_is_refused_before_anything_is_stored_or_sent(
    case: str, stored: dict[str, str], home: Path, endpoint: LoopbackServer
) -> None:
    arguments, label = TEXT_ARGUMENTS[case]
    db = home / "promptstudio.db"
    before, requests = _snapshot(db), len(endpoint.requests)

    result = run_cli(cli_env(home, endpoint.base_url, TEST_KEY), *(a.format(**stored) for a in arguments))

    assert result.returncode == 1
    assert error_line(result.stderr) == REFUSAL.format(label)
    assert result.stdout == ""
    assert _snapshot(db) == before  # no conversation, message, version, case or run
    assert len(endpoint.requests) == requests  # nothing sent


# ---- paths that are not UTF-8


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A folder whose name is not UTF-8: everything under it has such a path."""
    made = tmp_path / os.fsdecode(b"d\xe9p\xf4t")
    made.mkdir()
    return made


def test_export_to_and_import_from_a_path_that_is_not_utf8(run, folder: Path, home: Path) -> None:
    prompt = run("prompts", "import", "-", stdin="Write about {{thing}}.").stdout.strip()

    md = folder / os.fsdecode(b"r\xe9sum\xe9.md")
    exported = run("prompts", "export", prompt, "-o", str(md), **STRICT_STDOUT)
    assert md.read_text() == run("prompts", "export", prompt).stdout
    assert exported.stderr == f"exported to {os.fsencode(md).decode('utf-8', 'backslashreplace')}\n"

    [(conversation,)] = query(home / "promptstudio.db", "SELECT conversation_id FROM prompts")
    conversation_json = folder / os.fsdecode(b"c\xe9.json")
    run("conversations", "export", conversation, "--format", "json", "-o", str(conversation_json), **STRICT_STDOUT)
    assert json.loads(conversation_json.read_text())["id"] == conversation

    text = folder / os.fsdecode(b"not\xe9s.txt")
    text.write_text("Summarise the notes in three bullets.")
    imported = run("prompts", "import", str(text), **STRICT_STDOUT).stdout.strip()
    # The text is the file's; the title is its name, with the byte that is not UTF-8 as U+FFFD.
    assert run("prompts", "show", imported).stdout == "Summarise the notes in three bullets.\n"
    assert query(home / "promptstudio.db", "SELECT title FROM prompts WHERE id = ?", (imported,)) == [("not\ufffds",)]

    values = folder / os.fsdecode(b"v\xe9.json")
    values.write_text('{"thing": "tea"}')
    assert run("prompts", "render", prompt, "--vars", str(values), **STRICT_STDOUT).stdout == "Write about tea.\n"

    linted = run("prompts", "lint", str(text), **STRICT_STDOUT)
    assert "tokens;" in linted.stdout
    missing = run("prompts", "lint", str(folder / "gone.txt"), check=1)  # no prompt id is anything but UTF-8
    assert error_line(missing.stderr).startswith("Could not read ")


def test_prompt_files_in_a_folder_that_is_not_utf8_round_trip(run, folder: Path, home: Path) -> None:
    run("prompts", "import", "-", stdin="Write about {{thing}}.")
    written = run("prompts", "export-all", str(folder), **STRICT_STDOUT).stdout
    [file] = [p for p in folder.iterdir() if p.name.endswith(".prompt.yml")]
    assert written.startswith(f"wrote     {os.fsencode(file).decode('utf-8', 'backslashreplace')}  ")

    again = run("prompts", "import", str(file), **STRICT_STDOUT)  # the file alone: known again by its name
    assert "unchanged: prompt" in again.stderr
    assert query(home / "promptstudio.db", "SELECT count(*) FROM prompts") == [(1,)]


def test_a_prompt_file_whose_own_name_is_not_utf8_is_refused_before_anything_is_written(
    run, folder: Path, tmp_path: Path, home: Path
) -> None:
    """A .prompt.yml is known again by its file name, which the studio records: it must be UTF-8."""
    prompt = run("prompts", "import", "-", stdin="Write about {{thing}}.").stdout.strip()
    db = home / "promptstudio.db"
    before = _snapshot(db)

    target = tmp_path / os.fsdecode(b"caf\xe9.prompt.yml")
    refused = run("prompts", "export", prompt, "--format", "prompt-yml", "-o", str(target), check=1)
    assert error_line(refused.stderr).endswith(
        "caf\\xe9.prompt.yml: a .prompt.yml is known by its file name, which is not UTF-8; rename the file."
        " Nothing was saved."
    )
    assert not target.exists()
    assert _snapshot(db) == before

    good = tmp_path / "good.prompt.yml"
    run("prompts", "export", prompt, "--format", "prompt-yml", "-o", str(good))
    before = _snapshot(db)
    good.rename(target)
    refused = run("prompts", "import", str(target), check=1)
    assert "a .prompt.yml is known by its file name, which is not UTF-8" in error_line(refused.stderr)
    assert _snapshot(db) == before


def test_a_folder_import_reports_a_file_whose_name_is_not_utf8_and_imports_the_others(
    run, folder: Path, tmp_path: Path, home: Path
) -> None:
    run("prompts", "import", "-", stdin="Write about {{thing}}.")
    source = tmp_path / "files"
    run("prompts", "export-all", str(source))
    [exported] = list(source.iterdir())
    text = exported.read_text(encoding="utf-8")
    for name in (b"a.prompt.yml", b"b\xe9.prompt.yml", b"c.prompt.yml"):  # in name order: the bad one between
        (folder / os.fsdecode(name)).write_text(text, encoding="utf-8")

    done = run("prompts", "import", str(folder), check=1, **STRICT_STDOUT)
    assert "b\\xe9.prompt.yml: a .prompt.yml is known by its file name, which is not UTF-8" in done.stderr
    assert "Traceback" not in done.stderr and "codec" not in done.stderr
    # Each new file name is a new prompt: a and c beside the first; the file after the refused one too.
    assert query(home / "promptstudio.db", "SELECT count(*) FROM prompts") == [(3,)]
