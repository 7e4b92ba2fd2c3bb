"""Conversations: the left pane's rows, paged from SQLite."""

from __future__ import annotations

import json
from typing import Literal

from promptstudio_tui.ids import new_id, utc_now
from promptstudio_tui.store.records import Conversation
from promptstudio_tui.store.repository import Repository
from promptstudio_tui.store.search import fts_query

Tab = Literal["all", "starred", "archived"]
Sort = Literal["recent", "title", "starred"]

_TAB_WHERE = {
    "all": "c.status = 'active'",
    "starred": "c.status = 'active' AND c.is_starred = 1",
    "archived": "c.status = 'archived'",
}
_ORDER = {
    "recent": "c.last_message_at DESC, c.id DESC",
    "title": "c.title COLLATE NOCASE ASC, c.id DESC",
    "starred": "c.is_starred DESC, c.last_message_at DESC, c.id DESC",
}
PREVIEW_CHARS = 120


class Conversations(Repository[Conversation]):
    table = "conversations"
    record = Conversation.from_row
    updatable = frozenset({"title", "category", "is_starred", "status", "tags", "metadata"})

    def create(self, title: str, category: str = "General", tags: list[str] | None = None) -> Conversation:
        now = utc_now()
        row = {
            "id": new_id(),
            "title": title,
            "category": category,
            "tags": json.dumps(tags or []),
            "created_at": now,
            "updated_at": now,
            "last_message_at": now,
        }
        with self.store.write() as db:
            db["conversations"].insert(row)
        return self.get(row["id"])

    def _filter(self, tab: Tab, query: str) -> tuple[str, list[str]]:
        where, params = [_TAB_WHERE[tab]], []
        match = fts_query(query)
        if query.strip() and match is None:
            where.append("0")
        elif match:
            where.append(
                "(c.rowid IN (SELECT rowid FROM conversations_fts WHERE conversations_fts MATCH ?)"
                " OR c.id IN (SELECT m.conversation_id FROM messages m WHERE m.rowid IN"
                " (SELECT rowid FROM messages_fts WHERE messages_fts MATCH ?)))"
            )
            params += [match, match]
        return " AND ".join(where), params

    def page(
        self, tab: Tab = "all", sort: Sort = "recent", query: str = "", offset: int = 0, limit: int = 100
    ) -> list[Conversation]:
        where, params = self._filter(tab, query)
        sql = f"SELECT c.* FROM conversations c WHERE {where} ORDER BY {_ORDER[sort]} LIMIT ? OFFSET ?"
        return [Conversation.from_row(r) for r in self.store.query(sql, (*params, limit, offset))]

    def count(self, tab: Tab = "all", query: str = "") -> int:
        where, params = self._filter(tab, query)
        return self.store.query(f"SELECT count(*) FROM conversations c WHERE {where}", tuple(params))[0][0]

    def delete(self, conversation_id: str) -> None:
        """Remove the conversation and its messages; prompts generated from it are kept."""
        with self.store.write() as db:
            db.execute("DELETE FROM conversations WHERE id = ?", (conversation_id,))

    def note_message(self, conversation_id: str, preview: str, *, unread: bool) -> None:
        """Keep the denormalised preview, activity time and unread count current."""
        now = utc_now()
        with self.store.write() as db:
            db.execute(
                "UPDATE conversations SET preview = ?, last_message_at = ?, updated_at = ?,"
                " unread_count = unread_count + ? WHERE id = ?",
                (" ".join(preview.split())[:PREVIEW_CHARS], now, now, 1 if unread else 0, conversation_id),
            )

    def mark_read(self, conversation_id: str) -> None:
        with self.store.write() as db:
            db.execute("UPDATE conversations SET unread_count = 0 WHERE id = ? AND unread_count > 0", (conversation_id,))
