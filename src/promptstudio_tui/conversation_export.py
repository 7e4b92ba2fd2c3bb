"""A conversation as a file: Markdown to read, or JSON for other tools. Pure: records in, text out.

The JSON shape (`"format": "promptstudio.conversation"`, `"version": 1`):

    {
      "format": "promptstudio.conversation", "version": 1,
      "id": "...", "title": "...", "category": "...", "tags": ["..."],
      "status": "active" | "archived", "starred": false,
      "created_at": "...", "updated_at": "...",          (ISO 8601, UTC)
      "messages": [
        {"id": "...", "role": "user" | "assistant", "content": "...",
         "state": "complete" | "interrupted" | "error", "error": null | "...",
         "model": null | "...", "created_at": "...",
         "prompt_tokens": 0, "completion_tokens": 0}
      ]
    }

Messages are oldest first and carry exactly what was stored: a reply that was cut off
keeps its partial text and says so in `state` (and `error`), in both formats.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from promptstudio_tui.store.records import Conversation, Message

FORMATS = ("md", "json")
SHAPE = "promptstudio.conversation"
SHAPE_VERSION = 1

_ROLES = {"user": "You", "assistant": "Assistant"}
_MARKS = {"interrupted": "interrupted", "error": "failed", "streaming": "still streaming"}


def conversation_text(conversation: Conversation, messages: Sequence[Message], fmt: str) -> str:
    """The conversation in `fmt`; ValueError names the formats for any other."""
    if fmt == "md":
        return _markdown(conversation, messages)
    if fmt == "json":
        return json.dumps(conversation_data(conversation, messages), indent=2, ensure_ascii=False) + "\n"
    raise ValueError(f"Unknown export format {fmt!r}; use {' or '.join(FORMATS)}.")


def conversation_data(conversation: Conversation, messages: Sequence[Message]) -> dict[str, Any]:
    return {
        "format": SHAPE,
        "version": SHAPE_VERSION,
        "id": conversation.id,
        "title": conversation.title,
        "category": conversation.category,
        "tags": list(conversation.tags),
        "status": conversation.status,
        "starred": conversation.is_starred,
        "created_at": conversation.created_at,
        "updated_at": conversation.updated_at,
        "messages": [
            {
                "id": m.id,
                "role": m.role,
                "content": m.content,
                "state": m.state,
                "error": m.error,
                "model": m.model,
                "created_at": m.created_at,
                "prompt_tokens": m.prompt_tokens,
                "completion_tokens": m.completion_tokens,
            }
            for m in messages
        ],
    }


def _markdown(conversation: Conversation, messages: Sequence[Message]) -> str:
    meta = [f"- Category: {conversation.category}", f"- Created: {_when(conversation.created_at)}"]
    if conversation.tags:
        meta.append(f"- Tags: {', '.join(conversation.tags)}")
    parts = [f"# {conversation.title}\n\n" + "\n".join(meta) + "\n"]
    for m in messages:
        heading = [_ROLES.get(m.role, m.role.capitalize())]
        if m.role == "assistant" and m.model:
            heading.append(m.model)
        heading.append(_when(m.created_at))
        if m.state in _MARKS:
            heading.append(_MARKS[m.state])
        body = m.content.rstrip("\n") or "*(no text)*"
        note = f"\n\n> {m.error}" if m.error else ""
        parts.append(f"## {' · '.join(heading)}\n\n{body}{note}\n")
    return "\n".join(parts)


def _when(timestamp: str) -> str:
    """2026-03-14T15:09:26.123+00:00 -> 2026-03-14 15:09 UTC (stored times are UTC)."""
    return f"{timestamp[:16].replace('T', ' ')} UTC" if len(timestamp) >= 16 else timestamp
