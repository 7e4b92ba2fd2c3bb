"""Small UI state that persists across restarts (pane visibility, tab, sort, theme, drafts)."""

from __future__ import annotations

import json
from typing import Any

from promptstudio_tui.store.db import Store


class Preferences:
    def __init__(self, store: Store):
        self.store = store

    def get(self, key: str, default: Any = None) -> Any:
        rows = self.store.query("SELECT value FROM preferences WHERE key = ?", (key,))
        if not rows:
            return default
        try:
            return json.loads(rows[0][0])
        except ValueError:
            return default

    def set(self, key: str, value: Any) -> None:
        with self.store.write() as db:
            db.execute(
                "INSERT INTO preferences (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (key, json.dumps(value)),
            )

    def forget(self, key: str) -> None:
        with self.store.write() as db:
            db.execute("DELETE FROM preferences WHERE key = ?", (key,))
