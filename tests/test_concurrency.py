"""Many processes, one store: writers wait their turn, and nothing typed is lost.

The full race (50 `send`s, several rounds, with numbers) is bench/racing_sends.py; the
suite keeps a smaller one that is still contended, and a writer that never pauses.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

from clitools import poll_until, query
from promptstudio_tui.store import db as store_db
from promptstudio_tui.store import open_store
from racing import race_sends

SENDS = 16

# Commits one write after another, each holding the lock 20 ms, until told to stop: the
# lock is free for a few microseconds between them, and a writer polling SQLite's lock
# (naps of up to 100 ms) almost never finds it free within the busy timeout.
HOG = """
import sys, time
from pathlib import Path
from promptstudio_tui.store import open_store
store = open_store(Path(sys.argv[1]))
stop = False
while not stop:
    with store.write() as db:
        db.execute("INSERT INTO turns (who) VALUES ('hog')")
        stop = db.execute("SELECT 1 FROM turns WHERE who = 'stop'").fetchone() is not None
        time.sleep(0.02)
"""

# Holds one write open until a line arrives on stdin.
HOLDER = """
import sys
from pathlib import Path
from promptstudio_tui.store import open_store
store = open_store(Path(sys.argv[1]))
with store.write():
    print("in", flush=True)
    sys.stdin.readline()
"""


def test_parallel_sends_are_all_stored_without_lock_errors(home: Path, endpoint) -> None:
    texts = [f"typed in terminal {i}" for i in range(SENDS)]
    race = race_sends(home, endpoint.base_url, texts)
    assert race.errors == []
    assert race.stored == set(texts)
    replies = query(home / "promptstudio.db", "SELECT count(*) FROM messages WHERE role = 'assistant'")
    assert replies == [(SENDS,)]


def test_a_writer_that_never_pauses_does_not_starve_the_others(tmp_path: Path) -> None:
    db = tmp_path / "promptstudio.db"
    store = open_store(db)
    with store.write() as conn:
        conn.execute("CREATE TABLE turns (who TEXT NOT NULL)")
    hog = subprocess.Popen([sys.executable, "-c", HOG, str(db)], stderr=subprocess.PIPE, text=True)
    try:
        poll_until(lambda: query(db, "SELECT count(*) FROM turns")[0][0] >= 3, "the hog writing")
        for _ in range(20):  # each must get in while the hog goes on writing
            with store.write() as conn:
                conn.execute("INSERT INTO turns (who) VALUES ('waiter')")
        assert hog.poll() is None  # they got in between its writes, not after it gave up
    finally:
        with store.write() as conn:
            conn.execute("INSERT INTO turns (who) VALUES ('stop')")
        _, stderr = hog.communicate(timeout=60)
        assert hog.returncode == 0, stderr


def test_a_write_held_past_the_busy_timeout_fails_and_the_next_one_gets_its_turn(tmp_path: Path, monkeypatch) -> None:
    db = tmp_path / "promptstudio.db"
    store = open_store(db)
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(db)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdin is not None
        assert holder.stdout.readline() == "in\n"
        monkeypatch.setattr(store_db, "BUSY_TIMEOUT_MS", 300)
        failed: list[str] = []
        waiter = threading.Thread(target=_write_or_fail, args=(store, failed))
        waiter.start()
        waiter.join(timeout=60)  # a cap, were the deadline not kept: no hang
        assert not waiter.is_alive()
        assert failed == ["database is locked"]
        holder.stdin.write("done\n")
        holder.stdin.flush()
        assert holder.wait(timeout=60) == 0
    finally:
        if holder.poll() is None:
            holder.kill()
    monkeypatch.setattr(store_db, "BUSY_TIMEOUT_MS", 10_000)
    with store.write() as conn:  # the given-up wait let its late turn go
        conn.execute("CREATE TABLE after (x)")


def _write_or_fail(store, failed: list[str]) -> None:
    try:
        with store.write():
            pass
    except sqlite3.OperationalError as exc:
        failed.append(str(exc))
