"""Time-sortable identifiers (UUIDv7) and UTC timestamps."""

from __future__ import annotations

import os
import threading
import time
import uuid
from datetime import datetime, timezone

_lock = threading.Lock()
_last = 0


def new_id(after: str | None = None) -> str:
    """A UUIDv7: 48-bit millisecond time, then random bits, so ids sort by creation.

    Within one process ids are strictly increasing even inside one millisecond.
    `after` is an id the new one must sort after: the newest of its kind, read in the
    same write transaction (Repository.insert_in_order), so order holds across
    processes whatever their clocks say (RFC 9562's monotonic counter, with the
    store as the shared last value).
    """
    global _last
    ms = time.time_ns() // 1_000_000
    rand = int.from_bytes(os.urandom(10), "big")
    value = (ms & ((1 << 48) - 1)) << 80
    value |= 0x7 << 76  # version 7
    value |= ((rand >> 62) & 0xFFF) << 64  # rand_a
    value |= 0b10 << 62  # RFC 4122 variant
    value |= rand & ((1 << 62) - 1)  # rand_b
    with _lock:
        floor = max(_last, uuid.UUID(after).int if after else 0)
        if value <= floor:
            value = floor + 1
        _last = value
    return str(uuid.UUID(int=value))


def utc_now() -> str:
    """UTC ISO-8601 with microseconds; lexical order is time order."""
    return datetime.now(timezone.utc).isoformat(timespec="microseconds")
