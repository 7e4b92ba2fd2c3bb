"""Prompts: title, category, tags and favourite; their texts are versions (store/versions.py)."""

from __future__ import annotations

import json
from typing import Any

from promptstudio_tui.ids import new_id, utc_now
from promptstudio_tui.store.records import Prompt
from promptstudio_tui.store.repository import Repository
from promptstudio_tui.store.search import fts_query
from promptstudio_tui.store.versions import PromptVersions


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
            "tags": json.dumps(tags or []),
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
        limit: int = 200,
        offset: int = 0,
    ) -> list[Prompt]:
        where, params = ["1"], []
        if conversation_id is not None:
            where.append("conversation_id = ?")
            params.append(conversation_id)
        if favorites_only:
            where.append("is_favorite = 1")
        match = fts_query(query)
        if match:
            where.append("rowid IN (SELECT rowid FROM prompts_fts WHERE prompts_fts MATCH ?)")
            params.append(match)
        sql = f"SELECT * FROM prompts WHERE {' AND '.join(where)} ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?"
        return [Prompt.from_row(r) for r in self.store.query(sql, (*params, limit, offset))]

    def exists(self, prompt_id: str) -> bool:
        return bool(self.store.query("SELECT 1 FROM prompts WHERE id = ?", (prompt_id,)))

    def delete(self, prompt_id: str) -> None:
        with self.store.write() as db:
            db.execute("DELETE FROM prompts WHERE id = ?", (prompt_id,))
