"""Editing, regenerating and deleting messages without losing any turn.

A conversation is a tree of messages (store/messages.py): an edited user message is
sent as a sibling of the original and a regenerated reply is a sibling of the old one,
so the turns after the original stay as a branch the user can step back to. The branch
on screen is what every read of the conversation follows: the chat, the context of the
next request, ctrl+g's prompt and exports.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncGenerator
from typing import TYPE_CHECKING

from promptstudio_tui.events import StudioError, StudioEvent
from promptstudio_tui.store.messages import HEAD, Head
from promptstudio_tui.store.records import Conversation, Message
from promptstudio_tui.studio_base import StudioBase


class MessageBranches(StudioBase):
    if TYPE_CHECKING:

        def _reply(self, conversation_id: str, parent: str | Head = HEAD) -> AsyncGenerator[StudioEvent, None]: ...

        def _post(
            self, conversation: Conversation, text: str, parent: str | Head | None = HEAD
        ) -> AsyncGenerator[StudioEvent, None]: ...

    async def edit_and_resend(self, message_id: str, text: str) -> AsyncGenerator[StudioEvent, None]:
        """Send `text` in place of a user message; the turns after the original become a branch."""
        if not text.strip():
            raise StudioError("Type a message first.")
        original = self._existing(message_id)
        if original.role != "user":
            raise StudioError("Only your own messages can be edited; a reply can be regenerated.")
        conversation = self._conversations.get(original.conversation_id)
        async with contextlib.aclosing(self._post(conversation, text, parent=original.parent_id)) as events:
            async for event in events:
                yield event

    async def regenerate(self, message_id: str) -> AsyncGenerator[StudioEvent, None]:
        """A new answer to the turn a reply answered; the old reply stays as an alternative."""
        reply = self._existing(message_id)
        if reply.role != "assistant" or reply.parent_id is None:
            raise StudioError("Only a reply can be regenerated; your own message can be edited.")
        if reply.state == "streaming":
            raise StudioError("This reply is still streaming.")
        async with contextlib.aclosing(self._reply(reply.conversation_id, reply.parent_id)) as replies:
            async for event in replies:
                yield event

    def delete_message(self, message_id: str) -> None:
        """Remove one message; what followed it follows the message before it."""
        message = self._existing(message_id)
        if message.state == "streaming":
            raise StudioError("A reply cannot be deleted while it streams; stop it first.")
        with self._store.write():  # the message and the list's preview of the branch, together
            self._messages.delete(message_id)
            self._note_head(message.conversation_id)

    def alternatives(self, message_id: str) -> tuple[int, int]:
        """(place from 1, how many) among the message's alternatives; (1, 1) when it has none."""
        siblings = self._messages.alternatives(message_id)
        return (siblings.index(message_id) + 1 if message_id in siblings else 1, max(1, len(siblings)))

    def alternative_counts(self, message_ids: list[str]) -> dict[str, tuple[int, int]]:
        """`alternatives` for the messages on screen that have any, in one read."""
        return self._messages.alternative_counts(message_ids)

    def switch_alternative(self, message_id: str, step: int) -> Message:
        """Show the alternative `step` places from this message (stopping at the first and
        the last), with the newest branch below it; returns the alternative now shown."""
        siblings = self._messages.alternatives(message_id)
        if message_id not in siblings:
            raise StudioError("That message is gone; the conversation changed elsewhere.")
        place = min(max(siblings.index(message_id) + step, 0), len(siblings) - 1)
        with self._store.write():
            self._messages.show_branch(siblings[place])
            self._note_head(self._messages.get(message_id).conversation_id)
        return self._messages.get(siblings[place])

    def _note_head(self, conversation_id: str) -> None:
        """The list's preview follows the branch on screen (its newest message)."""
        newest = self._messages.for_conversation(conversation_id, limit=1)
        self._conversations.note_message(conversation_id, newest[0].content if newest else "", unread=False)

    def _existing(self, message_id: str) -> Message:
        try:
            return self._messages.get(message_id)
        except KeyError:
            raise StudioError("That message is gone; the conversation changed elsewhere.") from None
