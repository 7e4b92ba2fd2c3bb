"""Textual messages: how workers and widgets tell the studio screen what happened.

Workers never touch widgets; they post one of these and the screen reacts in
order on its own message queue.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message

from promptstudio_tui.catalog import Template
from promptstudio_tui.store.records import Conversation
from promptstudio_tui.studio import PromptDelta, PromptReady, ReplyDelta, ReplyDone, ReplyStarted, UserMessageSaved


# -- from workers -----------------------------------------------------------------


@dataclass
class ReplyUpdate(Message):
    """One event of a send or retry stream."""

    conversation_id: str
    event: UserMessageSaved | ReplyStarted | ReplyDelta | ReplyDone


@dataclass
class ReplyEnded(Message):
    """The reply worker stopped: finished, cancelled (reply_id set, no ReplyDone) or refused."""

    conversation_id: str
    reply_id: str | None = None
    error: str | None = None


@dataclass
class PromptUpdate(Message):
    conversation_id: str
    event: PromptDelta | PromptReady


@dataclass
class PromptEnded(Message):
    conversation_id: str
    error: str | None = None


@dataclass
class ConversationsLoaded(Message):
    """A page of the conversation list, tagged with the request it answers."""

    generation: int
    offset: int
    rows: list[Conversation]
    total: int | None
    error: str | None = None


# -- from widgets -----------------------------------------------------------------


@dataclass
class OpenConversation(Message):
    conversation_id: str


@dataclass
class StartFromTemplate(Message):
    template: Template


@dataclass
class SendRequested(Message):
    text: str


@dataclass
class ListChanged(Message):
    """Tab, sort or search of the conversation list changed (to persist and re-query)."""

    tab: str
    sort: str
