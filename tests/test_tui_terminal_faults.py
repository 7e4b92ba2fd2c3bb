"""The TUI in a real terminal (tmux) under faults that need one: kill -9, and hostile text.

`kill -9` of the running TUI while a reply streams: the next start shows the message and
the partial reply marked interrupted. Escape sequences in model output, conversation
titles and prompt titles: every byte the app writes to the terminal is captured
(tmux pipe-pane) and none of the injected sequences is in it, while their visible
control pictures are on the screen.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
from pathlib import Path

import pytest

from clitools import poll_until, query
from loopback import LoopbackServer, Scenario
from promptstudio_tui.studio import Studio
from repos import repos
from test_bad_input import ESCAPES
from tmux_terminal import Terminal

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="needs tmux")

# What Textual itself writes: CSI sequences (cursor moves, modes and mode queries, colours,
# kitty keys) and OSC 22 (the mouse pointer shape).
TEXTUAL_OWN = re.compile(r"\x1b\[[0-9;:<=>?]*[ -/]*[@-~]|\x1b\]22;[a-z-]*\x07")
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
LONG_REPLY = " ".join(f"word{i}" for i in range(3000))  # ~30 s at the pace below: still streaming when killed


def open_first_conversation(terminal: Terminal) -> None:
    terminal.keys("C-l")  # the pane was open: this hides it ...
    terminal.keys("C-l")  # ... and this shows it again with the list focused
    terminal.wait_for("r Rename")  # the footer shows the list's keys
    terminal.keys("Enter")


def streaming_mid_reply(terminal: Terminal, endpoint: LoopbackServer, db: Path, columns: str = "content") -> tuple:
    """The studio started, a long reply streaming on screen and its first part written
    through to the store (every 0.5 s): that row's `columns`."""
    endpoint.default = Scenario(reply=LONG_REPLY, chunk_size=6, delay=0.01)
    terminal.start()
    terminal.wait_for("Welcome to Prompt Studio")
    terminal.keys("Tell me everything", "Enter")
    terminal.wait_for("word30 ")  # streaming on screen
    return poll_until(
        lambda: query(db, f"SELECT {columns} FROM messages WHERE state = 'streaming' AND content != ''"),
        "the partial reply to be written through",
    )[0]


def test_kill_9_of_the_tui_while_a_reply_streams(terminal: Terminal, endpoint: LoopbackServer, home: Path) -> None:
    db = home / "promptstudio.db"
    # Once the partial reply is written through, kill the owner of that row.
    written, metadata = streaming_mid_reply(terminal, endpoint, db, "content, metadata")
    pid = terminal.app_pid()
    assert f'"pid": {pid}' in metadata and b"promptstudio" in Path(f"/proc/{pid}/cmdline").read_bytes()
    os.kill(pid, signal.SIGKILL)
    terminal.wait_for(f"EXITED {128 + signal.SIGKILL}")

    terminal.start()  # the next start
    terminal.wait_for("1 reply cut off when Prompt Studio last stopped")  # the start-up notice
    open_first_conversation(terminal)
    terminal.wait_for("The app stopped while this reply was streaming.")  # under the partial reply
    screen = terminal.text()
    # The user message and the reply's meta line (⚠) may have scrolled above a long partial
    # reply; the error line and the retry button sit under it. Both rows are checked in the db.
    terminal.wait_for("Retry (ctrl+r)")  # mounted just after the reply
    screen = terminal.text()

    assert query(db, "PRAGMA integrity_check") == [("ok",)]
    (user, user_state), (reply, reply_state) = query(db, "SELECT content, state FROM messages ORDER BY id")
    assert (user, user_state, reply_state) == ("Tell me everything", "complete", "interrupted")
    assert reply.startswith(written) and LONG_REPLY.startswith(reply)  # real text, nothing invented
    assert reply.split()[-1] in screen  # the end of the kept text is what is shown (one word: lines wrap)
    terminal.keys("C-q")
    terminal.wait_for("EXITED 0")


def test_escape_sequences_in_replies_and_titles_never_reach_the_terminal(
    terminal: Terminal, endpoint: LoopbackServer, home: Path, tmp_path: Path
) -> None:
    # A stored conversation, reply and prompt carry them (titles are shown in the list, the
    # header and the prompt panel); a live reply streams them, split across chunks.
    studio = Studio.open()
    try:
        conv = repos(studio).conversations.create(title="conv " + ESCAPES, category="General")
        repos(studio).messages.add(conv.id, "user", "first")
        repos(studio).messages.add(conv.id, "assistant", "stored " + ESCAPES)
        repos(studio).conversations.note_message(conv.id, "stored " + ESCAPES, unread=False)
        repos(studio).prompts.add(title="prompt " + ESCAPES, content="body " + ESCAPES, conversation_id=conv.id)
    finally:
        studio.close()
    endpoint.default = Scenario(reply="live " + ESCAPES, chunk_size=3)
    capture = tmp_path / "terminal.bytes"

    terminal.start()
    terminal.record(capture)
    terminal.tmux("set-option", "-g", "set-clipboard", "on")  # an OSC 52 write would become a tmux buffer
    terminal.wait_for("Welcome to Prompt Studio")
    open_first_conversation(terminal)
    terminal.wait_for("prompt clip␛]52;c;")  # the prompt panel lists the conversation's prompt
    terminal.keys("again", "Enter")
    terminal.wait_for("live clip")
    terminal.wait_for("30 tokens")  # the live reply has settled into its final view
    screen = terminal.text()
    title = terminal.tmux("display-message", "-p", "-t", terminal.session, "#{pane_title}")
    buffers = terminal.tmux("list-buffers")
    terminal.keys("C-q")
    terminal.wait_for("EXITED 0")
    poll_until(lambda: b"EXITED 0" in capture.read_bytes(), "the capture to hold the whole run")
    written = capture.read_bytes().decode("utf-8")  # what the app wrote to the terminal, every byte

    # Visible: each injected sequence shows as control pictures, in every place it was put.
    for place in ("conv clip", "stored", "live", "body", "prompt clip"):
        assert place in screen
    assert screen.count("clip␛]52;c;cm0gLXJmIH4=␇title␛]0;pwned␇mov") >= 5
    assert "␛[2J␛[H␛[10;10H␛[?25lreset␛c" in screen and "␈␈cr␍done" in screen
    assert written.count("␛]0;pwned␇") >= 5 and written.count("␛c") >= 5
    # Inert: none of them was written as a control sequence.
    for injected in (
        "\x1b]52;",
        "\x1b]0;",
        "\x1b]2;",
        "\x1b]8;",
        "\x1bc",
        "\x1b[2J",
        "move\x1b",
        "\x08",
        "\x00",
        "cr\r",
    ):
        assert injected not in written, f"{injected!r} reached the terminal"
    assert not re.search("[\x80-\x9f]", written), "a C1 control reached the terminal"
    # Everything else that drives the terminal is Textual's own: CSI cursor/mode/style
    # sequences and OSC 22 (the mouse pointer shape); nothing is left once they are removed.
    leftover = TEXTUAL_OWN.sub("", written).replace("\r\n", "\n")
    assert not CONTROL.search(leftover), sorted(
        {leftover[m.start() : m.start() + 12] for m in CONTROL.finditer(leftover)}
    )
    # And the terminal did not act on any: the title is unchanged, no clipboard write arrived.
    assert "pwned" not in title and buffers == ""


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP], ids=["SIGTERM", "SIGHUP"])
def test_sigterm_or_sighup_of_the_tui_mid_reply_settles_it_and_restores_the_terminal(
    signum: int, terminal: Terminal, endpoint: LoopbackServer, home: Path
) -> None:
    db = home / "promptstudio.db"
    (written,) = streaming_mid_reply(terminal, endpoint, db)
    modes = "#{alternate_on} #{mouse_any_flag} #{cursor_flag}"
    assert terminal.tmux("display-message", "-p", "-t", terminal.session, modes).split() == ["1", "1", "0"]
    os.kill(terminal.app_pid(), signum)
    terminal.wait_for(f"EXITED {128 + signum}")

    # The normal screen, no mouse tracking, the cursor shown: the shell is usable again.
    assert terminal.tmux("display-message", "-p", "-t", terminal.session, modes).split() == ["0", "0", "1"]
    [(state, reply, completion_tokens)] = query(
        db, "SELECT state, content, completion_tokens FROM messages WHERE role = 'assistant'"
    )
    assert state == "interrupted"
    assert reply.startswith(written) and LONG_REPLY.startswith(reply)  # what arrived, nothing invented
    assert completion_tokens > 0
    assert query(db, "SELECT request_type, completion_tokens > 0 FROM usage_tracking") == [("conversation", 1)]
    assert query(db, "SELECT count(*) FROM quota_reservations") == [(0,)]


def test_closing_the_terminal_mid_reply_settles_it_and_the_app_ends(
    terminal: Terminal, endpoint: LoopbackServer, home: Path
) -> None:
    """The window closed or the SSH session dropped: the pane's terminal hangs up (SIGHUP, and
    every write fails). The reply settles and the process ends all the same."""
    db = home / "promptstudio.db"
    (written,) = streaming_mid_reply(terminal, endpoint, db)
    pid = terminal.app_pid()
    terminal.tmux("new-session", "-d", "-s", "keeps-the-server", "sleep 120")
    terminal.tmux("kill-session", "-t", terminal.session)

    def ended() -> bool:
        try:
            return Path(f"/proc/{pid}/stat").read_text().rsplit(") ", 1)[1][0] == "Z"
        except FileNotFoundError:
            return True

    poll_until(ended, "the app to end", timeout=60)
    [(state, reply, completion_tokens)] = query(
        db, "SELECT state, content, completion_tokens FROM messages WHERE role = 'assistant'"
    )
    assert state == "interrupted" and reply.startswith(written) and LONG_REPLY.startswith(reply)
    assert completion_tokens > 0
    assert query(db, "SELECT count(*) FROM quota_reservations") == [(0,)]
