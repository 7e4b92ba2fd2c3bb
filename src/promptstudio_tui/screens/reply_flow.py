"""The reply flow: send, retry and stop, and drawing what the session reports.

The session runs the requests; this turns its reports into Textual messages and
draws them: the chat log for the conversation on screen, the header's state, and
a refusal where the user looks (with the unsent text given back).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.timer import Timer

from promptstudio_tui.events import PromptDelta, ReplyDelta, ReplyDone, ReplyStarted, RunDelta, UserMessageSaved
from promptstudio_tui.messages import FlightOver, FlightStep, FlightText
from promptstudio_tui.session import Busy, Flight, FlightEnded, Refused, SessionEvent

if TYPE_CHECKING:
    from promptstudio_tui.screens.main import StudioScreen

# How often the header's state is redrawn while something is in flight: the seconds a
# reply has waited for its first token (so a silent endpoint never looks like a frozen
# app), then tokens/s. A rate over less than this is noise, so it shows from then on.
TICK = 0.25
# Streamed text is drawn at most this often (20 times a second, smooth to read): the
# first text of a flight at once, what arrives within the interval together. Drawn per
# chunk (~100 a second at 600 tokens/s), the last block's markdown was parsed again for
# each one, and the app was busy 70 % of a core instead of ~47 % (bench, whatif coalesce).
REDRAW = 0.05


class ReplyFlow:
    def __init__(self, screen: StudioScreen) -> None:
        self.screen = screen
        self.session = screen.session
        self._drawn: dict[str, int] = {}  # reply id -> pieces of its text in the chat log
        self._ticker: Timer | None = None
        self._text_told: dict[str, float] = {}  # flight key -> when the screen was last told of new text
        self._text_due: dict[str, Timer] = {}  # flight key -> telling it of the text that came since

    def report(self, flight: Flight, event: SessionEvent) -> None:
        """The session's listener: runs in its tasks, so it only posts."""
        key = flight.conversation_id
        if isinstance(event, (ReplyDelta, PromptDelta, RunDelta)):
            if key not in self._text_due:
                wait = self._text_told.get(key, float("-inf")) + REDRAW - self.session.now()
                if wait > 0:
                    self._text_due[key] = self.screen.set_timer(wait, lambda: self._tell_text(flight))
                else:
                    self._tell_text(flight)
            return
        if key in self._text_due:  # the text before this event is drawn before it
            self._text_due[key].stop()
            self._tell_text(flight)
        if isinstance(event, FlightEnded):
            self._text_told.pop(key, None)
            self.screen.post_message(FlightOver(event))
        else:
            self.screen.post_message(FlightStep(flight, event))

    def _tell_text(self, flight: Flight) -> None:
        key = flight.conversation_id
        self._text_due.pop(key, None)
        self._text_told[key] = self.session.now()
        self.screen.post_message(FlightText(flight))

    # -- requests -------------------------------------------------------------------

    async def send(self, text: str) -> None:
        if not text.strip():
            return
        screen, session = self.screen, self.session
        conversation = session.conversation or await screen.conversations.open_new()
        if session.flight(conversation.id) is not None:
            self.warn_busy()  # the text stays in the composer
            return
        screen.composer.take(text)
        session.send(conversation.id, text)
        self.started()

    def retry(self) -> None:
        conversation = self.session.conversation
        if conversation is None:
            self.screen.notify("Open a conversation first.", severity="warning")
            return
        try:
            self.session.retry(conversation.id)
        except Busy:
            self.warn_busy()
        except Refused as exc:
            self.screen.notify(str(exc), severity="warning", markup=False)
        else:
            self.started()

    def warn_busy(self) -> None:
        self.screen.notify(
            f"This conversation is still streaming — wait, or press {self.screen.key_hint('studio.stop')} to stop it.",
            severity="warning",
            markup=False,
        )

    def started(self) -> None:
        """A request of the session started: Esc may stop it, the header follows it."""
        self.screen.refresh_bindings()
        self.show_state()
        if self._ticker is None:
            self._ticker = self.screen.set_interval(TICK, self.show_state)

    def show_state(self) -> None:
        """The header says what the conversation on screen is doing."""
        header, session = self.screen.header, self.session
        flight, now = session.flight(), session.now()
        if flight is None:
            header.set_state("idle")
        elif flight.kind == "prompt":
            header.set_state("generating", f"~{flight.completion_tokens:,} tokens" if flight.pieces else "")
        elif flight.state == "waiting":
            waited = flight.waited(now)
            stops = f"{waited:.0f} s · {self.screen.key_hint('studio.stop')} stops" if waited >= 1 else ""
            header.set_state("waiting", stops)
        else:
            rate = (
                flight.rate(now) if flight.first_token_at is not None and now - flight.first_token_at >= TICK else None
            )
            header.set_state("streaming", f"{rate:,.0f} tok/s" if rate is not None else "")
        if not session.flights() and self._ticker is not None:
            self._ticker.stop()
            self._ticker = None

    def live(self, conversation_id: str) -> dict[str, str]:
        """Reply id -> text so far of the conversation's streaming reply, for a chat log about to show it."""
        flight = self.session.flight(conversation_id)
        if flight is None or flight.kind != "reply" or flight.reply_id is None:
            return {}
        text, self._drawn[flight.reply_id] = flight.text_since(0)
        return {flight.reply_id: text}

    # -- what the session reports ---------------------------------------------------------

    async def step(self, message: FlightStep) -> None:
        event, flight = message.event, message.flight
        shown, chat, now = self.session.shown(flight.conversation_id), self.screen.chat, self.screen.clock()
        if isinstance(event, UserMessageSaved):
            if shown:
                await chat.add(event.message, now)
                self.screen.conversations.refresh_title()
        elif isinstance(event, ReplyStarted):
            self._drawn[event.message.id] = 0
            if shown:
                await chat.add(event.message, now)
                if event.omitted is not None:  # said where the turns were cut, not only in a toast
                    await chat.show_omitted(event.omitted.describe(), event.omitted.last_message_id)
        elif isinstance(event, ReplyDone):
            await self.text(flight)  # all of it, so the settled view is made of the pieces shown
            self._drawn.pop(event.message.id, None)
            if shown:
                await chat.finish(event.message, now)
            if event.message.state == "error":
                self.screen.notify(
                    event.message.error or "The reply failed.", severity="error", markup=False, timeout=8
                )
        self.show_state()

    async def text(self, flight: Flight) -> None:
        """Draw the text that arrived since the last look (any number of deltas at once)."""
        reply_id = flight.reply_id
        if reply_id is None or reply_id not in self._drawn or not self.session.shown(flight.conversation_id):
            return
        first = self._drawn[reply_id] == 0
        text, self._drawn[reply_id] = flight.text_since(self._drawn[reply_id])
        if text:
            await self.screen.chat.append(reply_id, text)
        if first:
            self.show_state()  # waiting -> streaming at once, not at the next tick

    async def over(self, ended: FlightEnded) -> None:
        screen = self.screen
        shown = self.session.shown(ended.conversation_id)
        screen.refresh_bindings()
        self.show_state()
        if ended.error:
            await self._show_refusal(ended, shown)
        screen.conversation_list.reload()
        screen.show_settings()

    async def _show_refusal(self, ended: FlightEnded, shown: bool) -> None:
        """A reply that never started: say why where the user looks, and give back unsent text."""
        error = ended.error or ""
        if ended.unsent:
            if shown:
                self.screen.restore_draft(ended.conversation_id)
        else:
            error += f" Your message is saved; press {self.screen.key_hint('studio.retry')} to try again."
        if shown:
            await self.screen.chat.show_notice(f"⚠ {error}")
        self.screen.notify(error, severity="error", markup=False, timeout=10)
