"""The installed `promptstudio` in a real terminal (tmux): quit with a draft typed, start
again, and the conversation and the draft are back as they were left."""

from __future__ import annotations

import json
import os
import shutil
import signal
from pathlib import Path

import pytest

from clitools import poll_until, query

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="needs tmux")


def test_a_restart_brings_back_the_open_conversation_and_its_draft(terminal, endpoint):
    terminal.start()
    terminal.wait_for("Welcome to Prompt Studio")
    terminal.keys("I need a prompt for release notes", "Enter")
    terminal.wait_for("You asked about: I need a prompt for release notes.")  # the reply
    # Typed and quit in one burst, as a user who types and leaves at once.
    terminal.keys("For engineers, not yet sent", "C-q")
    terminal.wait_for("EXITED 0")

    terminal.start()
    terminal.wait_for("You asked about: I need a prompt for release notes.")  # reopened, no key pressed
    screen = terminal.text()
    assert "Welcome to Prompt Studio" not in screen and "No conversation open" not in screen
    assert "For engineers, not yet sent" in screen  # the draft, in the composer
    terminal.keys("!")  # the cursor is at the end of the draft
    terminal.wait_for("For engineers, not yet sent!")
    terminal.keys("C-q")
    terminal.wait_for("EXITED 0")


def test_a_draft_stored_while_typing_survives_a_closed_terminal(terminal, endpoint, home: Path):
    """SIGHUP, as when the terminal window is closed: the draft stored while typing is back."""
    terminal.start()
    terminal.wait_for("Welcome to Prompt Studio")
    terminal.keys("Typed just before the window closed")
    stored = json.dumps("Typed just before the window closed")
    poll_until(
        lambda: query(
            home / "promptstudio.db", "SELECT 1 FROM preferences WHERE key = 'draft:' AND value = ?", (stored,)
        ),
        "the draft to be stored while the app runs",
    )
    os.kill(terminal.app_pid(), signal.SIGHUP)
    terminal.wait_for("EXITED")

    terminal.start()
    terminal.wait_for("Typed just before the window closed")  # in the composer, over the welcome
    terminal.keys("C-q")
    terminal.wait_for("EXITED 0")
