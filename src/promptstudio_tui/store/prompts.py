"""Prompts: title, category, tags and favourite; their texts are versions (store/versions.py)."""

from __future__ import annotations

import builtins
import json
from typing import Any, Literal

from promptstudio_tui.ids import new_id, utc_now
from promptstudio_tui.store.records import Prompt
from promptstudio_tui.store.repository import Repository
from promptstudio_tui.store.search import parse
from promptstudio_tui.store.versions import PromptVersions

PromptSort = Literal["recent", "title"]
_ORDER: dict[PromptSort, str] = {
    "recent": "created_at DESC, id DESC",
    "title": "title COLLATE NOCASE ASC, id DESC",
}


class Prompts(Repository[Prompt]):
    table = "prompts"
    record = staticmethod(Prompt.from_row)
    # The text changes only through a new version (PromptVersions.add).
    updatable = frozenset({"title", "category", "tags", "is_favorite", "metadata"})

    def add(
        self,
        *,
        title: str,
        content: str,
        conversation_id: str | None,
        category: str = "General",
        tags: list[str] | None = None,
        model: str | None = None,
        tokens_used: int = 0,
        cost: int | None = None,
        source: str = "generated",
        metadata: dict[str, Any] | None = None,
    ) -> Prompt:
        """A prompt with `content` as its v1 (from `source`; `metadata` is the version's), in one transaction."""
        now = utc_now()
        prompt_id = new_id()
        row = {
            "id": prompt_id,
            "conversation_id": conversation_id,
            "title": title,
            "content": content,
            "category": category,
            "tags": json.dumps(tags or [], ensure_ascii=False),  # as typed: the search indexes see the words
            "model": model,
            "tokens_used": tokens_used,
            "cost": cost,
            "created_at": now,
            "updated_at": now,
        }
        with self.store.write():
            self.store.insert("prompts", row)
            PromptVersions(self.store).add(
                prompt_id,
                content=content,
                source=source,
                model=model,
                tokens=tokens_used,
                cost=cost,
                metadata=metadata,
            )
        return self.get(prompt_id)

    def list(
        self,
        *,
        conversation_id: str | None = None,
        favorites_only: bool = False,
        query: str = "",
        tag: str | None = None,
        category: str | None = None,
        sort: PromptSort = "recent",
        limit: int = 200,
        offset: int = 0,
    ) -> list[Prompt]:
        """Every filter given must hold: `tag` and `category` match whole, ignoring case."""
        where: list[str] = ["1"]
        params: dict[str, Any] = {"conversation": conversation_id, "tag": tag, "category": category}
        if conversation_id is not None:
            where.append("conversation_id = :conversation")
        if favorites_only:
            where.append("is_favorite = 1")
        if tag:
            where.append("EXISTS (SELECT 1 FROM json_each(prompts.tags) t WHERE lower(t.value) = lower(:tag))")
        if category:
            where.append("lower(category) = lower(:category)")
        search = parse(self.store, query)
        if search:
            where.append(f"rowid IN {search.rowids('prompts')}")
            params.update(search.params)
        where_all = " AND ".join(where)
        sql = f"SELECT * FROM prompts WHERE {where_all} ORDER BY {_ORDER[sort]} LIMIT :limit OFFSET :offset"
        return [Prompt.from_row(r) for r in self.store.query(sql, {**params, "limit": limit, "offset": offset})]

    def tags(self) -> builtins.list[str]:
        """Every tag on a prompt, A–Z, once whatever its case (as the filter matches): the library offers them."""
        sql = "SELECT min(t.value) FROM prompts p, json_each(p.tags) t GROUP BY lower(t.value) ORDER BY lower(t.value)"
        return [row[0] for row in self.store.query(sql)]

    def categories(self) -> builtins.list[str]:
        """The categories prompts are in, A–Z."""
        sql = "SELECT DISTINCT category FROM prompts ORDER BY category COLLATE NOCASE"
        return [row[0] for row in self.store.query(sql)]

    def exists(self, prompt_id: str) -> bool:
        return bool(self.store.query("SELECT 1 FROM prompts WHERE id = ?", (prompt_id,)))

    def delete(self, prompt_id: str) -> None:
        with self.store.write() as db:
            db.execute("DELETE FROM prompts WHERE id = ?", (prompt_id,))
