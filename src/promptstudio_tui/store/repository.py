"""What every table family shares: fetch by id or id prefix, and guarded updates."""

from __future__ import annotations

import json
import sqlite3
from abc import ABC, abstractmethod
from typing import ClassVar, Generic, TypeVar

from promptstudio_tui.ids import new_id, utc_now
from promptstudio_tui.store.db import Store

R = TypeVar("R")
JSON_COLUMNS = ("tags", "metadata")


class Repository(ABC, Generic[R]):
    table: ClassVar[str]
    updatable: ClassVar[frozenset[str]] = frozenset()

    def __init__(self, store: Store):
        self.store = store

    @staticmethod
    @abstractmethod
    def record(row: sqlite3.Row) -> R:
        """The plain dataclass for one row of `table`."""

    def get(self, row_id: str) -> R:
        rows = self.store.query(f"SELECT * FROM {self.table} WHERE id = ?", (row_id,))
        if not rows:
            raise KeyError(row_id)
        return self.record(rows[0])

    def find(self, id_or_prefix: str) -> R:
        """Accept a unique id prefix, as people copy short ids from listings."""
        # substr, not LIKE: a typed "%" or "_" must not act as a wildcard.
        rows = self.store.query(
            f"SELECT * FROM {self.table} WHERE substr(id, 1, ?) = ? LIMIT 2", (len(id_or_prefix), id_or_prefix)
        )
        if len(rows) != 1:
            raise KeyError(id_or_prefix)
        return self.record(rows[0])

    def insert_in_order(self, scope: str, row: dict[str, object]) -> str:
        """Insert `row` under a new id that sorts after every id already stored with the same
        `scope` value (a conversation's messages, a prompt's runs), and return the id.

        Order by id is then the order rows were written in, whatever the clocks of the
        processes that wrote them said: the newest id is read inside the insert's own
        write transaction, which no other writer can interleave with.
        """
        with self.store.write():
            newest = self.store.query(f"SELECT max(id) FROM {self.table} WHERE {scope} = ?", (row[scope],))[0][0]
            row_id = new_id(after=newest)
            self.store.insert(self.table, {"id": row_id, **row})
        return row_id

    def update(self, row_id: str, **fields: object) -> R:
        """Change the named columns of one row in one transaction; stamps updated_at."""
        unknown = set(fields) - self.updatable
        if unknown:
            raise ValueError(f"cannot update {', '.join(sorted(unknown))}")
        # Not \u-escaped: the search indexes read the words in tags as typed.
        values = {k: json.dumps(v, ensure_ascii=False) if k in JSON_COLUMNS else v for k, v in fields.items()}
        values["updated_at"] = utc_now()
        assignments = ", ".join(f"{column} = ?" for column in values)  # column names come from `updatable`
        with self.store.write() as db:
            db.execute(f"UPDATE {self.table} SET {assignments} WHERE id = ?", (*values.values(), row_id))
        return self.get(row_id)
