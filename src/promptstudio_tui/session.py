"""The session: what the main screen shows and what is in flight, without Textual.

It holds the one open conversation, one request in flight per conversation (a reply
or a prompt generation) with the text streamed so far, and each conversation's draft:
what was typed and not sent, and text sent that the studio never saved (a refused
send goes back into the draft, before what was typed after it). Each flight runs as an asyncio task driven by
the studio's events; the session applies every event to its state, then tells its
listener, which only ever posts a message (the screen never hears from a task
directly). Stop cancels the flight of the conversation on screen: the cancel lands
inside the studio's stream, which keeps the text and marks the reply interrupted.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncGenerator, Callable
from contextlib import aclosing
from dataclasses import dataclass, field
from typing import Literal

from promptstudio_tui.errors import describe
from promptstudio_tui.events import (
    PromptDelta,
    ReplyDelta,
    ReplyDone,
    ReplyStarted,
    RunDelta,
    RunEvent,
    StudioError,
    StudioEvent,
    TestEvent,
    UserMessageSaved,
)
from promptstudio_tui.sanitize import one_line
from promptstudio_tui.store.records import Conversation, Prompt
from promptstudio_tui.studio import Studio

FlightKind = Literal["reply", "prompt", "try", "test", "compare"]
WORKSHOP_KINDS = ("try", "test", "compare")  # the prompt workshop's runs: one at a time, in the pane
FlightState = Literal["waiting", "streaming", "generating"]
GENERATION_STOPPED = "Generation stopped; nothing was saved."


def failure_text(exc: BaseException) -> str:
    """One sentence for the user; a programming error still gets a sentence, never a traceback."""
    return describe(exc) or f"Something went wrong ({type(exc).__name__}: {one_line(str(exc), 160)})."


def refine_key(prompt: Prompt) -> str:
    """Where a refine of `prompt` flies: its conversation, or its own id for a prompt without one."""
    return prompt.conversation_id or prompt.id


class Busy(Exception):
    """This conversation already has a request in flight (a reply or a prompt)."""


class Refused(StudioError):
    """The session will not start this request; the message says why."""


@dataclass(frozen=True)
class FlightEnded:
    """A flight is over. Its reply, if one started, has settled; `error` says why
    a request failed without a reply row (refused, unreachable before the row, stopped)."""

    conversation_id: str
    kind: FlightKind
    reply_id: str | None
    error: str | None
    unsent: bool = False  # the text sent was never saved: it went back into the draft
    stopped: bool = False  # a workshop run stopped by the user (what finished is stored)


SessionEvent = StudioEvent | RunEvent | TestEvent | FlightEnded


@dataclass
class Flight:
    """One request in flight: a reply (waiting, then streaming) or a prompt generation."""

    conversation_id: str
    kind: FlightKind
    started_at: float  # on the session's clock
    state: FlightState
    reply_id: str | None = None
    first_token_at: float | None = None
    completion_tokens: int = 0  # running estimate
    error: str | None = None
    settled: bool = False  # the studio sent the reply's final row
    planning: bool = False  # a generation's model is planning (its plan is never shown)
    prompt_id: str | None = None  # a workshop run's prompt
    # Pieces as they arrived: a reader takes what came since its last look, without
    # joining the whole (possibly huge) text each time.
    pieces: list[str] = field(default_factory=list)

    def text_since(self, seen: int = 0) -> tuple[str, int]:
        """The text of the pieces after the first `seen`, and how many pieces there are now."""
        return "".join(self.pieces[seen:]), len(self.pieces)

    @property
    def text(self) -> str:
        return self.text_since()[0]

    def waited(self, now: float) -> float:
        """Seconds since the request was made."""
        return now - self.started_at

    def rate(self, now: float) -> float | None:
        """Tokens per second since the first token; None until a measurable time has passed."""
        if self.first_token_at is None or now <= self.first_token_at:
            return None
        return self.completion_tokens / (now - self.first_token_at)


Listener = Callable[[Flight, SessionEvent], None]  # told after the session applied the event


class Session:
    def __init__(self, studio: Studio, listener: Listener | None = None, clock: Callable[[], float] = time.monotonic):
        self.studio = studio
        self.listener: Listener = listener or (lambda flight, event: None)
        self._clock = clock
        self._conversation: Conversation | None = None
        self._flights: dict[str, Flight] = {}
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._unsent: dict[str, str] = {}  # text sent and not saved yet, by conversation
        self._typed = ""  # the open conversation's draft (with none open: the next new one's)
        self._saved = ""  # ... as the studio last stored it

    # -- the open conversation ------------------------------------------------

    @property
    def conversation(self) -> Conversation | None:
        return self._conversation

    def shown(self, conversation_id: str) -> bool:
        return self._conversation is not None and self._conversation.id == conversation_id

    def resume(self) -> Conversation | None:
        """On start: reopen the conversation open when the studio last stopped (if it is still
        there and not archived), else stay on none; either way with its draft."""
        conversation_id = self.studio.last_open()
        if conversation_id is not None:
            return self.open(conversation_id)
        self._load_draft()
        return None

    def open(self, conversation_id: str, *, carry_draft: bool = False) -> Conversation:
        """Show this conversation (it is read from now on; replies elsewhere count as unread).

        The draft of the one left is kept; `carry_draft` brings it along instead.
        """
        carried = self._set_aside(carry_draft)
        self._conversation = self.studio.open_conversation(conversation_id)
        self.studio.remember_open(conversation_id)
        self._load_draft(carried)
        return self._conversation

    def open_new(self, category: str = "General") -> Conversation:
        """A new conversation; text typed with none open goes with it."""
        new = self.studio.new_conversation(category=category)
        return self.open(new.id, carry_draft=self._conversation is None)

    def close(self) -> None:
        self._set_aside()
        self._conversation = None
        self.studio.close_conversation()
        self.studio.remember_open(None)
        self._load_draft()

    def reload(self) -> Conversation | None:
        """Read the open conversation again (its first message gives it a title)."""
        if self._conversation is not None:
            self._conversation = self.studio.conversation(self._conversation.id)
        return self._conversation

    def updated(self, conversation: Conversation) -> None:
        """A conversation was changed (renamed, starred...): keep the open one current."""
        if self.shown(conversation.id):
            self._conversation = conversation

    def deleted(self, conversation_id: str) -> None:
        """The conversation is gone, and its draft with it."""
        self._unsent.pop(conversation_id, None)
        self.studio.save_draft(conversation_id, "")
        if self.shown(conversation_id):
            self._typed = self._saved = ""
            self.close()

    # -- drafts -----------------------------------------------------------------

    @property
    def draft(self) -> str:
        """The open conversation's draft, for the composer (none open: the draft typed so)."""
        return self._typed

    def typed(self, text: str) -> None:
        """The composer's text now: the open conversation's draft, stored by `save_draft`."""
        self._typed = text

    def save_draft(self) -> None:
        """Store the open conversation's draft if it changed since it was last stored."""
        if self._typed != self._saved:
            self.studio.save_draft(self._conversation.id if self._conversation else None, self._typed)
            self._saved = self._typed

    def take_unsent(self, conversation_id: str) -> str:
        """Text sent in that conversation that was never saved (a refused send), once."""
        return self._unsent.pop(conversation_id, "")

    def _set_aside(self, carry: bool = False) -> str:
        """Store the draft of the conversation being left, or with `carry` clear it and return it."""
        conversation = self._conversation
        if conversation is not None and conversation.id not in self._flights:
            # A refused send the screen has not given back yet goes before what was typed after it.
            self._typed = self.take_unsent(conversation.id) + self._typed
        carried = ""
        if carry:
            carried, self._typed = self._typed, ""
        self.save_draft()
        return carried

    def _load_draft(self, carried: str = "") -> None:
        self._typed = self._saved = self.studio.draft(self._conversation.id if self._conversation else None)
        if carried:
            self._typed += carried
            self.save_draft()

    # -- what is in flight --------------------------------------------------------

    def flight(self, conversation_id: str | None = None) -> Flight | None:
        """The request in flight for a conversation (default: the one on screen)."""
        if conversation_id is None:
            conversation_id = self._conversation.id if self._conversation else None
        return self._flights.get(conversation_id) if conversation_id else None

    def flights(self) -> list[Flight]:
        return list(self._flights.values())

    def generating(self) -> Flight | None:
        """The prompt generation in flight, wherever it is (one at a time: it has one pane)."""
        return next((f for f in self._flights.values() if f.kind == "prompt"), None)

    def workshop(self) -> Flight | None:
        """The prompt workshop's run in flight (a try, a test or a compare), wherever it is."""
        return next((f for f in self._flights.values() if f.kind in WORKSHOP_KINDS), None)

    def now(self) -> float:
        return self._clock()

    # -- requests ---------------------------------------------------------------

    def send(self, conversation_id: str, text: str, editing: str | None = None) -> Flight:
        """Send `text` in a conversation with nothing in flight (else Busy); with `editing`,
        in place of that user message (the turns after it are kept as a branch)."""
        self._check_idle(conversation_id)
        self._unsent[conversation_id] = text
        if self.shown(conversation_id):
            # Sent text leaves the draft now (after a crash it must not come back); keys typed
            # after it stay, as in the composer.
            self._typed = self._typed[len(text) :] if self._typed.startswith(text) else ""
            self.save_draft()
        events = (
            self.studio.send(conversation_id, text) if editing is None else self.studio.edit_and_resend(editing, text)
        )
        return self._start(conversation_id, "reply", events)

    def regenerate(self, conversation_id: str, message_id: str) -> Flight:
        """A new reply in place of this one, which stays as an alternative."""
        self._check_idle(conversation_id)
        return self._start(conversation_id, "reply", self.studio.regenerate(message_id))

    def retry(self, conversation_id: str) -> Flight:
        """Answer the conversation as it stands, unless its newest reply is fine."""
        self._check_idle(conversation_id)
        last = self.studio.history(conversation_id, limit=1)
        if not last or (last[-1].role == "assistant" and last[-1].state == "complete"):
            raise Refused("Nothing to retry: the last reply is complete.")
        return self._start(conversation_id, "reply", self.studio.retry(conversation_id))

    def generate(self, conversation_id: str) -> Flight:
        self.check_generate(conversation_id)
        return self._start(conversation_id, "prompt", self.studio.generate(conversation_id))

    def refine(self, prompt: Prompt, instruction: str) -> Flight:
        """The prompt's next version, changed as `instruction` says: a generation like ctrl+g's.

        It flies under the prompt's conversation (its own id for a prompt without one),
        so a reply and a refine of one conversation never run at once.
        """
        key = refine_key(prompt)
        self.check_generate(key)
        return self._start(key, "prompt", self.studio.refine(prompt.id, instruction))

    def check_generate(self, conversation_id: str) -> None:
        """Busy or Refused if a generation cannot start here now (before the pane is made ready for it)."""
        if self.generating() is not None:
            raise Refused("A prompt is already being generated.")
        self._check_idle(conversation_id)

    # -- the prompt workshop's runs (one at a time: they share the pane's Try view) ----------

    def try_run(self, prompt_id: str, version: int, values: dict[str, str], model: str | None = None) -> Flight:
        """Run a version, filled with `values`, against `model` (None: the configured one)."""
        return self._workshop("try", prompt_id, lambda: self.studio.run(prompt_id, version, values, model))

    def test(self, prompt_id: str, version: int, model: str | None = None) -> Flight:
        """Every case of the prompt against a version, graded."""
        return self._workshop("test", prompt_id, lambda: self.studio.test(prompt_id, version, model))

    def compare(
        self,
        prompt_id: str,
        *,
        versions: tuple[int, int] | None = None,
        models: tuple[str, str] | None = None,
    ) -> Flight:
        """Two versions or two models side by side on the prompt's cases (or its last input)."""
        return self._workshop(
            "compare", prompt_id, lambda: self.studio.compare(prompt_id, versions=versions, models=models)
        )

    def _workshop(self, kind: FlightKind, prompt_id: str, events: Callable[[], AsyncGenerator]) -> Flight:
        if self.workshop() is not None:
            raise Refused("A test or try-run is still going: wait, or stop it first.")
        flight = self._start(f"workshop:{prompt_id}", kind, events())
        flight.prompt_id = prompt_id
        return flight

    def stop_workshop(self) -> bool:
        """Stop the workshop's run (what finished is kept); False if none."""
        flight = self.workshop()
        if flight is None:
            return False
        self._tasks[flight.conversation_id].cancel()
        return True

    def stop(self, conversation_id: str | None = None) -> bool:
        """Cancel the request of a conversation (default: the one on screen); False if none."""
        flight = self.flight(conversation_id)
        if flight is None:
            return False
        self._tasks[flight.conversation_id].cancel()
        return True

    async def settled(self, conversation_id: str | None = None) -> None:
        """Until the conversation's flight (if any) has ended and been reported."""
        flight = self.flight(conversation_id)
        if flight is not None:
            task = self._tasks[flight.conversation_id]
            # Done-callbacks run in the order they were added: the report before this wakes.
            await asyncio.wait({task})

    async def aclose(self) -> None:
        """Stop everything in flight, wait until each reply has settled in the store, and store the draft."""
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks)
        self._set_aside()

    def _check_idle(self, conversation_id: str) -> None:
        if conversation_id in self._flights:
            raise Busy(conversation_id)

    def _start(self, conversation_id: str, kind: FlightKind, events: AsyncGenerator) -> Flight:
        state: FlightState = "generating" if kind == "prompt" else "waiting"
        flight = Flight(conversation_id, kind, self._clock(), state)
        self._flights[conversation_id] = flight
        task = asyncio.create_task(self._run(flight, events), name=f"{kind} in {conversation_id}")
        self._tasks[conversation_id] = task
        # A callback, not a `finally`: it runs even when the task is cancelled before it starts.
        task.add_done_callback(lambda done: self._land(flight, done))
        return flight

    async def _run(self, flight: Flight, events: AsyncGenerator) -> None:
        # Nothing here waits on the screen (the listener only posts): the stream is the
        # one thing this task awaits, so a cancel lands inside the studio's stream.
        try:
            async with aclosing(events) as stream:
                async for event in stream:
                    self._apply(flight, event)
                    self.listener(flight, event)
        except Exception as exc:  # noqa: BLE001 - shown to the user as one sentence
            flight.error = failure_text(exc)

    def _apply(self, flight: Flight, event: StudioEvent | RunEvent | TestEvent) -> None:
        if isinstance(event, UserMessageSaved):
            self._unsent.pop(flight.conversation_id, None)
        elif isinstance(event, ReplyStarted):
            flight.reply_id = event.message.id
        elif isinstance(event, (ReplyDelta, PromptDelta, RunDelta)):
            if isinstance(event, PromptDelta):
                flight.planning = event.planning and not event.text
            if flight.first_token_at is None:
                flight.first_token_at = self._clock()
            if flight.kind in ("reply", "try"):
                flight.state = "streaming"
            flight.pieces.append(event.text)
            flight.completion_tokens = event.completion_tokens
        elif isinstance(event, ReplyDone):
            flight.settled = True

    def _land(self, flight: Flight, task: asyncio.Task[None]) -> None:
        conversation_id = flight.conversation_id
        del self._flights[conversation_id], self._tasks[conversation_id]
        stopped = task.cancelled() and flight.kind in WORKSHOP_KINDS
        if task.cancelled():
            if flight.kind == "prompt":
                flight.error = GENERATION_STOPPED
            elif flight.reply_id is not None and not flight.settled:
                # The studio settled the row as the cancel passed through it, without
                # a ReplyDone: report the final row like any other ending.
                self.listener(flight, ReplyDone(self.studio.message(flight.reply_id)))
        unsent = conversation_id in self._unsent and flight.kind == "reply"
        if unsent and not self.shown(conversation_id):
            # Nobody looks at it: back into its stored draft, before what was typed after it.
            text = self._unsent.pop(conversation_id)
            self.studio.save_draft(conversation_id, text + self.studio.draft(conversation_id))
        self.listener(flight, FlightEnded(conversation_id, flight.kind, flight.reply_id, flight.error, unsent, stopped))
