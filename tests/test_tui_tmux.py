"""The installed `promptstudio` in a real terminal (tmux) against the loopback endpoint.

Types a message, sends it with Enter, waits for the reply, presses ctrl+g, sees
the prompt, quits, starts again and finds the conversation and the prompt.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import TEST_KEY
from loopback import Scenario

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="needs tmux")

PROMPTSTUDIO = Path(sys.executable).with_name("promptstudio")


class Terminal:
    """One tmux server of our own (-L), so no other session is ever touched."""

    def __init__(self, command: list[str]) -> None:
        self.socket = f"promptstudio-test-{os.getpid()}"
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


def test_chat_generate_quit_and_find_it_all_again(terminal, endpoint):
    terminal.start()
    terminal.wait_for("Welcome to Prompt Studio")
    terminal.keys("I need a prompt for release notes", "Enter")
    terminal.wait_for("You asked about: I need a prompt for release notes.")  # the reply

    endpoint.script(Scenario(reply="You write release notes for engineers."))
    terminal.keys("C-g")
    terminal.wait_for("You write release notes for engineers.")
    terminal.keys("C-q")
    terminal.wait_for("EXITED 0")

    terminal.start()
    terminal.wait_for("I need a prompt for release")  # in the conversation list
    terminal.keys("C-l")  # the pane was open: this hides it ...
    terminal.keys("C-l")  # ... and this shows it again with the list focused
    terminal.wait_for("r Rename")  # the footer shows the list's keys
    terminal.keys("Enter")
    terminal.wait_for("You write release notes for engineers.")  # its prompt, on the right
    terminal.keys("C-q")
    terminal.wait_for("EXITED 0")
