"""The installed `promptstudio` in a real terminal (tmux) against the loopback endpoint.

Types a message, sends it with Enter, waits for the reply, presses ctrl+g, sees
the prompt, quits, starts again and finds the conversation and the prompt.
"""

from __future__ import annotations

import shutil

import pytest

from loopback import Scenario

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="needs tmux")


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
