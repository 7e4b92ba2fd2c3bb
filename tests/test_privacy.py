"""Secrets and privacy on a shared box.

- The API key never appears in any file the app writes (database, WAL, exports, config)
  nor in anything any command prints, errors included.
- Data and config folders are 0700 and their files 0600, even under umask 000; looser
  ones are tightened on start, with a notice naming them.
- No network traffic except to the configured endpoint: CLI processes run with an audit
  hook that logs every resolve/connect and refuses anything else.
"""

from __future__ import annotations

import io
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from clitools import cli_env, error_line, run_cli
from loopback import LoopbackServer, Scenario
from netaudit import NetAudit
from promptstudio_tui import cli, credentials
from promptstudio_tui.studio import Studio

# Distinctive, and deliberately not "sk-"-shaped: only exact scrubbing can hide it.
KEY = "ZQX-privacy-canary-5c1e9b7d3f2a8064"
KEY_CORE = KEY[4:-4]  # catches partial leaks too (mask() shows at most 3 + 4 characters)


def walk_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


def assert_no_key_in_files(root: Path, *, except_key_file: bool = False) -> set[str]:
    checked = set()
    for path in walk_files(root):
        if except_key_file and path.name == credentials.KEY_FILE:
            continue  # the fallback key file is the one place the key is meant to be (0600)
        data = path.read_bytes()
        assert KEY.encode() not in data and KEY_CORE.encode() not in data, f"the API key leaked into {path}"
        checked.add(str(path.relative_to(root)))
    return checked


@pytest.fixture
def run_main(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], no_keyring):
    """cli.main in this process (fast); every output is checked for the key."""
    outputs: list[str] = []

    def invoke(*argv: str, stdin: str | None = None, code: int = 0) -> tuple[str, str]:
        if stdin is not None:
            monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        assert cli.main(list(argv)) == code, capsys.readouterr()
        out, err = capsys.readouterr()
        assert KEY not in out + err and KEY_CORE not in out + err, f"{argv} printed the key"
        assert "Traceback" not in err
        outputs.append(out + err)
        return out, err

    invoke.outputs = outputs  # type: ignore[attr-defined]
    return invoke


def test_the_key_never_reaches_files_or_output(
    run_main, home: Path, endpoint: LoopbackServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    endpoint.api_key = KEY  # the server insists on the key: proves it was really sent
    monkeypatch.setenv("OPENAI_BASE_URL", endpoint.base_url)
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    exports = home / "exports"

    endpoint.default = Scenario(reply="Who is it for?")
    _, err = run_main("send", "A prompt for release notes")
    conversation = err.split()[1]
    endpoint.default = Scenario(reply="You write release notes.")
    _, err = run_main("generate", "--conversation", conversation, "--title", "Release notes")
    prompt = err.split()[2]
    # Servers that echo the key back in their errors (some proxies do).
    endpoint.script(
        Scenario(status=400, error_message=f"Invalid key {KEY} for this model."),
        Scenario(status=422, error_message=f"key={KEY}"),
        Scenario(status=401, error_message=f"Incorrect API key provided: {KEY}"),
        Scenario(reply="Half a rep", cut_off_after_chars=5),
    )
    for _ in range(4):
        _, err = run_main("send", "--conversation", conversation, "again", code=1)
    assert "***" in " ".join(run_main.outputs[-4:-2])  # the echoed key was masked, not dropped silently

    exports.mkdir()
    for command in (
        ("conversations", "list"),
        ("conversations", "list", "--json"),
        ("prompts", "list"),
        ("prompts", "list", "--json"),
        ("prompts", "show", prompt),
        ("prompts", "export", prompt, "--format", "json"),
        ("prompts", "export", prompt, "--format", "md", "-o", str(exports / "p.md")),
        ("prompts", "export", prompt, "--format", "json", "-o", str(exports / "p.json")),
        ("usage",),
        ("usage", "--json"),
        ("tokens", "hello"),
        ("models",),
        ("key", "status"),
        ("config-path",),
        ("doctor",),
    ):
        run_main(*command)
    endpoint.api_key = "a-different-key"
    run_main("models", code=1)  # 401 on /models

    # The key in the fallback key file instead of the environment.
    monkeypatch.delenv("OPENAI_API_KEY")
    endpoint.api_key = KEY
    run_main("key", "set", stdin=KEY + "\n")
    assert stat.S_IMODE((home / credentials.KEY_FILE).stat().st_mode) == 0o600
    out, _ = run_main("key", "status")
    assert "key file" in out
    endpoint.default = Scenario(reply="From the key file.")
    assert run_main("send", "--conversation", conversation, "once more")[0] == "From the key file.\n"
    assert endpoint.requests[-1].headers["authorization"] == f"Bearer {KEY}"

    checked = assert_no_key_in_files(home, except_key_file=True)
    assert {"promptstudio.db", "exports/p.md", "exports/p.json"} <= checked  # (+ WAL and config when present)
    assert {p.name for p in walk_files(exports)} == {"p.md", "p.json"}
    run_main("key", "clear")
    assert_no_key_in_files(home)


async def test_stored_error_text_never_holds_the_key(studio: Studio, endpoint: LoopbackServer, monkeypatch) -> None:
    """Error sentences are stored with the reply (and shown in the TUI): scrubbed before storing."""
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    endpoint.default = Scenario(status=400, error_message=f"bad key {KEY}")
    conv = studio.new_conversation()
    done = [e async for e in studio.send(conv.id, "hi")][-1]
    assert done.message.state == "error" and "***" in done.message.error and KEY not in done.message.error
    studio.close()
    assert_no_key_in_files(studio.paths.data_dir)


def _modes(root: Path) -> dict[str, int]:
    return {str(p.relative_to(root)) or ".": stat.S_IMODE(p.stat().st_mode) for p in [root, *root.rglob("*")]}


async def test_everything_written_is_private_even_under_umask_000(
    home: Path, endpoint: LoopbackServer, monkeypatch: pytest.MonkeyPatch, no_keyring
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    old = os.umask(0)
    try:
        studio = Studio.open({"base_url": endpoint.base_url})
        conv = studio.new_conversation()
        [e async for e in studio.send(conv.id, "hello")]
        studio.update_settings(model="loopback-small")  # writes config.toml
        credentials.store("another-key-for-the-file", studio.paths.config_dir)  # no keyring: the 0600 file
        written = _modes(home)
        studio.close()
    finally:
        os.umask(old)
    names = set(written)
    assert {"promptstudio.db", "promptstudio.db-wal", "promptstudio.db-shm", "config.toml", "api_key", "cache"} <= names
    loose = {name: f"{mode:o}" for name, mode in written.items() if mode & 0o077}
    assert loose == {}, f"readable by others: {loose}"
    assert all(mode == 0o700 for name, mode in written.items() if (home / name).is_dir())
    assert all(mode == 0o600 for name, mode in written.items() if (home / name).is_file())


async def test_loosened_permissions_are_tightened_on_start_with_a_notice(
    home: Path, endpoint: LoopbackServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    studio = Studio.open({"base_url": endpoint.base_url})
    [e async for e in studio.send(studio.new_conversation().id, "hello")]
    await studio.aclose()
    env = cli_env(home, endpoint.base_url, KEY)
    (home / "config.toml").write_text("timeout = 30\n")
    (home / "api_key").write_text("file-key-0123456789\n")
    loosened = {
        home: 0o755,
        home / "cache": 0o777,
        home / "promptstudio.db": 0o644,
        home / "config.toml": 0o666,
        home / "api_key": 0o644,
    }
    for path, mode in loosened.items():
        path.chmod(mode)
    started = run_cli(env, "usage")
    assert started.returncode == 0, started.stderr
    notices = [line for line in started.stderr.splitlines() if line.startswith("promptstudio: Permissions tightened: ")]
    for path, mode in loosened.items():
        assert any(f" {path} was readable by other users ({mode:o}); now " in line for line in notices), (path, notices)
        want = 0o700 if path.is_dir() else 0o600
        assert stat.S_IMODE(path.stat().st_mode) == want, path
    assert run_cli(env, "usage").stderr == ""  # tightened once, quiet afterwards


# -- the folders on a shared box: created private, owned by the user, not swapped ----------------


def default_layout_env(user_home: Path) -> dict[str, str]:
    """The CLI with the platform's default folders (~/.config, ~/.local/share, ~/.cache) under `user_home`."""
    env = {k: v for k, v in cli_env(user_home, None, None).items() if not k.startswith(("XDG_", "PROMPTSTUDIO"))}
    env["HOME"] = str(user_home)
    return env


DEFAULT_LEVELS = (".config", ".config/promptstudio", ".local", ".local/share", ".local/share/promptstudio")


def test_default_folders_are_made_private_level_by_level_under_umask_000(tmp_path: Path) -> None:
    user_home = tmp_path / "alice"
    user_home.mkdir(mode=0o700)
    env = default_layout_env(user_home)
    started = run_cli(env, "conversations", "list", umask=0)
    assert started.returncode == 0, started.stderr
    saved = run_cli(env, "key", "set", stdin="file-key-0123456789\n", umask=0)  # no keyring: the key file
    assert saved.returncode == 0, saved.stderr
    modes = {level: stat.S_IMODE((user_home / level).stat().st_mode) for level in (*DEFAULT_LEVELS, ".cache")}
    assert modes == dict.fromkeys(modes, 0o700), {k: f"{v:o}" for k, v in modes.items()}
    for file in (".local/share/promptstudio/promptstudio.db", ".config/promptstudio/api_key"):
        assert stat.S_IMODE((user_home / file).stat().st_mode) == 0o600, file
    loose = [str(p) for p in user_home.rglob("*") if stat.S_IMODE(p.stat().st_mode) & 0o077]
    assert loose == []


def test_a_data_folder_gone_since_the_last_start_is_refused_until_the_user_says_so(tmp_path: Path) -> None:
    user_home = tmp_path / "alice"
    user_home.mkdir(mode=0o700)
    env = default_layout_env(user_home)
    data = user_home / ".local/share/promptstudio"
    assert run_cli(env, "prompts", "import", "-", stdin="# My notes\nSummarise the week.\n").returncode == 0
    data.rename(user_home / "moved-away")  # as another user could, were ~/.local/share theirs to write
    for _ in range(2):  # refused every time, not just once
        refused = run_cli(env, "conversations", "list")
        assert refused.returncode == 1
        assert error_line(refused.stderr) == (
            f"The data folder {data} is gone, though Prompt Studio used it last time (moved, deleted, or on a"
            " disk that is not mounted?); put it back, or run once with PROMPTSTUDIO_NEW_DATA=1 to start with"
            " empty data."
        )
        assert not data.exists()
    (user_home / "moved-away").rename(data)  # put back: everything is there
    assert "My notes" in run_cli(env, "prompts", "list").stdout
    shutil.rmtree(data)
    assert run_cli(env, "conversations", "list").returncode == 1
    fresh = run_cli({**env, "PROMPTSTUDIO_NEW_DATA": "1"}, "conversations", "list")
    assert fresh.returncode == 0 and fresh.stdout == "", fresh.stderr
    assert run_cli(env, "conversations", "list").returncode == 0  # the new folder is the one remembered now


async def test_the_tui_names_a_vanished_data_folder_on_its_start_screen(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from textual.widgets import Static

    from promptstudio_tui.app import PromptStudioApp
    from promptstudio_tui.screens.startup import StartupErrorScreen

    user_home = tmp_path / "alice"
    user_home.mkdir(mode=0o700)
    assert run_cli(default_layout_env(user_home), "conversations", "list").returncode == 0
    shutil.rmtree(user_home / ".local/share/promptstudio")
    monkeypatch.delenv("PROMPTSTUDIO_HOME")
    for name in ("XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(user_home))
    app = PromptStudioApp()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, StartupErrorScreen)
        text = str(app.screen.query_one("#startup-error", Static).render())
        assert "promptstudio is gone" in text and "PROMPTSTUDIO_NEW_DATA=1" in text and "Traceback" not in text
        await pilot.press("q")
    assert not (user_home / ".local/share/promptstudio").exists()


@pytest.mark.parametrize("whose", ["the data folder", "a folder above it"])
def test_a_folder_of_another_user_is_refused(tmp_path: Path, whose: str) -> None:
    if os.geteuid() != 0:
        pytest.skip("giving a folder to another user needs root")
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o755)
    root = shared / "studio"
    root.mkdir(mode=0o700)
    other = root if whose == "the data folder" else shared
    os.chown(other, 65534, 65534)
    refused = run_cli(cli_env(root, None, None), "conversations", "list")
    assert refused.returncode == 1
    line = error_line(refused.stderr)
    assert line.startswith(f"{other} belongs to another user (uid 65534), who could ") and "PROMPTSTUDIO_HOME" in line
    assert list(root.iterdir()) == []  # nothing created in it


def test_a_folder_above_that_anyone_may_change_is_tightened_unless_sticky(tmp_path: Path) -> None:
    open_to_all = tmp_path / "open"
    open_to_all.mkdir()
    open_to_all.chmod(0o777)
    sticky = tmp_path / "sticky"
    sticky.mkdir()
    sticky.chmod(0o1777)  # as /tmp: others cannot move what is ours
    for parent in (open_to_all, sticky):
        started = run_cli(cli_env(parent / "studio", None, None), "conversations", "list")
        assert started.returncode == 0, started.stderr
        if parent is open_to_all:
            assert started.stderr == (
                f"promptstudio: Permissions tightened: {open_to_all} could be changed by other users (777); now 755\n"
            )
        else:
            assert started.stderr == ""
    assert stat.S_IMODE(open_to_all.stat().st_mode) == 0o755
    assert stat.S_IMODE(sticky.stat().st_mode) == 0o1777


# -- no network traffic except the configured endpoint -----------------------------------------


def test_no_network_traffic_except_the_configured_endpoint(
    tmp_path: Path, home: Path, endpoint: LoopbackServer
) -> None:
    audit = NetAudit(tmp_path, endpoint)
    env = cli_env(home, endpoint.base_url, KEY, **audit.env)

    endpoint.default = Scenario(reply="Who reads it?")
    sent = run_cli(env, "send", "A prompt for changelogs")
    assert sent.returncode == 0, sent.stderr
    conversation = sent.stderr.split()[1]
    for args in (
        ("generate", "--conversation", conversation),
        ("tokens", "--model", "gpt-4", "cold cl100k cache"),  # send and generate built o200k cold
        ("models",),
        ("key", "status"),
    ):
        result = run_cli(env, *args)
        assert result.returncode == 0, (args, result.stderr)
        assert "refused" not in result.stderr
    audit.assert_only_the_endpoint()

    # The harness itself: a lookup of any other host is logged and refused.
    probe = subprocess.run(
        [sys.executable, "-c", "import socket; socket.getaddrinfo('telemetry.example.com', 443)"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert probe.returncode == 1 and "network access to ['telemetry.example.com', 443] refused" in probe.stderr
    assert audit.events()[-1] == ["socket.getaddrinfo", ["telemetry.example.com", 443]]
