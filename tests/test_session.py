"""The session model against the loopback endpoint: no Textual, no Pilot, no timing.

Each test listens to the session as the screen does and waits for the events it
expects (a timeout only guards against a hang; nothing asserts how long anything took).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest

from conftest import TEST_KEY
from loopback import LoopbackServer, Scenario
from promptstudio_tui.events import PromptReady, ReplyDelta, ReplyDone, UserMessageSaved
from promptstudio_tui.session import GENERATION_STOPPED, Busy, Flight, FlightEnded, Refused, Session, SessionEvent
from promptstudio_tui.studio import Studio

GUARD = 20  # seconds before a wait counts as a hang


class Recorder:
    """The session's listener: every (conversation id, event), and a way to wait for one."""

    def __init__(self) -> None:
        self.events: list[tuple[str, SessionEvent]] = []
        self._changed = asyncio.Event()

    def __call__(self, flight: Flight, event: SessionEvent) -> None:
        self.events.append((flight.conversation_id, event))
        self._changed.set()

    async def until(self, condition: Callable[[], object]) -> None:
        async def wait() -> None:
            while not condition():
                self._changed.clear()
                await self._changed.wait()

        await asyncio.wait_for(wait(), GUARD)

    def of(self, conversation_id: str, kind: type) -> list:
        return [event for cid, event in self.events if cid == conversation_id and isinstance(event, kind)]

    def ended(self, conversation_id: str) -> FlightEnded | None:
        ended = self.of(conversation_id, FlightEnded)
        return ended[-1] if ended else None


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def session(studio: Studio, recorder: Recorder) -> Session:
    return Session(studio, recorder)


async def test_a_reply_streams_settles_and_ends_in_order(session: Session, recorder: Recorder, endpoint) -> None:
    endpoint.script(Scenario(reply="Who reads it?", chunk_size=3))
    conversation = session.open_new()
    flight = session.send(conversation.id, "A prompt for release notes")
    assert session.flight() is flight and flight.state == "waiting"
    await session.settled()
    kinds = [type(event).__name__ for _, event in recorder.events]
    assert kinds[0] == "UserMessageSaved" and kinds[1] == "ReplyStarted" and kinds[-2:] == ["ReplyDone", "FlightEnded"]
    assert set(kinds[2:-2]) == {"ReplyDelta"}
    assert flight.text == "Who reads it?" and flight.state == "streaming"
    [done] = recorder.of(conversation.id, ReplyDone)
    assert (done.message.state, done.message.content) == ("complete", "Who reads it?")
    assert recorder.ended(conversation.id) == FlightEnded(conversation.id, "reply", done.message.id, None)
    assert session.flight() is None and session.take_unsent(conversation.id) == ""
    assert session.reload().title == "A prompt for release notes"  # the first message titles it


async def test_stop_cancels_only_the_conversation_on_screen(
    session: Session, recorder: Recorder, studio: Studio, endpoint: LoopbackServer
) -> None:
    """Esc in B must not stop A; it stops B's own request, and A streams on to the end."""
    endpoint.script(Scenario(reply="a-part " * 40, chunk_size=7, stall_after_chars=21))
    a = session.open_new()
    session.send(a.id, "first")
    await recorder.until(lambda: len(recorder.of(a.id, ReplyDelta)) == 3)  # A stalls mid-reply
    b = session.open_new()
    assert session.stop() is False  # nothing in flight in B: Esc is left to others
    assert session.flight(a.id) is not None

    endpoint.script(Scenario(reply="b-part " * 40, chunk_size=7, stall_after_chars=14))
    session.send(b.id, "second")
    await recorder.until(lambda: len(recorder.of(b.id, ReplyDelta)) == 2)
    assert session.stop() is True  # B's request, the one on screen
    await recorder.until(lambda: recorder.ended(b.id))
    assert session.flight(a.id) is not None and recorder.ended(a.id) is None  # A untouched
    [b_done] = recorder.of(b.id, ReplyDone)
    assert (b_done.message.state, b_done.message.content) == ("interrupted", "b-part b-part ")

    session.open(a.id)
    assert session.stop() is True
    await session.settled(a.id)
    [a_done] = recorder.of(a.id, ReplyDone)
    assert (a_done.message.state, a_done.message.content) == ("interrupted", "a-part a-part a-part ")
    assert a_done.message.error == "Stopped before the reply finished."
    assert studio.message(a_done.message.id) == a_done.message  # what the store keeps


async def test_two_conversations_stream_at_once(session: Session, recorder: Recorder, endpoint: LoopbackServer) -> None:
    endpoint.script(Scenario(reply="slow " * 20, chunk_size=5, stall_after_chars=10), Scenario(reply="B is done."))
    a = session.open_new()
    session.send(a.id, "in A")
    await recorder.until(lambda: recorder.of(a.id, ReplyDelta))
    b = session.open_new()
    session.send(b.id, "in B")  # A still streams: B has a flight of its own
    await session.settled(b.id)
    [b_done] = recorder.of(b.id, ReplyDone)
    assert (b_done.message.state, b_done.message.content) == ("complete", "B is done.")
    a_flight = session.flight(a.id)
    assert a_flight is not None and a_flight.state == "streaming" and a_flight.text.startswith("slow")
    session.stop(a.id)
    await session.settled(a.id)
    assert recorder.of(a.id, ReplyDone)[0].message.state == "interrupted"


async def test_a_second_send_in_the_same_conversation_is_refused(
    session: Session, recorder: Recorder, endpoint
) -> None:
    endpoint.script(Scenario(reply="streaming " * 10, stall_after_chars=10))
    conversation = session.open_new()
    session.send(conversation.id, "first")
    await recorder.until(lambda: recorder.of(conversation.id, ReplyDelta))
    with pytest.raises(Busy):
        session.send(conversation.id, "second")
    with pytest.raises(Busy):
        session.retry(conversation.id)
    with pytest.raises(Busy):
        session.generate(conversation.id)
    session.stop()
    await session.settled()
    assert [m.content for m in session.studio.history(conversation.id) if m.role == "user"] == ["first"]


async def test_a_refused_send_gives_the_draft_back(
    session: Session, recorder: Recorder, studio: Studio, endpoint
) -> None:
    """The conversation was deleted elsewhere (another process): nothing is saved, the text comes back."""
    conversation = session.open_new()
    other = Session(studio)
    other.studio.delete_conversation(conversation.id)
    session.send(conversation.id, "my carefully typed message")
    await session.settled()
    ended = recorder.ended(conversation.id)
    assert ended is not None and ended.reply_id is None and ended.error and ended.unsent
    assert not recorder.of(conversation.id, UserMessageSaved)
    assert session.take_unsent(conversation.id) == "my carefully typed message"
    assert session.take_unsent(conversation.id) == ""  # given back once


async def test_a_quota_refusal_keeps_the_message_saved(recorder: Recorder, config_file, endpoint, monkeypatch) -> None:
    config_file.write_text("[plans.free]\ntokens_limit = 10\n", encoding="utf-8")
    monkeypatch.setenv("OPENAI_API_KEY", TEST_KEY)
    studio = Studio.open({"base_url": endpoint.base_url, "model": "gpt-4o-mini"})
    session = Session(studio, recorder)
    conversation = session.open_new()
    session.send(conversation.id, "Please help me write a prompt")
    await session.settled()
    ended = recorder.ended(conversation.id)
    assert ended is not None and "monthly tokens are left" in (ended.error or "")
    assert recorder.of(conversation.id, UserMessageSaved) and not ended.unsent  # saved: nothing to give back
    assert session.take_unsent(conversation.id) == ""
    assert not [r for r in endpoint.requests if r.path.endswith("/chat/completions")]
    studio.close()


async def test_retry_refuses_a_complete_reply_and_answers_a_failed_one(
    session: Session, recorder: Recorder, endpoint
) -> None:
    endpoint.script(Scenario(status=400, error_message="Unsupported parameter."), Scenario(reply="Second time lucky."))
    conversation = session.open_new()
    session.send(conversation.id, "Help me")
    await session.settled()
    assert recorder.of(conversation.id, ReplyDone)[-1].message.state == "error"
    session.retry(conversation.id)
    await session.settled()
    assert recorder.of(conversation.id, ReplyDone)[-1].message.content == "Second time lucky."
    with pytest.raises(Refused, match="Nothing to retry"):
        session.retry(conversation.id)


async def test_replies_finishing_off_screen_count_as_unread(
    session: Session, recorder: Recorder, studio: Studio, endpoint: LoopbackServer
) -> None:
    endpoint.script(Scenario(reply="later " * 10, chunk_size=6, stall_after_chars=12))
    a = session.open_new()
    session.send(a.id, "first")
    await recorder.until(lambda: recorder.of(a.id, ReplyDelta))
    session.open_new()  # the user moved on
    session.stop(a.id)
    await session.settled(a.id)
    assert studio.conversation(a.id).unread_count == 1
    assert session.open(a.id).unread_count == 0  # looking at it reads it
    session.send(a.id, "again")
    await session.settled(a.id)
    assert studio.conversation(a.id).unread_count == 0  # on screen when it landed


async def test_generation_streams_into_a_prompt_and_a_stop_saves_nothing(
    session: Session, recorder: Recorder, studio: Studio, endpoint: LoopbackServer
) -> None:
    conversation = session.open_new()
    session.send(conversation.id, "Summarise support emails")
    await session.settled()
    endpoint.script(Scenario(reply="You are a support analyst.", chunk_size=5))
    flight = session.generate(conversation.id)
    assert session.generating() is flight and flight.state == "generating"
    with pytest.raises(Refused, match="already being generated"):
        session.generate(session.open_new().id)
    await session.settled(conversation.id)
    [ready] = recorder.of(conversation.id, PromptReady)
    assert ready.prompt.content == flight.text == "You are a support analyst."

    session.send(conversation.id, "Only urgent ones")  # something new for the next version to take in
    await session.settled(conversation.id)
    endpoint.script(Scenario(reply="x" * 200, chunk_size=5, stall_after_chars=10))
    session.generate(conversation.id)
    await recorder.until(lambda: session.flight(conversation.id) and session.flight(conversation.id).pieces)
    session.stop(conversation.id)
    await session.settled(conversation.id)
    assert recorder.ended(conversation.id).error == GENERATION_STOPPED
    assert [p.id for p in studio.prompts_for(conversation.id)] == [ready.prompt.id]


async def test_waiting_time_and_tokens_per_second_read_the_injected_clock(studio: Studio, endpoint) -> None:
    clock, recorder = FakeClock(), Recorder()
    session = Session(studio, recorder, clock=clock)
    endpoint.script(Scenario(reply="abcdefgh" * 4, chunk_size=8, stall_after_chars=16))
    conversation = session.open_new()
    flight = session.send(conversation.id, "go")
    clock.now += 3
    assert flight.waited(clock()) == 3 and flight.rate(clock()) is None
    await recorder.until(lambda: flight.pieces)
    clock.now += 2
    await recorder.until(lambda: len(flight.pieces) == 2)
    assert flight.first_token_at == 103
    assert flight.rate(clock()) == pytest.approx(flight.completion_tokens / 2)
    text, seen = flight.text_since(0)
    assert (text, seen) == ("abcdefgh" * 2, 2) and flight.text_since(seen) == ("", 2)
    await session.aclose()
    assert recorder.of(conversation.id, ReplyDone)[0].message.state == "interrupted"


async def test_closing_settles_every_flight_before_the_store_closes(
    session: Session, recorder: Recorder, studio: Studio, endpoint: LoopbackServer
) -> None:
    endpoint.default = Scenario(reply="part " * 50, stall_after_chars=10)
    a = session.open_new()
    session.send(a.id, "one")
    b = session.open_new()
    session.send(b.id, "two")
    await recorder.until(lambda: recorder.of(a.id, ReplyDelta) and recorder.of(b.id, ReplyDelta))
    await session.aclose()
    for conversation in (a, b):
        reply = studio.history(conversation.id)[-1]
        assert (reply.state, reply.content) == ("interrupted", "part part ")
    assert session.flights() == []


# -- drafts and the open conversation, across switches and restarts -----------------------


def restarted(studio: Studio) -> Session:
    """A new session on a new studio over the same database file, as the next start."""
    again = Studio.open({"base_url": studio.settings.base_url})
    return Session(again)


async def test_each_conversation_keeps_its_draft_across_a_switch_and_a_restart(
    session: Session, studio: Studio
) -> None:
    first = session.open_new()
    session.typed("half a thought about release notes")
    second = session.open_new()
    assert session.draft == ""  # the new one starts empty: the first's draft stayed with it
    session.typed("a question for the second one")
    session.open(first.id)
    assert session.draft == "half a thought about release notes"
    session.open(second.id)
    assert session.draft == "a question for the second one"
    session.typed("a question for the second one, longer")
    await session.aclose()  # quitting stores the open one's draft

    later = restarted(studio)
    assert later.resume() == studio.conversation(second.id)  # the one open at the end, reopened
    assert later.draft == "a question for the second one, longer"
    later.open(first.id)
    assert later.draft == "half a thought about release notes"
    later.studio.close()


async def test_the_typed_draft_is_stored_without_a_switch_or_a_quit(session: Session, studio: Studio) -> None:
    """What the screen's timer does while the user types: after it, a crash loses nothing."""
    conversation = session.open_new()
    session.typed("typed, then the terminal closed")
    session.save_draft()
    later = restarted(studio)  # no aclose: the process died
    reopened = later.resume()
    assert reopened is not None and reopened.id == conversation.id
    assert later.draft == "typed, then the terminal closed"
    later.studio.close()


async def test_text_typed_with_none_open_is_kept_and_goes_with_the_next_new_conversation(
    session: Session, studio: Studio
) -> None:
    assert session.resume() is None and session.draft == ""
    session.typed("typed on the welcome screen")
    await session.aclose()

    later = restarted(studio)
    assert later.resume() is None and later.draft == "typed on the welcome screen"
    conversation = later.open_new()
    assert later.draft == "typed on the welcome screen"
    assert later.studio.draft(conversation.id) == "typed on the welcome screen"
    assert later.studio.draft(None) == ""  # moved, not copied
    later.studio.close()


async def test_sent_text_leaves_the_draft_at_once_and_what_was_typed_after_it_stays(
    session: Session, recorder: Recorder, studio: Studio, endpoint
) -> None:
    conversation = session.open_new()
    session.typed("Write release notes\nand this, typed after Enter")
    session.send(conversation.id, "Write release notes\n")
    # Stored before the reply even starts: a crash now must not bring the sent text back.
    assert studio.draft(conversation.id) == "and this, typed after Enter"
    assert session.draft == "and this, typed after Enter"
    await session.settled()
    session.typed("")
    await session.aclose()
    assert studio.draft(conversation.id) == ""


async def test_a_refused_send_not_given_back_before_quitting_is_kept_in_the_draft(
    session: Session, recorder: Recorder, studio: Studio, endpoint
) -> None:
    conversation = session.open_new()
    Session(studio).studio.delete_conversation(conversation.id)  # elsewhere: the send is refused
    session.typed("my message and more")
    session.send(conversation.id, "my message ")
    await session.settled()
    assert recorder.ended(conversation.id).unsent  # type: ignore[union-attr]
    await session.aclose()  # the screen never took it back: quitting keeps it, in order
    assert studio.draft(conversation.id) == "my message and more"


async def test_a_refused_send_in_a_conversation_left_goes_back_into_its_stored_draft(
    session: Session, recorder: Recorder, studio: Studio, endpoint
) -> None:
    gone = session.open_new()
    Session(studio).studio.delete_conversation(gone.id)
    session.typed("sent text and the rest")
    session.send(gone.id, "sent text ")
    session.open_new()  # away before the refusal lands
    await session.settled(gone.id)
    await recorder.until(lambda: recorder.ended(gone.id))
    assert studio.draft(gone.id) == "sent text and the rest"
    assert session.take_unsent(gone.id) == ""  # nothing left waiting for the screen


async def test_start_shows_nothing_for_an_archived_or_deleted_conversation(session: Session, studio: Studio) -> None:
    archived = session.open_new()
    await session.aclose()
    studio.archive_conversation(archived.id, True)
    later = restarted(studio)
    assert later.resume() is None
    later.studio.close()

    kept = session.open_new()
    session.typed("doomed draft")
    session.save_draft()
    session.studio.delete_conversation(kept.id)
    session.deleted(kept.id)
    assert session.conversation is None and session.draft == ""
    assert studio.draft(kept.id) == ""  # the draft went with it
    later = restarted(studio)
    assert later.resume() is None
    later.studio.close()
