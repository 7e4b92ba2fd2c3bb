"""The installed `promptstudio` in a real terminal (tmux): quit with a draft typed, start
again, and the conversation and the draft are back as they were left."""

from __future__ import annotations

import shutil

import pytest

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
