"""Messages: every user turn and every reply, with the reply's final state.

A conversation's messages form a tree (m009): each follows its `parent_id`, and editing a
user message or regenerating a reply adds a sibling instead of replacing anything. The
conversation's `head_id` is the newest message of the branch on screen (always a leaf), and
every read that means "the conversation" walks from it to the first message. Along a branch
ids grow (a message is written after the one it follows), so id order is branch order.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

from promptstudio_tui.ids import utc_now
from promptstudio_tui.store.owner import LAST_RESORT, is_gone, this_process
from promptstudio_tui.store.records import Message
from promptstudio_tui.store.repository import Repository


class Head:
    """Marker for "after the conversation's head" (None means "first in the conversation")."""


HEAD = Head()

# The branch ending at :start, walked back to the first message by primary key; `depth`
# bounds the walk for a page (NULL walks it all).
_BRANCH = (
    "WITH RECURSIVE branch(id, parent_id, depth) AS ("
    " SELECT id, parent_id, 1 FROM messages WHERE id = {start}"
    " UNION ALL SELECT m.id, m.parent_id, b.depth + 1 FROM branch b JOIN messages m ON m.id = b.parent_id"
    " WHERE :depth IS NULL OR b.depth < :depth) "
)
_HEAD = "(SELECT head_id FROM conversations WHERE id = :conversation)"
# The newest message at or below :below (a leaf: its children would be newer), or the
# conversation's newest when :below is NULL.
_NEWEST_LEAF = (
    "WITH RECURSIVE below(id) AS (SELECT :below UNION ALL SELECT m.id FROM below b"
    " JOIN messages m ON m.conversation_id = :conversation AND m.parent_id = b.id)"
    " SELECT CASE WHEN :below IS NULL THEN (SELECT max(id) FROM messages WHERE conversation_id = :conversation)"
    " ELSE (SELECT max(id) FROM below) END"
)


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
        parent: str | Head | None = HEAD,
        tokens: int = 0,
    ) -> Message:
        """A message following `parent` (by default the head); it becomes the head.

        `tokens`: a user message's exact size for its model (0: not known exactly), so its
        header shows the number the composer and `promptstudio tokens` gave."""
        now = utc_now()
        metadata = metadata or {}
        row: dict[str, object] = {
            "conversation_id": conversation_id,
            "role": role,
            "content": content,
            "state": state,
            "model": model,
            "metadata": json.dumps(metadata),
            "prompt_tokens": tokens,
            "created_at": now,
            "updated_at": now,
        }
        with self.store.write():  # the head read, the row and the new head commit together
            row["parent_id"] = self.head(conversation_id) if isinstance(parent, Head) else parent
            message_id = self.insert_in_order("conversation_id", row)  # after every message already in it
            self._set_head(conversation_id, message_id)
        message = Message(
            id=message_id,
            conversation_id=conversation_id,
            role=role,
            content=content,
            state=state,
            error=None,
            model=model,
            prompt_tokens=tokens,
            completion_tokens=0,
            cost=None,
            created_at=now,
            metadata=metadata,
            parent_id=row["parent_id"],  # type: ignore[arg-type]
        )
        return message  # exactly the row as stored (the other columns take their defaults)

    def start_reply(self, conversation_id: str, model: str, parent: str | Head = HEAD) -> Message:
        """An empty assistant row marked streaming and owned by this process, so a
        crash leaves a row that the next start can mark interrupted."""
        return self.add(
            conversation_id,
            "assistant",
            "",
            state="streaming",
            model=model,
            metadata={"owner": this_process(self.store.path)},
            parent=parent,
        )

    def for_conversation(
        self, conversation_id: str, *, limit: int | None = None, before: str | None = None
    ) -> list[Message]:
        """The branch on screen, oldest first. With `limit`, its newest `limit` messages
        (older ones on demand via `before`, a message of the branch)."""
        start = _HEAD if before is None else "(SELECT parent_id FROM messages WHERE id = :before)"
        rows = self.store.query(
            _BRANCH.format(start=start) + "SELECT m.* FROM branch JOIN messages m ON m.id = branch.id ORDER BY m.id",
            {"conversation": conversation_id, "before": before, "depth": limit},
        )
        return [Message.from_row(r) for r in rows]

    def context_turns(self, conversation_id: str) -> list[dict[str, str]]:
        """What the model sees, oldest first: user turns and complete replies.

        Failed and interrupted replies are kept for the user but are not context.
        Plain dicts straight from SQL: this runs before every request.
        """
        return [turn for _, turn in self.context_rows(conversation_id)]

    def context_rows(self, conversation_id: str, through: str | Head = HEAD) -> list[tuple[str, dict[str, str]]]:
        """The context turns with their message ids, to say which turns a request carried:
        the branch on screen, or the one ending at `through`."""
        start = _HEAD if isinstance(through, Head) else ":through"
        rows = self.store.query(
            _BRANCH.format(start=start)
            + "SELECT m.id, m.role, m.content FROM branch JOIN messages m ON m.id = branch.id"
            " WHERE m.role = 'user' OR (m.role = 'assistant' AND m.state = 'complete' AND m.content <> '') ORDER BY m.id",
            {"conversation": conversation_id, "through": None if isinstance(through, Head) else through, "depth": None},
        )
        return [(message_id, {"role": role, "content": content}) for message_id, role, content in rows]

    def count(self, conversation_id: str) -> int:
        """Messages on the branch on screen."""
        sql = _BRANCH.format(start=_HEAD) + "SELECT count(*) FROM branch"
        return self.store.query(sql, {"conversation": conversation_id, "depth": None})[0][0]

    # -- the tree ---------------------------------------------------------------

    def head(self, conversation_id: str) -> str | None:
        rows = self.store.query("SELECT head_id FROM conversations WHERE id = ?", (conversation_id,))
        return rows[0][0] if rows else None

    def _set_head(self, conversation_id: str, message_id: str | None) -> None:
        with self.store.write() as db:
            db.execute("UPDATE conversations SET head_id = ? WHERE id = ?", (message_id, conversation_id))

    def _newest_leaf(self, conversation_id: str, below: str | None) -> str | None:
        return self.store.query(_NEWEST_LEAF, {"conversation": conversation_id, "below": below})[0][0]

    def show_branch(self, message_id: str) -> None:
        """Put the branch through `message_id` on screen: the head becomes its newest leaf."""
        with self.store.write():
            message = self.get(message_id)
            self._set_head(message.conversation_id, self._newest_leaf(message.conversation_id, message_id))

    def alternatives(self, message_id: str) -> list[str]:
        """The message and its siblings of the same role (edits of one turn, regenerated
        replies), oldest first."""
        rows = self.store.query(
            "SELECT s.id FROM messages m JOIN messages s ON s.conversation_id = m.conversation_id"
            " AND s.parent_id IS m.parent_id AND s.role = m.role WHERE m.id = ? ORDER BY s.id",
            (message_id,),
        )
        return [r[0] for r in rows]

    def alternative_counts(self, message_ids: list[str]) -> dict[str, tuple[int, int]]:
        """For each of these messages that has alternatives: (its place from 1, how many)."""
        if not message_ids:
            return {}
        marks = ", ".join("?" * len(message_ids))
        rows = self.store.query(
            "SELECT m.id, sum(s.id <= m.id), count(*) FROM messages m JOIN messages s"
            " ON s.conversation_id = m.conversation_id AND s.parent_id IS m.parent_id AND s.role = m.role"
            f" WHERE m.id IN ({marks}) GROUP BY m.id HAVING count(*) > 1",
            tuple(message_ids),
        )
        return {r[0]: (r[1], r[2]) for r in rows}

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
        """Remove one message; the ones that followed it follow its parent instead, so no
        branch loses more than that message. At a branch point they join its parent's other
        children (a deleted edit's replies become alternatives there). When it was the head,
        the head becomes the newest leaf below its parent."""
        with self.store.write() as db:
            message = self.get(message_id)
            conversation_id = message.conversation_id
            db.execute(
                "UPDATE messages SET parent_id = ? WHERE conversation_id = ? AND parent_id = ?",
                (message.parent_id, conversation_id, message_id),
            )
            db.execute("DELETE FROM messages WHERE id = ?", (message_id,))
            if self.head(conversation_id) == message_id:
                self._set_head(conversation_id, self._newest_leaf(conversation_id, message.parent_id))

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
