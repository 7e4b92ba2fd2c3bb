"""Writers from every process take the database in turn.

SQLite's own busy handler polls: a waiting writer sleeps (up to 100 ms at a time) and
tries again, and with many processes writing the lock has nearly always been taken
again by the time it looks, so a writer could lose for the whole busy timeout although
no one held the lock for long. Here writers wait in `flock`s on two files beside the
database, which the kernel wakes the moment they are let go:

- the turn lock, held for the whole transaction;
- the queue lock, held by the one writer waiting next, from before it waits for the
  turn until it has it. A writer that has just finished and writes again must take the
  queue lock first, so it cannot take the turn ahead of the one already waiting.

The queue only orders writers: SQLite's own locking still keeps the data safe, so when
the lock files cannot be opened (a read-only folder) writers go straight to SQLite.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

from promptstudio_tui.paths import FILE_MODE


class WriteQueue:
    def __init__(self, database: Path):
        self.turn_file = database.with_name(database.name + "-lock")
        self.queue_file = database.with_name(database.name + "-queue")

    @contextlib.contextmanager
    def turn(self, timeout: float) -> Iterator[None]:
        """Wait (at most `timeout` seconds) for this writer's turn, and hold it inside.

        Past the deadline this raises SQLite's own "database is locked", which callers
        already turn into "another process held the database too long".
        """
        try:
            queue = _open(self.queue_file)
        except OSError:
            yield
            return
        try:
            turn = _open(self.turn_file)
        except OSError:
            os.close(queue)
            yield
            return
        if not _take(queue, turn, timeout):
            raise sqlite3.OperationalError("database is locked")
        try:
            yield
        finally:
            os.close(turn)  # lets the writer waiting next in


def _open(path: Path) -> int:
    return os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, FILE_MODE)


def _take(queue: int, turn: int, timeout: float) -> bool:
    """Take the turn lock through the queue lock; both descriptors are then this function's:
    `queue` is closed, and `turn` is left holding the turn, or (past `timeout`, False) is
    no longer the caller's."""
    try:
        fcntl.flock(queue, fcntl.LOCK_EX | fcntl.LOCK_NB)
        fcntl.flock(turn, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:  # another writer is in, or waiting next
        return _wait(queue, turn, timeout)
    except OSError:  # a file system without locks: SQLite's locking still applies
        pass
    os.close(queue)
    return True


def _wait(queue: int, turn: int, timeout: float) -> bool:
    """As `_take`, blocking. A blocking flock cannot time out, so a helper thread waits in
    it; if the deadline passes first, the helper lets go of its late turn as soon as it comes."""
    taken = threading.Event()
    guard = threading.Lock()
    abandoned = False

    def wait() -> None:
        with contextlib.suppress(OSError):  # no lock to be had: SQLite's locking still applies
            fcntl.flock(queue, fcntl.LOCK_EX)  # at once if already held
            fcntl.flock(turn, fcntl.LOCK_EX)
        os.close(queue)
        with guard:
            if abandoned:
                os.close(turn)
            taken.set()

    threading.Thread(target=wait, name="promptstudio-write-queue", daemon=True).start()
    if taken.wait(timeout):
        return True
    with guard:
        abandoned = not taken.is_set()
    return not abandoned
