"""A CLI command stopped mid-reply by what is around it: its output closed (`| head`), its
output's disk full (`> /dev/full`), SIGTERM, SIGHUP (a closed terminal, a dropped SSH
session). Each time the reply settles as a stop does: what arrived is kept, the reply is
`interrupted`, its tokens are counted, its quota reservation is released; the command
ends with one line on stderr, no traceback.

Real `promptstudio` processes against the loopback endpoint; the database is read with a
separate sqlite3 connection, as another instance would see it.
"""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

import pytest

from clitools import PROMPTSTUDIO, as_from_a_shell, cli_env, error_line, poll_until, query, run_cli, start_cli
from conftest import TEST_KEY
from loopback import LoopbackServer, Scenario

LONG_REPLY = " ".join(f"word{i}" for i in range(3000))  # ~30 s at the pace below: never finishes first
PACE = {"chunk_size": 6, "delay": 0.01}


def _start(home: Path, endpoint: LoopbackServer, *args: str, stdout=subprocess.PIPE, **popen) -> subprocess.Popen:
    return start_cli(cli_env(home, endpoint.base_url, TEST_KEY), *args, stdout=stdout, **popen)


def _settled_as_interrupted(db: Path, request_type: str) -> str:
    """The one reply's stored text, after checking it was settled as a stop settles it."""
    [(state, content, completion_tokens)] = query(
        db, "SELECT state, content, completion_tokens FROM messages WHERE role = 'assistant'"
    )
    assert state == "interrupted"
    assert content and LONG_REPLY.startswith(content)  # what arrived, nothing invented
    assert completion_tokens > 0
    assert query(db, "SELECT request_type, completion_tokens > 0 FROM usage_tracking") == [(request_type, 1)]
    assert query(db, "SELECT count(*) FROM quota_reservations") == [(0,)]
    return content


def _conversation_to_generate_from(home: Path, endpoint: LoopbackServer) -> str:
    endpoint.default = Scenario(reply="Who is it for?")
    assert run_cli(cli_env(home, endpoint.base_url, TEST_KEY), "send", "I need a prompt").returncode == 0
    [(conversation,)] = query(home / "promptstudio.db", "SELECT id FROM conversations")
    return conversation


@pytest.mark.parametrize("command", ["send", "generate"])
def test_output_closed_mid_reply_settles_it(command: str, home: Path, endpoint: LoopbackServer) -> None:
    """`promptstudio send … | head -c 20`: the reader leaves after 20 bytes."""
    db = home / "promptstudio.db"
    if command == "send":
        args: tuple[str, ...] = ("send", "Tell me everything")
    else:
        args = ("generate", "--conversation", _conversation_to_generate_from(home, endpoint))
    endpoint.default = Scenario(reply=LONG_REPLY, **PACE)
    proc = _start(home, endpoint, *args)
    assert proc.stdout is not None
    head = proc.stdout.read(20)
    proc.stdout.close()  # as `head` exits
    try:
        _, stderr = proc.communicate(timeout=60)
    finally:
        proc.kill()

    assert proc.returncode == 1
    assert error_line(stderr.decode()) == "the output was closed before everything was written (broken pipe)"
    assert "Exception ignored" not in stderr.decode()
    if command == "send":
        assert _settled_as_interrupted(db, "conversation").startswith(head.decode())
    else:  # nothing half-done is saved, but the request is counted and its reservation released
        assert query(db, "SELECT count(*) FROM prompts") == [(0,)]
        assert query(db, "SELECT count(*) FROM usage_tracking WHERE request_type = 'prompt_optimization'") == [(1,)]
        assert query(db, "SELECT count(*) FROM quota_reservations") == [(0,)]


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_output_on_a_full_disk_mid_reply_settles_it(home: Path, endpoint: LoopbackServer) -> None:
    """`promptstudio send … > /dev/full`: every write of the reply fails with ENOSPC."""
    endpoint.default = Scenario(reply=LONG_REPLY, **PACE)
    with open("/dev/full", "wb") as full:
        proc = _start(home, endpoint, "send", "Tell me everything", stdout=full)
        try:
            _, stderr = proc.communicate(timeout=60)
        finally:
            proc.kill()
    assert proc.returncode == 1
    assert error_line(stderr.decode()) == "the output could not be written: No space left on device"
    assert "Exception ignored" not in stderr.decode()
    _settled_as_interrupted(home / "promptstudio.db", "conversation")


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP], ids=["SIGTERM", "SIGHUP"])
def test_sigterm_or_sighup_mid_reply_settles_it(signum: int, home: Path, endpoint: LoopbackServer) -> None:
    db = home / "promptstudio.db"
    endpoint.default = Scenario(reply=LONG_REPLY, **PACE)
    proc = _start(home, endpoint, "send", "Tell me everything")
    try:
        poll_until(
            lambda: query(db, "SELECT 1 FROM messages WHERE state = 'streaming' AND content != ''"),
            "the partial reply to be written through",
        )
        proc.send_signal(signum)
        stdout, stderr = proc.communicate(timeout=60)
    finally:
        proc.kill()

    assert proc.returncode == 128 + signum
    assert error_line(stderr.decode()) == f"stopped by {signal.Signals(signum).name}"
    content = _settled_as_interrupted(db, "conversation")
    assert stdout.decode() == content  # every character printed was kept, and only those


def test_sighup_ignored_by_nohup_is_left_ignored(home: Path, endpoint: LoopbackServer) -> None:
    """`nohup promptstudio send …`: the user asked for the command to outlive the terminal."""
    db = home / "promptstudio.db"
    reply = " ".join(f"word{i}" for i in range(200))

    def as_under_nohup() -> None:
        as_from_a_shell()
        signal.signal(signal.SIGHUP, signal.SIG_IGN)

    endpoint.default = Scenario(reply=reply, **PACE)
    proc = _start(home, endpoint, "send", "Tell me everything", preexec_fn=as_under_nohup)
    try:
        poll_until(lambda: query(db, "SELECT 1 FROM messages WHERE state = 'streaming'"), "the reply to start")
        proc.send_signal(signal.SIGHUP)
        stdout, stderr = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 0, stderr
    assert stdout.decode() == reply + "\n"
    assert query(db, "SELECT state FROM messages WHERE role = 'assistant'") == [("complete",)]


@pytest.mark.parametrize("where", ["stdin", "argument", "empty"])
def test_a_message_refused_before_it_is_kept_leaves_nothing_behind(
    where: str, home: Path, endpoint: LoopbackServer
) -> None:
    """Text that is not UTF-8 (from stdin or in the argument) or is empty: one line, exit 1,
    no request, and no empty "New conversation" left in the list."""
    env = cli_env(home, endpoint.base_url, TEST_KEY)
    if where == "stdin":
        proc = subprocess.run(
            [PROMPTSTUDIO, "send", "-"], input=b"caf\xe9 au lait", capture_output=True, env=env, timeout=60
        )
        expected = "stdin is not UTF-8 text"
    elif where == "argument":
        proc = subprocess.run([PROMPTSTUDIO, "send", b"caf\xe9 au lait"], capture_output=True, env=env, timeout=60)
        expected = "The text given is not UTF-8 text"
    else:
        proc = subprocess.run([PROMPTSTUDIO, "send", "-"], input=b"  \n", capture_output=True, env=env, timeout=60)
        expected = "Type a message first."
    assert proc.returncode == 1
    assert error_line(proc.stderr.decode()).startswith(expected)
    listed = run_cli(env, "conversations", "list")
    assert (listed.returncode, listed.stdout) == (0, "")
    assert [r for r in endpoint.requests if r.path.endswith("/chat/completions")] == []
