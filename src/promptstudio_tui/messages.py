"""Textual messages: how the session, workers and widgets tell the main screen what happened.

Nothing running in the background touches a widget; it posts one of these and
the screen reacts in order on its own message queue.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message

from promptstudio_tui.catalog import Template
from promptstudio_tui.events import (
    CaseDone,
    CaseStarted,
    CompareDone,
    PromptReady,
    ReplyDone,
    ReplyStarted,
    RunDone,
    RunStarted,
    TestDone,
    UserMessageSaved,
)
from promptstudio_tui.session import Flight, FlightEnded
from promptstudio_tui.store.records import Conversation

# -- from the session -------------------------------------------------------------


@dataclass
class FlightStep(Message):
    """A step of a reply, a prompt generation or a workshop run (the session has applied it already)."""

    flight: Flight
    event: (
        UserMessageSaved
        | ReplyStarted
        | ReplyDone
        | PromptReady
        | RunStarted
        | RunDone
        | CaseStarted
        | CaseDone
        | TestDone
        | CompareDone
    )


@dataclass
class FlightText(Message):
    """More text arrived in a flight; the screen reads what is new from the flight itself.

    Carrying no text, one of these can stand for any number in a row: while the screen
    is busy drawing, the deltas that arrive meanwhile are drawn together.
    """

    flight: Flight

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, FlightText) and message.flight is self.flight


@dataclass
class FlightOver(Message):
    ended: FlightEnded


# -- from workers -----------------------------------------------------------------


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


@dataclass
class PromptChosen(Message):
    """A prompt picked from the prompt list, to show at its newest version."""

    prompt_id: str


@dataclass
class ImportRequested(Message):
    """The welcome entry "Improve a prompt I already have"."""


@dataclass
class MatrixRowChosen(Message):
    """Enter on a row of the test or compare matrix: show that input's outputs and reasons."""

    key: str
