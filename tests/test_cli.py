"""Every CLI command end to end: the installed console script over real HTTP."""

from __future__ import annotations

import json
import shutil
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from conftest import TEST_KEY
from loopback import Scenario

PROMPTSTUDIO = shutil.which("promptstudio", path=str(Path(sys.executable).parent)) or "promptstudio"


def test_version_and_help_document_every_command(run) -> None:
    assert run("--version").stdout.startswith("promptstudio 0.")
    help_text = run("--help").stdout
    for command in ("send", "generate", "conversations", "prompts", "usage", "tokens", "key", "models"):
        assert command in help_text
    assert "--model" in run("send", "--help").stdout


def test_chat_generate_and_find_everything(run, endpoint, tmp_path: Path) -> None:
    endpoint.default = Scenario(reply="Who reads it?")
    sent = run("send", "--category", "marketing", "A prompt for launch emails")
    assert sent.stdout == "Who reads it?\n"
    conversation_id = sent.stderr.split()[1]
    assert run("send", "--conversation", conversation_id[:13], "-", stdin="Developers.\n").stdout == "Who reads it?\n"

    listing = json.loads(run("conversations", "list", "--json").stdout)
    assert [(c["id"], c["category"], c["title"]) for c in listing] == [
        (conversation_id, "Marketing", "A prompt for launch emails")
    ]

    endpoint.default = Scenario(reply="You write launch emails for {{product}}.")
    generated = run("generate", "--conversation", conversation_id, "--title", "Launch emails")
    assert generated.stdout == "You write launch emails for {{product}}.\n"
    prompt_id = generated.stderr.split()[2]

    assert "Launch emails" in run("prompts", "list").stdout
    assert run("prompts", "show", prompt_id).stdout == "You write launch emails for {{product}}.\n"
    exported = json.loads(run("prompts", "export", prompt_id, "--format", "json").stdout)
    assert exported["title"] == "Launch emails" and exported["content"].endswith("{{product}}.")
    out = tmp_path / "prompt.md"
    run("prompts", "export", prompt_id, "--format", "md", "-o", str(out))
    assert out.read_text().startswith("# Launch emails\n")

    usage = json.loads(run("usage", "--json").stdout)
    assert usage["plan"] == "free"
    assert usage["requests"] == {"used": 3, "limit": 50}
    assert 0 < usage["tokens"]["used"] < 10_000
    assert "requests  3 / 50" in run("usage").stdout


def test_flags_override_on_subcommands(run, endpoint) -> None:
    run("send", "--model", "loopback-small", "--plan", "pro", "hello")
    assert endpoint.requests[-1].body["model"] == "loopback-small"
    assert json.loads(run("usage", "--json", "--plan", "pro").stdout)["requests"]["limit"] == 2000


def test_tokens_prints_the_count_alone(run) -> None:
    assert run("tokens", "hello world").stdout == "2\n"
    assert run("tokens", "--model", "gpt-4", "-", stdin="hello world").stdout == "2\n"
    verbose = run("tokens", "--verbose", "--model", "mystery-model", "hello")
    assert verbose.stdout == "1\n" and "estimate" in verbose.stderr


def test_key_set_status_clear_without_keyring(run, home: Path) -> None:
    env = {"OPENAI_API_KEY": ""}
    assert "No API key set" in run("key", "status", **env).stdout
    saved = run("key", "set", stdin="sk-file-key-123456789\n", **env)
    assert "key file" in saved.stdout
    key_file = home / "api_key"
    assert key_file.stat().st_mode & 0o777 == 0o600
    status = run("key", "status", **env).stdout
    assert "key file" in status and "sk-file-key-123456789" not in status
    assert "environment variable" in run("key", "status").stdout
    run("key", "clear", **env)
    assert not key_file.exists()


def test_models_lists_the_endpoint(run) -> None:
    assert run("models").stdout.split() == ["loopback-large", "loopback-small"]


def test_errors_are_one_line_and_non_zero(run, endpoint, home: Path) -> None:
    endpoint.default = Scenario(status=401)
    failed = run("send", "hi", check=1)
    assert failed.stderr.count("\n") == 2 and "rejected the API key" in failed.stderr  # id line + error line
    assert TEST_KEY not in failed.stderr + failed.stdout

    missing = run("prompts", "show", "nope", check=1)
    assert (
        missing.stderr.strip()
        == "promptstudio: No single prompt matches 'nope'; list them with `promptstudio prompts list`."
    )
    assert run("send", "--category", "Poetry", "x", check=1).stderr.startswith("promptstudio: Unknown category")
    assert run("send", "--conversation", "a", "--new", "x", check=2).returncode == 2

    (home / "config.toml").write_text('model = "x"\nplan = 5\n')
    bad = run("usage", check=1)
    assert bad.stderr == f"promptstudio: {home / 'config.toml'}, line 2: plan must be a string, not 5\n"


def test_quota_refusal_exits_non_zero(run, home: Path) -> None:
    (home).mkdir(parents=True, exist_ok=True)
    (home / "config.toml").write_text("[plans.free]\nrequests_limit = 1\n")
    run("send", "first")
    refused = run("send", "second", check=1)
    assert "limit of 1 requests" in refused.stderr and refused.stderr.count("\n") == 2


def test_parallel_processes_never_pass_the_request_limit(run, home: Path) -> None:
    home.mkdir(parents=True, exist_ok=True)
    (home / "config.toml").write_text("[plans.free]\nrequests_limit = 3\n")
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda i: run("send", f"message {i}", check=None), range(8)))
    codes = sorted(r.returncode for r in results)
    assert codes == [0, 0, 0, 1, 1, 1, 1, 1]
    assert not any("locked" in r.stderr for r in results)
    assert json.loads(run("usage", "--json").stdout)["requests"]["used"] == 3
    listing = json.loads(run("conversations", "list", "--json").stdout)
    assert len(listing) == 8  # every message was kept, refused or not


def test_config_path_and_doctor(run, home: Path) -> None:
    paths = run("config-path").stdout
    assert f"database  {home / 'promptstudio.db'}" in paths
    assert "no database yet" in run("doctor").stdout
    run("usage")
    assert run("doctor").stdout.strip().endswith(": ok.")


def test_corrupt_database_is_never_overwritten(run, home: Path) -> None:
    home.mkdir(parents=True, exist_ok=True)
    db = home / "promptstudio.db"
    db.write_bytes(b"not a database at all" * 100)
    refused = run("usage", check=1)
    assert "not a usable Prompt Studio database" in refused.stderr and "doctor --move-aside" in refused.stderr
    assert db.read_bytes() == b"not a database at all" * 100
    run("doctor", check=1)
    moved = run("doctor", "--move-aside").stdout
    assert "Moved the unusable database to" in moved and not db.exists()
    [aside] = home.glob("promptstudio.db.unusable-*")
    assert aside.read_bytes() == b"not a database at all" * 100
    assert run("usage").returncode == 0
