"""Edit-and-resend in a real terminal (tmux): alt+up, e, the new branch, [ back to the old one."""

from __future__ import annotations

import shutil

import pytest

from loopback import Scenario

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="needs tmux")


def test_edit_resend_and_switch_back_to_the_old_branch(terminal, endpoint):
    endpoint.when(Scenario(reply="Reply to the revised question."), contains="alpha question revised")
    endpoint.when(Scenario(reply="Reply to the first question."), contains="alpha question")
    terminal.start()
    terminal.wait_for("Welcome to Prompt Studio")
    terminal.keys("alpha question", "Enter")
    terminal.wait_for("Reply to the first question.")

    terminal.keys("M-Up")  # the newest message: the reply
    terminal.wait_for("Regenerate")  # the footer shows the selected message's keys
    terminal.keys("Up", "e")  # the question, into the composer
    terminal.wait_for("Editing:")
    terminal.keys("End", " revised", "Enter")
    terminal.wait_for("Reply to the revised question.")
    assert "Reply to the first question." not in terminal.text()  # a branch now, not on screen
    terminal.wait_for("2/2")

    terminal.keys("M-Up", "Up", "[")  # the edited question: its older alternative
    terminal.wait_for("Reply to the first question.")
    assert "1/2" in terminal.text() and "Reply to the revised question." not in terminal.text()
    terminal.keys("]")
    terminal.wait_for("Reply to the revised question.")
    terminal.keys("C-q")
    terminal.wait_for("EXITED 0")
