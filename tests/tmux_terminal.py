"""A real terminal for the TUI: the installed `promptstudio` in tmux, on a private tmux server.

Shared by the tmux tests (test_tui_tmux.py, test_tui_terminal_faults.py): start the app,
type into it, read the screen, capture every byte it writes (pipe-pane), find its pid.
"""

from __future__ import annotations

import itertools
import os
import shlex
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import TEST_KEY

PROMPTSTUDIO = Path(sys.executable).with_name("promptstudio")


_SERVERS = itertools.count(1)


class Terminal:
    """One tmux server of our own (-L), so no other session is ever touched."""

    def __init__(self, command: list[str]) -> None:
        # A socket per terminal, not per worker: the previous test's server may still be
        # exiting, and a session started on its socket then fails ("server exited unexpectedly").
        self.socket = f"promptstudio-test-{os.getpid()}-{next(_SERVERS)}"
        self.command = shlex.join(command) + "; echo EXITED $?; sleep 60"
        self.runs = 0

    def tmux(self, *args: str) -> str:
        return subprocess.run(["tmux", "-L", self.socket, *args], check=True, capture_output=True, text=True).stdout

    @property
    def session(self) -> str:
        return f"studio{self.runs}"

    def start(self) -> None:
        """A new session per run, on the same server (restarting a server can race)."""
        self.runs += 1
        self.tmux("new-session", "-d", "-s", self.session, "-x", "160", "-y", "48", self.command)

    def keys(self, *keys: str) -> None:
        self.tmux("send-keys", "-t", self.session, *keys)

    def text(self) -> str:
        return self.tmux("capture-pane", "-p", "-t", self.session)

    def wait_for(self, text: str, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.text():
            if time.monotonic() > deadline:
                raise AssertionError(f"{text!r} never appeared; the screen shows:\n{self.text()}")
            time.sleep(0.1)

    def record(self, path: Path) -> None:
        """Append every byte the program writes to the terminal to `path` (tmux pipe-pane)."""
        self.tmux("pipe-pane", "-o", "-t", self.session, f"cat >> {shlex.quote(str(path))}")

    def app_pid(self) -> int:
        """The pid of the program in the pane (the shell's child: env execs promptstudio)."""
        shell = int(self.tmux("display-message", "-p", "-t", self.session, "#{pane_pid}"))
        [child] = Path(f"/proc/{shell}/task/{shell}/children").read_text().split()
        return int(child)

    def stop(self) -> None:
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], capture_output=True)


@pytest.fixture
def terminal(endpoint, home):
    command = [
        "env",
        "-u",  # pytest's own width would override the terminal's
        "COLUMNS",
        "-u",
        "LINES",
        f"PROMPTSTUDIO_HOME={home}",
        f"OPENAI_API_KEY={TEST_KEY}",
        f"OPENAI_BASE_URL={endpoint.base_url}",
        "TERM=xterm-256color",
        str(PROMPTSTUDIO),
    ]
    term = Terminal(command)
    yield term
    term.stop()
