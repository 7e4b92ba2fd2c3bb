"""What lets the studio pick up where the user left it: the conversation that was open,
and the draft typed in each conversation and not sent.

Both are small UI state kept in the preferences. A draft typed with no conversation
open has a key of its own; it goes with the next new conversation.
"""

from __future__ import annotations

from promptstudio_tui.studio_base import StudioBase

OPEN_KEY = "ui.open_conversation"


def _draft_key(conversation_id: str | None) -> str:
    return f"draft:{conversation_id or ''}"


class Resume(StudioBase):
    def draft(self, conversation_id: str | None) -> str:
        """The text typed in a conversation (None: with none open) and not sent; "" if none."""
        text = self._preferences.get(_draft_key(conversation_id), "")
        return text if isinstance(text, str) else ""

    def save_draft(self, conversation_id: str | None, text: str) -> None:
        """Keep the unsent text of a conversation; an empty text drops its draft."""
        key = _draft_key(conversation_id)
        if text:
            self._preferences.set(key, text)
        else:
            self._preferences.forget(key)

    def remember_open(self, conversation_id: str | None) -> None:
        """The conversation on screen (None: the welcome), to reopen at the next start."""
        self._preferences.set(OPEN_KEY, conversation_id)

    def last_open(self) -> str | None:
        """The conversation on screen when the studio last stopped, if it is still there and not archived."""
        conversation_id = self._preferences.get(OPEN_KEY)
        if not isinstance(conversation_id, str):
            return None
        try:
            conversation = self._conversations.get(conversation_id)
        except KeyError:
            return None
        return conversation_id if conversation.status == "active" else None
