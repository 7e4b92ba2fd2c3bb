"""The service's vocabulary: what a request streams to the TUI and the CLI, and how it refuses.

Plain frozen dataclasses, so the session model, the screens and the CLI share them
without importing the service itself.
"""

from __future__ import annotations

from dataclasses import dataclass

from promptstudio_tui.quota import QuotaStatus
from promptstudio_tui.store.records import BreakdownRow, DayUsage, Message, Prompt, PromptVersion
from promptstudio_tui.workshop.diff import WordDiff


class StudioError(Exception):
    """A refusal or failure to show the user as one sentence with the next step."""


# -- events streamed to the TUI and the CLI --------------------------------------


@dataclass(frozen=True)
class UserMessageSaved:
    message: Message


@dataclass(frozen=True)
class Omitted:
    """Turns of a conversation that a chat request could not carry: one run in the middle."""

    count: int
    first_message_id: str  # the oldest turn left out
    last_message_id: str  # the newest turn left out

    def describe(self) -> str:
        noun = "turn" if self.count == 1 else "turns"
        return f"{self.count} earlier {noun} not sent to the model"


@dataclass(frozen=True)
class ReplyStarted:
    message: Message  # the empty assistant row, state "streaming"
    omitted: Omitted | None = None  # None: the request carries every turn


@dataclass(frozen=True)
class ReplyDelta:
    message_id: str
    text: str
    completion_tokens: int  # running estimate, for a live tokens/s


@dataclass(frozen=True)
class ReplyDone:
    message: Message  # final state: complete, interrupted or error


@dataclass(frozen=True)
class PromptDelta:
    text: str  # what the user may see: the model's planning is never in it
    completion_tokens: int
    planning: bool = False  # the model is planning (its plan is hidden): say so while text is empty


@dataclass(frozen=True)
class PromptReady:
    prompt: Prompt  # as it now stands: its content is the new version's
    version: PromptVersion  # the version this request made


@dataclass(frozen=True)
class VersionDiff:
    """What changed from one version of a prompt to another."""

    old: PromptVersion
    new: PromptVersion
    words: WordDiff


StudioEvent = UserMessageSaved | ReplyStarted | ReplyDelta | ReplyDone | PromptDelta | PromptReady


@dataclass(frozen=True)
class UsageReport:
    quota: QuotaStatus
    days: list[DayUsage]
    by_type: list[BreakdownRow]
    by_model: list[BreakdownRow]
