"""Which process owns an in-flight row, and whether that process still runs."""

from __future__ import annotations

import os
import socket


def this_process() -> dict[str, object]:
    return {"pid": os.getpid(), "host": socket.gethostname()}


def is_gone(owner: dict[str, object]) -> bool:
    """True when the owner certainly stopped: same host and no such pid.

    Rows owned by another host are left alone; we cannot see its processes.
    """
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
