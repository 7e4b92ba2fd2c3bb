"""Prompt versions: every text a prompt has had, numbered, never changed once written."""

from __future__ import annotations

import json
from typing import Any

from promptstudio_tui.ids import new_id, utc_now
from promptstudio_tui.store.records import PromptVersion
from promptstudio_tui.store.repository import Repository

SOURCES = ("generated", "refined", "edited", "imported", "restored")


class PromptVersions(Repository[PromptVersion]):
    table = "prompt_versions"
    record = staticmethod(PromptVersion.from_row)

    def add(
        self,
        prompt_id: str,
        *,
        content: str,
        source: str,
        model: str | None = None,
        tokens: int = 0,
        cost: int | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> PromptVersion:
        """The prompt's next version, and the prompt's copy of the latest text, in one transaction.

        The number is taken inside the write transaction, so two processes adding a version
        to one prompt get consecutive numbers, never the same one.
        """
        if source not in SOURCES:
            raise ValueError(f"unknown version source {source!r}")
        now = utc_now()
        version_id = new_id()
        with self.store.write() as db:
            (number,) = db.execute(
                "SELECT coalesce(max(number), 0) + 1 FROM prompt_versions WHERE prompt_id = ?", (prompt_id,)
            ).fetchone()
            self.store.insert(
                "prompt_versions",
                {
                    "id": version_id,
                    "prompt_id": prompt_id,
                    "number": number,
                    "content": content,
                    "source": source,
                    "model": model,
                    "tokens": tokens,
                    "cost": cost,
                    "created_at": now,
                    "metadata": json.dumps(metadata or {}),
                },
            )
            db.execute(
                "UPDATE prompts SET content = ?, model = ?, tokens_used = ?, cost = ?, version = ?, updated_at = ?"
                " WHERE id = ?",
                (content, model, tokens, cost, number, now, prompt_id),
            )
        return self.get(version_id)

    def for_prompt(self, prompt_id: str) -> list[PromptVersion]:
        """Oldest first."""
        rows = self.store.query("SELECT * FROM prompt_versions WHERE prompt_id = ? ORDER BY number", (prompt_id,))
        return [PromptVersion.from_row(r) for r in rows]

    def number(self, prompt_id: str, number: int | None = None) -> PromptVersion | None:
        """Version `number` of the prompt (None: the latest), or None if it has no such version."""
        if number is None:
            rows = self.store.query(
                "SELECT * FROM prompt_versions WHERE prompt_id = ? ORDER BY number DESC LIMIT 1", (prompt_id,)
            )
        else:
            rows = self.store.query(
                "SELECT * FROM prompt_versions WHERE prompt_id = ? AND number = ?", (prompt_id, number)
            )
        return PromptVersion.from_row(rows[0]) if rows else None
