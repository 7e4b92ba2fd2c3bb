"""The TUI in a real terminal on a shared box: the API key never reaches the screen, and the
process talks to nothing but the configured endpoint.

The key is typed into Settings (masked), saved to the 0600 key file (no keyring here),
used for a chat and a prompt, echoed back by the endpoint in an error, and shown masked
when Settings opens again. Every byte the app wrote to the terminal (tmux pipe-pane),
each screen on the way, and every file it wrote are searched for the key; an audit hook
logs and refuses every connection but the endpoint's.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from clitools import cli_env
from loopback import LoopbackServer, Scenario
from netaudit import NetAudit
from test_privacy import KEY, assert_no_key_in_files
from tmux_terminal import PROMPTSTUDIO, Terminal

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="needs tmux")

ESCAPE_SEQUENCE = re.compile(r"\x1b(\[[0-9;:<=>?]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)|[()][0-9A-B]|[=>78M])")
# Any ten characters of the key past the three a mask may show: a partial leak counts too.
KEY_PIECES = [KEY[i : i + 10] for i in range(3, len(KEY) - 10 + 1)]


def leaked(text: str) -> list[str]:
    return [piece for piece in KEY_PIECES if piece in text]


def test_the_key_never_reaches_the_terminal_and_only_the_endpoint_is_contacted(
    tmp_path: Path, home: Path, endpoint: LoopbackServer
) -> None:
    endpoint.api_key = KEY  # the server insists on it: the typed key is really the one used
    audit = NetAudit(tmp_path, endpoint)
    env = cli_env(home, endpoint.base_url, None, TERM="xterm-256color", **audit.env)
    env = {k: v for k, v in env.items() if k not in ("COLUMNS", "LINES")}
    terminal = Terminal(
        ["env", "-i", *(f"{k}={v}" for k, v in env.items()), str(PROMPTSTUDIO), "--model", "gpt-4o-mini"]
    )
    recording = tmp_path / "terminal.bytes"
    screens: list[str] = []

    def seen(text: str, timeout: float = 30.0) -> None:
        terminal.wait_for(text, timeout)
        screens.append(terminal.text())

    try:
        terminal.start()
        terminal.record(recording)
        seen("Welcome to Prompt Studio")
        terminal.keys("F2")
        seen("paste a new key to replace it")
        # Typed ahead in one burst: Tab moves focus before the keys after it arrive.
        terminal.keys("Tab", "Tab", "Tab", KEY)  # endpoint → model → List models → the key field
        seen("•" * len(KEY))  # masked as it is typed
        terminal.keys("Enter")
        seen("API key stored in the key file")

        endpoint.default = Scenario(reply="Who reads the release notes?")
        terminal.keys("-l", "A prompt for release notes")
        terminal.keys("Enter")
        seen("Who reads the release notes?")
        endpoint.default = Scenario(reply="You write release notes for developers.")
        terminal.keys("C-g")
        seen("You write release notes for developers.")

        # Some proxies echo the key in their error text, which the chat shows.
        endpoint.script(Scenario(status=400, error_message=f"Invalid key {KEY} for this model."))
        terminal.keys("-l", "once more")
        terminal.keys("Enter")
        seen("*** for this model")  # masked, not dropped (the line may wrap before it)

        for key, marker in (
            ("F3", "Usage in"),
            ("F1", "PgUp/PgDn scroll"),
            ("F2", f"Current key {KEY[:3]}…{KEY[-4:]}"),
        ):
            terminal.keys(key)
            seen(marker)
            terminal.keys("Escape")
        terminal.keys("C-q")
        terminal.wait_for("EXITED 0")
    finally:
        terminal.stop()

    written = recording.read_bytes().decode("utf-8", "replace")
    assert "Who reads the release notes?" in written  # the recording did capture the session
    assert leaked(written) == [] and leaked(ESCAPE_SEQUENCE.sub("", written)) == []
    for shown in screens:
        assert leaked(shown) == [], shown
    assert_no_key_in_files(home, except_key_file=True)
    assert (home / "api_key").read_text().strip() == KEY
    audit.assert_only_the_endpoint()
