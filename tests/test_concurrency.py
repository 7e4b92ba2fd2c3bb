"""Many processes, one store: writers wait their turn, and nothing typed is lost.

The full race (50 `send`s, several rounds, with numbers) is bench/racing_sends.py; the
suite keeps a smaller one that is still contended, and a writer that never pauses.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from clitools import poll_until, query
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
        store.close()
    assert hog.returncode == 0, stderr
