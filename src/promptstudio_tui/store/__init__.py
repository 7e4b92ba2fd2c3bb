"""The local SQLite store: one repository class per table family."""

from promptstudio_tui.store.db import Store, StoreError, open_store

__all__ = ["Store", "StoreError", "open_store"]
