"""kill -9 mid-reply, and several processes writing the same store at once.

The CLI runs as real processes against the in-process loopback endpoint; the database
is inspected with a separate sqlite3 connection, as another instance would see it.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

from clitools import PROMPTSTUDIO, cli_env, poll_until, query, run_cli
from conftest import TEST_KEY
from loopback import LoopbackServer, Scenario
from promptstudio_tui.events import StudioError
from promptstudio_tui.studio import Studio
from repos import repos

LONG_REPLY = " ".join(f"word{i}" for i in range(3000))  # ~20 s at the pace below: never finishes


def private_home(home: Path, config: str = "") -> None:
    home.mkdir(mode=0o700, parents=True, exist_ok=True)
    if config:
        (home / "config.toml").write_text(config)
        (home / "config.toml").chmod(0o600)


def test_kill_9_while_a_reply_streams_keeps_message_and_partial_reply(
    home: Path, endpoint: LoopbackServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The next start is a CLI command (its notice goes to stderr); Studio.open's own recovery
    of a dead owner's row is tests/test_studio.py::test_orphaned_streaming_reply_is_recovered_on_open."""
    endpoint.default = Scenario(reply=LONG_REPLY, chunk_size=6, delay=0.01)
    env = cli_env(home, endpoint.base_url, TEST_KEY)
    proc = subprocess.Popen(
        [PROMPTSTUDIO, "send", "Tell me everything"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    db = home / "promptstudio.db"
    try:
        # Wait until the partial reply has been written through (every 0.5 s), then kill.
        written = poll_until(
            lambda: query(
                db, "SELECT content FROM messages WHERE role = 'assistant' AND state = 'streaming' AND content != ''"
            ),
            "the partial reply to be written through",
        )[0][0]
        assert proc.poll() is None, "the reply finished before the kill"
        os.kill(proc.pid, signal.SIGKILL)
        assert proc.wait(timeout=10) == -signal.SIGKILL
    finally:
        proc.kill()
        proc.communicate()

    started = run_cli(env, "conversations", "list")
    assert started.returncode == 0, started.stderr
    [notice] = [line for line in started.stderr.splitlines() if "marked interrupted" in line]
    assert notice.startswith("promptstudio: 1 ")
    assert "Tell me everything" in started.stdout

    assert query(db, "PRAGMA integrity_check") == [("ok",)]
    rows = query(db, "SELECT role, state, content, error FROM messages ORDER BY id")
    assert len(rows) == 2
    (role, state, content, _), (r_role, r_state, r_content, r_error) = rows
    assert (role, state, content) == ("user", "complete", "Tell me everything")
    assert (r_role, r_state) == ("assistant", "interrupted")
    assert r_content.startswith(written) and LONG_REPLY.startswith(r_content)  # real text, nothing invented
    assert r_error == "The app stopped while this reply was streaming."

    # The store keeps working after the crash, and the dead process's reservation is dropped.
    endpoint.default = Scenario(reply="Back again.")
    monkeypatch.setenv("OPENAI_API_KEY", TEST_KEY)
    studio = Studio.open({"base_url": endpoint.base_url})
    try:
        [conv] = repos(studio).conversations.page("all", "recent", "", 0, 10)
        done = asyncio.run(_last_event(studio.send(conv.id, "Still there?")))
        assert (done.message.state, done.message.content) == ("complete", "Back again.")
        assert studio.quota_status().reserved_requests == 0
    finally:
        studio.close()
    assert query(db, "PRAGMA integrity_check") == [("ok",)]


async def _last_event(events):
    return [e async for e in events][-1]


async def test_cli_processes_and_an_in_process_studio_write_at_once(
    home: Path, endpoint: LoopbackServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The TUI's Studio and several CLI processes of the same user, all streaming and writing
    through at once: no "database is locked" reaches anyone, nothing is lost."""
    private_home(home, 'plan = "pro"\n')
    reply = "chunk " * 30
    endpoint.default = Scenario(reply=reply, chunk_size=6, delay=0.025)  # ~0.75 s: write-throughs overlap
    env = cli_env(home, endpoint.base_url, TEST_KEY)
    procs = [
        subprocess.Popen(
            [PROMPTSTUDIO, "send", f"cli {i}"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for i in range(3)
    ]
    monkeypatch.setenv("OPENAI_API_KEY", TEST_KEY)
    studio = Studio.open({"base_url": endpoint.base_url})
    sent: list[str] = []

    async def keep_sending(worker: int) -> None:
        # Until every CLI process is done, so the writes really overlap.
        n = 0
        while n < 2 or any(p.poll() is None for p in procs):
            text = f"studio {worker}.{n}"
            conv = studio.new_conversation()
            done = [e async for e in studio.send(conv.id, text)][-1]
            assert done.message.state == "complete", done.message.error
            sent.append(text)
            n += 1

    try:
        await asyncio.wait_for(asyncio.gather(*(keep_sending(w) for w in range(2))), timeout=90)
        results = [(p.wait(timeout=60), *p.communicate()) for p in procs]
    finally:
        for p in procs:
            p.kill()
    for code, out, err in results:
        assert code == 0, err
        assert out == reply + "\n"
        assert "locked" not in err and "busy" not in err and "Traceback" not in err

    expected = {f"cli {i}" for i in range(3)} | set(sent)
    users = {row[0] for row in repos(studio).store.query("SELECT content FROM messages WHERE role = 'user'")}
    assert users == expected
    replies = repos(studio).store.query("SELECT state, content FROM messages WHERE role = 'assistant'")
    assert len(replies) == len(expected) and all(tuple(r) == ("complete", reply) for r in replies)
    quota = studio.quota_status()
    assert (quota.used.requests, quota.reserved_requests) == (len(expected), 0)
    assert repos(studio).store.query("PRAGMA integrity_check")[0][0] == "ok"
    studio.close()


async def test_quota_race_between_processes_and_the_studio_never_passes_the_limit(
    home: Path, endpoint: LoopbackServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Five requests (two CLI processes, three in-process sends) race for two allowed ones."""
    private_home(home, "[plans.free]\nrequests_limit = 2\n")
    endpoint.default = Scenario(reply="ok", delay=0.2)
    env = cli_env(home, endpoint.base_url, TEST_KEY)
    monkeypatch.setenv("OPENAI_API_KEY", TEST_KEY)
    studio = Studio.open({"base_url": endpoint.base_url})
    procs = [
        subprocess.Popen(
            [PROMPTSTUDIO, "send", f"cli {i}"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for i in range(2)
    ]
    try:
        # Fire the in-process sends when the processes are about to reserve (their
        # conversations exist), so the reservations really race.
        deadline = time.monotonic() + 60
        while len(repos(studio).store.query("SELECT id FROM conversations")) < 2:
            assert time.monotonic() < deadline, [p.communicate() for p in procs if p.poll() is not None]
            await asyncio.sleep(0.01)

        async def one(i: int) -> bool:
            conv = studio.new_conversation()
            try:
                return [e async for e in studio.send(conv.id, f"studio {i}")][-1].message.state == "complete"
            except StudioError as exc:
                assert "limit of 2 requests" in str(exc)
                return False

        in_process = await asyncio.gather(*(one(i) for i in range(3)))
        results = [(p.wait(timeout=60), *p.communicate()) for p in procs]
    finally:
        for p in procs:
            p.kill()
    for code, _, err in results:
        assert code in (0, 1) and "locked" not in err and "Traceback" not in err
        assert code == 0 or "limit of 2 requests" in err
    assert sum(in_process) + sum(code == 0 for code, _, _ in results) == 2
    quota = studio.quota_status()
    assert (quota.used.requests, quota.reserved_requests) == (2, 0)
    assert len(repos(studio).store.query("SELECT id FROM messages WHERE role = 'user'")) == 5  # refused ones kept too
    studio.close()


def _streaming_sender(home: Path, endpoint: LoopbackServer) -> tuple[subprocess.Popen, dict]:
    """A `promptstudio send` whose reply is streaming and written through; its owner record."""
    endpoint.default = Scenario(reply=LONG_REPLY, chunk_size=6, delay=0.01)
    proc = subprocess.Popen(
        [PROMPTSTUDIO, "send", "Tell me everything"],
        env=cli_env(home, endpoint.base_url, TEST_KEY),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    [(metadata,)] = poll_until(
        lambda: query(
            home / "promptstudio.db", "SELECT metadata FROM messages WHERE state = 'streaming' AND content != ''"
        ),
        "the partial reply to be written through",
    )
    return proc, json.loads(metadata)["owner"]


def _zombie(pid: int) -> bool:
    """Dead and not reaped: the main thread a zombie and every other thread gone (the last
    one to go closes the process's files, and so releases its lock)."""
    state = Path(f"/proc/{pid}/stat").read_text().rsplit(") ", 1)[1][0]
    return state == "Z" and os.listdir(f"/proc/{pid}/task") == [str(pid)]


@pytest.mark.parametrize("how", ["zombie", "pid-reused", "host-renamed"])
def test_a_dead_owner_is_seen_whatever_its_pid_and_host_say(
    how: str, home: Path, endpoint: LoopbackServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The owner of a streaming row is judged by the lock it held for its life, not by pid and
    host: a killed process not yet reaped (a zombie keeps its pid), a pid now naming another
    process (pid 1 in every container run), a host renamed since."""
    db = home / "promptstudio.db"
    proc, owner = _streaming_sender(home, endpoint)
    try:
        os.kill(proc.pid, signal.SIGKILL)
        poll_until(lambda: _zombie(proc.pid), "a zombie")
        if how != "zombie":
            proc.wait(timeout=10)
            pid, host = (1, owner["host"]) if how == "pid-reused" else (proc.pid, "renamed-since")
            with sqlite3.connect(db) as conn:  # the row as a pid-and-host check would be fooled by it
                conn.execute(
                    "UPDATE messages SET metadata = json_set(metadata, '$.owner.pid', ?, '$.owner.host', ?)"
                    " WHERE state = 'streaming'",
                    (pid, host),
                )
                conn.execute("UPDATE quota_reservations SET pid = ?, host = ? || '/' || ?", (pid, host, owner["lock"]))
            conn.close()

        monkeypatch.setenv("OPENAI_API_KEY", TEST_KEY)
        studio = Studio.open({"base_url": endpoint.base_url})  # as the next start, while the zombie is unreaped
    finally:
        proc.kill()
        proc.wait(timeout=10)
    try:
        assert any("marked interrupted" in notice for notice in studio.notices), studio.notices
        [(state, error)] = query(db, "SELECT state, error FROM messages WHERE role = 'assistant'")
        assert (state, error) == ("interrupted", "The app stopped while this reply was streaming.")
        # The dead owner's reservation goes at the next request, and so does its lock file.
        endpoint.default = Scenario(reply="Back again.")
        [conv] = repos(studio).conversations.page("all", "recent", "", 0, 10)
        done = asyncio.run(_last_event(studio.send(conv.id, "Still there?")))
        assert done.message.state == "complete"
        assert studio.quota_status().reserved_requests == 0
    finally:
        studio.close()
    assert not (home / "owners" / f"{owner['lock']}.lock").exists()


async def test_a_live_owner_is_left_alone(
    home: Path, endpoint: LoopbackServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another process's reply streaming right now is not taken for an orphan, nor its reservation."""
    db = home / "promptstudio.db"
    proc, _ = _streaming_sender(home, endpoint)
    try:
        monkeypatch.setenv("OPENAI_API_KEY", TEST_KEY)
        studio = Studio.open({"base_url": endpoint.base_url})
        try:
            assert not any("interrupted" in notice for notice in studio.notices)
            endpoint.default = Scenario(reply="Meanwhile.")
            done = [e async for e in studio.send(studio.new_conversation().id, "Meanwhile?")][-1]
            assert done.message.state == "complete"
            assert proc.poll() is None, "the other reply finished: nothing was tested"
            assert query(db, "SELECT state FROM messages WHERE content LIKE 'word0 %'") == [("streaming",)]
            assert studio.quota_status().reserved_requests == 1  # the other process's, still held
        finally:
            studio.close()
    finally:
        proc.kill()
        proc.wait(timeout=10)
