"""Which process owns an in-flight row (a streaming reply, a quota reservation), and whether it still runs.

A pid and a host name cannot tell: a zombie keeps its pid, pids are reused (pid 1 in every
container run) and host names change. So each process holds an exclusive lock on a file of
its own, `<data>/owners/<token>.lock`, for its whole life, and records the token on the rows
it starts. The kernel drops the lock when the process ends, however it ends, so "the lock
can be taken" means "the owner is gone". Where the lock cannot answer (a file system without
locks) the caller's age limit is the last resort. Rows recorded before the token was
(pid and host only) are judged by pid and host as before.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import socket
import threading
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path

# The last resort for an owner the lock cannot judge: no request waits this long in silence.
LAST_RESORT = timedelta(hours=1)

_held: dict[Path, str] = {}  # owners folder -> this process's token there (its lock fd stays open)
_guard = threading.Lock()


def this_process(database: Path | None) -> dict[str, object]:
    """The owner to record on a row this process starts in the store at `database`."""
    owner: dict[str, object] = {"pid": os.getpid(), "host": socket.gethostname()}
    if database is not None:
        with contextlib.suppress(OSError):  # no lock file (a read-only folder): judged by pid and age
            owner["lock"] = _token(database.parent / "owners")
    return owner


def is_gone(owner: Mapping[str, object], database: Path | None) -> bool:
    """True when the owner certainly stopped; False when it runs or we cannot know."""
    token = owner.get("lock")
    if isinstance(token, str) and database is not None:
        return _released(database.parent / "owners", token)
    return _pid_gone(owner)


def _token(folder: Path) -> str:
    """This process's token in `folder`, its lock taken on first use and held until the process ends."""
    with _guard:
        if folder not in _held:
            folder.mkdir(mode=0o700, exist_ok=True)
            _sweep(folder)
            _held[folder] = _lock_new_file(folder)
        return _held[folder]


def _lock_new_file(folder: Path) -> str:
    while True:
        token = os.urandom(8).hex()  # (secrets would bring hashlib and hmac to the first frame)
        path = folder / f"{token}.lock"
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
        fcntl.flock(fd, fcntl.LOCK_EX)
        # Another process's sweep may have taken the lock first and removed the file: then
        # ours is a lock on nothing anyone can find. Only a file still at its name counts.
        with contextlib.suppress(FileNotFoundError):
            if os.stat(path).st_ino == os.fstat(fd).st_ino:
                return token  # the fd is never closed: the lock lives as long as the process
        os.close(fd)


def _released(folder: Path, token: str) -> bool:
    if _held.get(folder) == token:
        return False
    try:
        fd = os.open(folder / f"{token}.lock", os.O_RDWR | os.O_CLOEXEC)
    except FileNotFoundError:
        return True  # swept: its owner had ended
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:  # held (EWOULDBLOCK), or no locks here: the age limit decides
        return False
    finally:
        os.close(fd)
    return True


def _sweep(folder: Path) -> None:
    """Remove the lock files of processes that ended (their lock can be taken)."""
    for path in folder.glob("*.lock"):
        try:
            fd = os.open(path, os.O_RDWR | os.O_CLOEXEC)
        except OSError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            path.unlink(missing_ok=True)
        except OSError:
            pass
        finally:
            os.close(fd)


def _pid_gone(owner: Mapping[str, object]) -> bool:
    """Rows from before the lock token: gone only when on this host and no such pid runs."""
    if owner.get("host") != socket.gethostname():
        return False
    pid = owner.get("pid")
    if not isinstance(pid, int) or pid <= 0:
        return True
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False
