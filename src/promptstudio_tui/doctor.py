"""`promptstudio doctor`: check the store, and move an unusable one aside."""

from __future__ import annotations

import sqlite3
from datetime import datetime

from promptstudio_tui.paths import Paths
from promptstudio_tui.store import StoreError, open_store


def check(move_aside: bool = False, paths: Paths | None = None) -> tuple[bool, list[str]]:
    paths = paths or Paths.discover()
    db_path = paths.database
    if not db_path.exists():
        return True, [f"{db_path}: no database yet (it is created on first use)."]
    try:
        store = open_store(db_path)
        result = store.query("PRAGMA integrity_check")[0][0]
        store.close()
        if result == "ok":
            return True, [f"{db_path}: ok."]
        problem = f"{db_path}: integrity check failed: {result}."
    except StoreError as exc:
        problem = str(exc)
        if not exc.corrupt:  # full disk, read-only folder, lock: the file is fine, never move it
            return False, [problem]
    except sqlite3.DatabaseError as exc:
        problem = str(exc)
    if not move_aside:
        return False, [problem]
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    target = db_path.with_name(f"{db_path.name}.unusable-{stamp}")
    try:
        db_path.rename(target)
        for suffix in ("-wal", "-shm"):
            side = db_path.with_name(db_path.name + suffix)
            if side.exists():
                side.rename(target.with_name(target.name + suffix))
    except OSError as exc:
        return False, [problem, f"Could not move the database aside: {exc.strerror or exc}."]
    return True, [problem, f"Moved the unusable database to {target}; a new, empty one takes its place."]
