"""Messages: every user turn and every reply, with the reply's final state."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

from promptstudio_tui.ids import utc_now
from promptstudio_tui.store.owner import LAST_RESORT, is_gone, this_process
from promptstudio_tui.store.records import Message
from promptstudio_tui.store.repository import Repository


class Messages(Repository[Message]):
    table = "messages"
    record = staticmethod(Message.from_row)

    def add(
        self,
        conversation_id: str,
        role: str,
        content: str,
        *,
        state: str = "complete",
        model: str | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> Message:
        now = utc_now()
        metadata = metadata or {}
        row: dict[str, object] = {
            "conversation_id": conversation_id,
            "role": role,
            "content": content,
            "state": state,
            "model": model,
            "metadata": json.dumps(metadata),
            "created_at": now,
            "updated_at": now,
        }
        message = Message(
            id=self.insert_in_order("conversation_id", row),  # after every message already in it
            conversation_id=conversation_id,
            role=role,
            content=content,
            state=state,
            error=None,
            model=model,
            prompt_tokens=0,
            completion_tokens=0,
            cost=None,
            created_at=now,
            metadata=metadata,
        )
        return message  # exactly the row as stored (the other columns take their defaults)

    def start_reply(self, conversation_id: str, model: str) -> Message:
        """An empty assistant row marked streaming and owned by this process, so a
        crash leaves a row that the next start can mark interrupted."""
        return self.add(
            conversation_id,
            "assistant",
            "",
            state="streaming",
            model=model,
            metadata={"owner": this_process(self.store.path)},
        )

    def for_conversation(
        self, conversation_id: str, *, limit: int | None = None, before: str | None = None
    ) -> list[Message]:
        """Oldest first, in the order written (ids: see `add`). With `limit`, the newest
        `limit` messages (older ones on demand via `before`)."""
        sql = "SELECT * FROM messages WHERE conversation_id = ?"
        params: list[Any] = [conversation_id]
        if before is not None:
            sql += " AND id < ?"
            params.append(before)
        if limit is None:
            rows = self.store.query(sql + " ORDER BY id", tuple(params))
        else:
            rows = self.store.query(sql + " ORDER BY id DESC LIMIT ?", (*params, limit))[::-1]
        return [Message.from_row(r) for r in rows]

    def context_turns(self, conversation_id: str) -> list[dict[str, str]]:
        """What the model sees, oldest first: user turns and complete replies.

        Failed and interrupted replies are kept for the user but are not context.
        Plain dicts straight from SQL: this runs before every request.
        """
        return [turn for _, turn in self.context_rows(conversation_id)]

    def context_rows(self, conversation_id: str) -> list[tuple[str, dict[str, str]]]:
        """The context turns with their message ids, to say which turns a request carried."""
        rows = self.store.query(
            "SELECT id, role, content FROM messages WHERE conversation_id = ? AND (role = 'user'"
            " OR (role = 'assistant' AND state = 'complete' AND content <> '')) ORDER BY id",
            (conversation_id,),
        )
        return [(message_id, {"role": role, "content": content}) for message_id, role, content in rows]

    def count(self, conversation_id: str) -> int:
        return self.store.query("SELECT count(*) FROM messages WHERE conversation_id = ?", (conversation_id,))[0][0]

    def save_partial(self, message_id: str, content: str) -> None:
        with self.store.write() as db:
            db.execute("UPDATE messages SET content = ?, updated_at = ? WHERE id = ?", (content, utc_now(), message_id))

    def finish(
        self,
        message_id: str,
        *,
        content: str,
        state: str,
        error: str | None = None,
        prompt_tokens: int = 0,
        completion_tokens: int = 0,
        cost: int | None = None,
    ) -> None:
        """Final state of a reply; call inside the caller's transaction with the usage row."""
        with self.store.write() as db:
            db.execute(
                "UPDATE messages SET content = ?, state = ?, error = ?, prompt_tokens = ?,"
                " completion_tokens = ?, cost = ?, updated_at = ? WHERE id = ?",
                (content, state, error, prompt_tokens, completion_tokens, cost, utc_now(), message_id),
            )

    def delete(self, message_id: str) -> None:
        with self.store.write() as db:
            db.execute("DELETE FROM messages WHERE id = ?", (message_id,))

    def recover_orphans(self) -> int:
        """Replies left 'streaming' by a process that no longer runs become 'interrupted'
        (a row silent for longer than any request waits, when its owner cannot be judged)."""
        silent_since = (datetime.now(timezone.utc) - LAST_RESORT).isoformat(timespec="microseconds")
        orphaned = [
            row["id"]
            for row in self.store.query("SELECT id, metadata, updated_at FROM messages WHERE state = 'streaming'")
            if is_gone(json.loads(row["metadata"] or "{}").get("owner", {}), self.store.path)
            or row["updated_at"] < silent_since
        ]
        if not orphaned:
            return 0
        with self.store.write() as db:
            for message_id in orphaned:
                db.execute(
                    "UPDATE messages SET state = 'interrupted', error = ?, updated_at = ? WHERE id = ? AND state = 'streaming'",
                    ("The app stopped while this reply was streaming.", utc_now(), message_id),
                )
        return len(orphaned)
