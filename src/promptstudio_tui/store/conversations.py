"""Conversations: the left pane's rows, paged from SQLite."""

from __future__ import annotations

import json
from typing import Literal

from promptstudio_tui.ids import new_id, utc_now
from promptstudio_tui.store.records import Conversation
from promptstudio_tui.store.repository import Repository
from promptstudio_tui.store.search import Search, parse, rarest_looked_up

Tab = Literal["all", "starred", "archived"]
Sort = Literal["recent", "title", "starred"]

# `{status}` is "+c.status" when a search is driven by its matches: the unary plus keeps
# the planner from walking the whole list through a status index instead.
_TAB_WHERE = {
    "all": "{status} = 'active'",
    "starred": "{status} = 'active' AND c.is_starred = 1",
    "archived": "{status} = 'archived'",
}
_ORDER = {
    "recent": "c.last_message_at DESC, c.id DESC",
    "title": "c.title COLLATE NOCASE ASC, c.id DESC",
    "starred": "c.is_starred DESC, c.last_message_at DESC, c.id DESC",
}
# Sorts an index delivers in order, so a walk can stop once the page is full
# ("starred" needs a full sort first).
_WALKABLE = frozenset({"recent", "title"})


def _by_lookup(search: Search) -> str:
    """Cost grows with the matches: each matching message's (wide) row is read for its conversation."""
    messages = f"SELECT m.conversation_id FROM messages m WHERE m.rowid IN {search.rowids('messages')}"
    return f"(c.rowid IN {search.rowids('conversations')} OR c.id IN ({messages}))"


def _by_exists_among(search: Search, walked: str) -> str:
    """Cost grows with the conversations tested: each one's message rowids come from the narrow
    (conversation_id, created_at) index and are checked against the matches. Only the walked
    conversations' messages can count, so the matches are taken from the oldest of those on
    (`walked` is the walk's own query): a few thousand instead of every match in the store."""
    oldest = f"(SELECT coalesce(min(m2.rowid), 0) FROM ({walked}) w JOIN messages m2 ON m2.conversation_id = w.id)"
    matches = search.rowids("messages", from_rowid=oldest)
    return (
        f"(c.rowid IN {search.rowids('conversations')} OR EXISTS"
        f" (SELECT 1 FROM messages m WHERE m.conversation_id = c.id AND m.rowid IN {matches}))"
    )


def _by_reading(search: Search) -> str:
    """Cost grows with the conversations tested and their messages: each one's title, tags and
    messages (from the (conversation_id, id) index) are read for the pieces. For a search of
    pieces alone (`Search.only_short`): a common one is met within the first few conversations."""
    messages = f"SELECT 1 FROM messages m WHERE m.conversation_id = c.id AND {search.reads('messages', 'm')}"
    return f"({search.reads('conversations', 'c')} OR EXISTS ({messages}))"


# Up to this many matching messages, looking them up is cheaper than walking the list.
SPARSE_MATCHES = 2_000
# Walks over this many conversations per row wanted: a short one first (common words fill
# the page at once), then a longer one; after that the lookup runs (the matches are spread
# too thinly for walking to pay).
WALK_STAGES = (4, 20)
PREVIEW_CHARS = 120


class Conversations(Repository[Conversation]):
    table = "conversations"
    record = staticmethod(Conversation.from_row)
    updatable = frozenset({"title", "category", "is_starred", "status", "tags", "metadata", "model"})

    def create(self, title: str, category: str = "General", tags: list[str] | None = None) -> Conversation:
        now = utc_now()
        row = {
            "id": new_id(),
            "title": title,
            "category": category,
            "tags": json.dumps(tags or [], ensure_ascii=False),  # as typed: the search indexes see the words
            "created_at": now,
            "updated_at": now,
            "last_message_at": now,
        }
        self.store.insert("conversations", row)
        return self.get(row["id"])

    def page(
        self, tab: Tab = "all", sort: Sort = "recent", query: str = "", offset: int = 0, limit: int = 100
    ) -> list[Conversation]:
        search = parse(self.store, query)
        if not query.strip():
            where, params = _TAB_WHERE[tab].format(status="c.status"), {}
        elif search is None:
            return []
        else:
            search, found = rarest_looked_up(self.store, search, SPARSE_MATCHES + 1)
            for per_row in self._walk_stages(sort, search, found):
                rows = self._walk(tab, sort, search, offset + limit, per_row * (offset + limit))
                if rows is not None:
                    return rows[offset:]
            where, params = f"{_TAB_WHERE[tab].format(status='+c.status')} AND {_by_lookup(search)}", search.params
        sql = f"SELECT c.* FROM conversations c WHERE {where} ORDER BY {_ORDER[sort]} LIMIT :limit OFFSET :offset"
        return [Conversation.from_row(r) for r in self.store.query(sql, {**params, "limit": limit, "offset": offset})]

    def count(self, tab: Tab = "all", query: str = "") -> int:
        search = parse(self.store, query)
        if not query.strip():
            where, params = _TAB_WHERE[tab].format(status="c.status"), {}
        elif search is None:
            return 0
        else:  # every match must be found: a walk would test every conversation
            search, _ = rarest_looked_up(self.store, search, SPARSE_MATCHES + 1)
            where, params = f"{_TAB_WHERE[tab].format(status='+c.status')} AND {_by_lookup(search)}", search.params
        return self.store.query(f"SELECT count(*) FROM conversations c WHERE {where}", params)[0][0]

    def _walk_stages(self, sort: Sort, search: Search, found: int | None) -> tuple[int, ...]:
        """How far to walk the list (conversations per row wanted) before looking the matches up.

        Pieces too short for the trigram index are read for in the walked conversations. When
        the store can look them up, a rare one is looked up at once and any other after one
        short walk (a common piece fills the page within it; for a rarer one, looking up
        costs less than reading further). `found`: the messages the lookup of the rarest
        piece finds, counted up to SPARSE_MATCHES + 1, when counted already.
        """
        if sort not in _WALKABLE:
            return ()
        if self._sparse(search) if found is None else found <= SPARSE_MATCHES:
            return ()
        return WALK_STAGES[:1] if search.looks_up_short else WALK_STAGES

    def _sparse(self, search: Search) -> bool:
        """Few enough matching messages to look each one up.

        A one-letter prefix matches most messages, and counting them costs as much as
        the search itself (FTS5 merges every term with that prefix), so it is not counted;
        nor is a piece of text no index holds (it would be looked for in every message). A
        short piece the store looks up is counted: its lookup's rows stream, the count stops.
        """
        if search.scans or (search.shortest_word < 2 and not search.looks_up_short):
            return False
        sql = f"SELECT count(*) FROM (SELECT 1 FROM {search.rowids('messages')} LIMIT :limit)"
        return self.store.query(sql, {**search.params, "limit": SPARSE_MATCHES + 1})[0][0] <= SPARSE_MATCHES

    def _walk(self, tab: Tab, sort: Sort, search: Search, wanted: int, budget: int) -> list[Conversation] | None:
        """The first `wanted` matches in list order, testing at most `budget` conversations
        one after another; None when that was not enough."""
        walk = f"FROM conversations c WHERE {_TAB_WHERE[tab].format(status='c.status')} ORDER BY {_ORDER[sort]} LIMIT :budget"
        hit = _by_reading(search) if search.only_short else _by_exists_among(search, walked=f"SELECT c.id {walk}")
        found, walked = [], 0
        with self.store.rows(f"SELECT c.*, {hit} AS hit {walk}", {**search.params, "budget": budget}) as rows:
            for row in rows:
                walked += 1
                if row["hit"]:
                    found.append(Conversation.from_row(row))
                    if len(found) == wanted:
                        return found
        return found if walked < budget else None  # the list ended first: these are all

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
            db.execute(
                "UPDATE conversations SET unread_count = 0 WHERE id = ? AND unread_count > 0", (conversation_id,)
            )
