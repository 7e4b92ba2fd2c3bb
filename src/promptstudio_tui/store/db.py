"""Open the SQLite store: pragmas, private file modes, migrations, write transactions."""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import threading
from collections.abc import Iterator, Mapping
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from promptstudio_tui.paths import create_private_file
from promptstudio_tui.store.write_queue import WriteQueue

if TYPE_CHECKING:
    import sqlite_utils

BUSY_TIMEOUT_MS = 10_000
# How many migrations schema.py defines (a test keeps the two equal). Recorded in
# PRAGMA user_version, so an up-to-date store opens without importing sqlite-utils
# (~100 ms that would otherwise sit before the first frame).
SCHEMA_VERSION = 10


class StoreError(Exception):
    """The database cannot be used; the message says what to do next.

    `corrupt` is True only when the file itself is damaged or not a database: the one
    case where moving it aside (`doctor --move-aside`) is the right advice.
    """

    def __init__(self, message: str, *, corrupt: bool = False):
        super().__init__(message)
        self.corrupt = corrupt


class Store:
    """One connection plus a lock: the TUI uses it from its loop and from worker threads."""

    def __init__(self, conn: sqlite3.Connection, path: Path | None):
        self.conn = conn
        self.path = path
        self.lock = threading.RLock()
        self.queue = None if path is None else WriteQueue(path)
        self._data_version = self._read_data_version()

    @cached_property
    def db(self) -> sqlite_utils.Database:
        """sqlite-utils over the same connection, built on first write."""
        import sqlite_utils

        return sqlite_utils.Database(self.conn, execute_plugins=False)

    @contextlib.contextmanager
    def write(self) -> Iterator[sqlite_utils.Database]:
        """An IMMEDIATE transaction: takes the write lock up front, so a
        read-then-write (quota check-and-reserve) cannot interleave with another
        process. Writers of every process wait their turn in the write queue (at
        most the busy timeout) instead of polling SQLite's lock."""
        with self.lock:
            conn = self.conn
            if conn.in_transaction:  # nested use joins the outer transaction
                yield self.db
                return
            with self._turn():
                conn.execute("BEGIN IMMEDIATE")
                try:
                    yield self.db
                except BaseException:
                    conn.execute("ROLLBACK")
                    raise
                conn.execute("COMMIT")

    def _turn(self) -> contextlib.AbstractContextManager[None]:
        return contextlib.nullcontext() if self.queue is None else self.queue.turn(BUSY_TIMEOUT_MS / 1000)

    def changed_elsewhere(self) -> bool:
        """Whether another connection (of any process) committed since the last call. One
        PRAGMA and no table read: SQLite's data_version, which this connection's own commits
        leave as it is. False when the store cannot be asked (closed, say): it is a hint,
        asked again on the next check."""
        try:
            version = self._read_data_version()
        except sqlite3.Error:
            return False
        changed, self._data_version = version != self._data_version, version
        return changed

    def _read_data_version(self) -> int:
        with self.lock:
            return self.conn.execute("PRAGMA data_version").fetchone()[0]

    def insert(self, table: str, row: Mapping[str, object]) -> None:
        """One row by plain SQL (sqlite-utils' insert introspects the table on every call:
        ~1 ms per message sent). Joins the caller's transaction; names are ours, not input."""
        sql = f"INSERT INTO {table} ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})"
        with self.write():
            self.conn.execute(sql, tuple(row.values()))

    def query(self, sql: str, params: tuple | dict = ()) -> list[sqlite3.Row]:
        with self.lock:
            cursor = self.conn.execute(sql, params)
            return cursor.fetchall()

    @contextlib.contextmanager
    def rows(self, sql: str, params: tuple | dict = ()) -> Iterator[sqlite3.Cursor]:
        """Rows one at a time, for a scan that may stop early; closing the cursor on exit
        ends its read (an open statement would hold back WAL checkpoints)."""
        with self.lock:
            cursor = self.conn.execute(sql, params)
            try:
                yield cursor
            finally:
                cursor.close()

    def close(self) -> None:
        with self.lock:
            self.conn.close()


def open_store(path: Path | None, *, apply_migrations: bool = True) -> Store:
    """Open (creating 0600 if missing) and migrate. `None` opens an in-memory store."""
    if path is None:
        conn = sqlite3.connect(":memory:", check_same_thread=False)
    else:
        _refuse_non_sqlite(path)
        create_private_file(path)
        try:
            conn = sqlite3.connect(str(path), check_same_thread=False, timeout=BUSY_TIMEOUT_MS / 1000)
        except sqlite3.Error as exc:
            raise StoreError(f"Cannot open the database {path}: {exc}.") from None
    conn.row_factory = sqlite3.Row
    try:
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA foreign_keys = ON")
        if path is not None:
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
        store = Store(conn, path)
        if apply_migrations and conn.execute("PRAGMA user_version").fetchone()[0] != SCHEMA_VERSION:
            from promptstudio_tui.store.schema import migrations

            # Inside one IMMEDIATE transaction so two first starts cannot race.
            with store.write() as db:
                migrations.apply(db)
                db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise _unusable(path, exc) from None
    return store


def _refuse_non_sqlite(path: Path) -> None:
    """Never let SQLite touch a file that is not a database: it would be overwritten."""
    try:
        with path.open("rb") as handle:
            header = handle.read(16)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise StoreError(f"Cannot read the database {path}: {exc.strerror}.") from None
    if header and header != b"SQLite format 3\x00":
        raise _corrupt(path, None)


def _corrupt(path: Path | None, exc: Exception | None) -> StoreError:
    detail = f" ({exc})" if exc else ""
    return StoreError(
        f"{path} is not a usable Prompt Studio database{detail}. It was left untouched; "
        f"run `promptstudio doctor --move-aside` to rename it and start with a new one.",
        corrupt=True,
    )


# Primary result codes (sqlite3.h) that mean the file's content is bad.
_SQLITE_CORRUPT, _SQLITE_NOTADB = 11, 26
_SQLITE_READONLY, _SQLITE_FULL = 8, 13


def _unusable(path: Path | None, exc: sqlite3.DatabaseError) -> StoreError:
    """Corruption gets the move-aside advice; a full disk, a read-only folder or a lock
    must not: the database is fine, and moving it aside would hide the user's history.
    (A full disk shows up as "disk I/O error" when SQLite cannot grow the -shm file.)"""
    code = getattr(exc, "sqlite_errorcode", None)  # Python >= 3.11
    primary = code & 0xFF if isinstance(code, int) else None
    text = str(exc)
    if primary in (_SQLITE_CORRUPT, _SQLITE_NOTADB) or (
        primary is None and ("not a database" in text or "malformed" in text)
    ):
        return _corrupt(path, exc)
    folder = path.parent if path is not None else None
    if primary == _SQLITE_FULL or "full" in text or (folder is not None and _nearly_full(folder)):
        reason = "the disk holding it is full; free some space and try again"
    elif primary == _SQLITE_READONLY or "readonly" in text or (folder is not None and not os.access(folder, os.W_OK)):
        reason = f"its folder {folder} is read-only; check its permissions"
    elif "locked" in text or "busy" in text:
        reason = "another Prompt Studio process held it too long; try again"
    else:
        reason = f"{text}; try again, or run `promptstudio doctor` to check it"
    return StoreError(f"Cannot open the database {path}: {reason}. It was left untouched.")


def _nearly_full(folder: Path) -> bool:
    try:
        return shutil.disk_usage(folder).free < 256 * 1024
    except OSError:
        return False
