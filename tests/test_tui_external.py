"""What another process writes reaches the open chat and the prompt library: a second
studio on the same home stands for `promptstudio send`, `prompts import` or another
studio. The check is called directly (the screen runs it every 2 s and on focus)."""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator, Callable
from contextlib import asynccontextmanager

from textual.pilot import Pilot
from textual.widgets import Select

from loopback import Scenario
from promptstudio_tui.studio import Studio
from promptstudio_tui.widgets.message_view import LiveReply, MessageView
from promptstudio_tui.widgets.prompt_panel import PromptList
from repos import repos
from tui_fixtures import SIZE, drawn, idle, screen, wait_for


async def drain(events: AsyncGenerator) -> None:
    async for _ in events:
        pass


def seeded(studio: Studio, turns: list[str]) -> str:
    """A conversation with these turns (user, reply, user...), open when the studio starts."""
    conversation = studio.new_conversation(title="Seeded")
    messages = repos(studio).messages
    for n, text in enumerate(turns):
        messages.add(conversation.id, "user" if n % 2 == 0 else "assistant", text)
    studio.remember_open(conversation.id)
    return conversation.id


TWO_TURNS = ["First question", "First answer"]


@asynccontextmanager
async def opened(make_studio: Callable[..., Studio], make_app, turns: list[str]) -> AsyncIterator[Pilot]:
    """The studio started on a conversation of these turns, every turn drawn."""
    studio = make_studio()
    seeded(studio, turns)
    async with make_app(studio=studio).run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: len(drawn(screen(pilot))) == len(turns))
        yield pilot


def chat_text(studio_screen) -> str:
    return "\n".join(str(view.message.content) for view in drawn(studio_screen))


async def test_turns_sent_from_another_process_show_in_the_open_chat_and_the_draft_stays(
    make_studio: Callable[..., Studio], make_app
):
    async with opened(make_studio, make_app, TWO_TURNS) as pilot:
        studio_screen = screen(pilot)
        conversation_id = studio_screen.session.conversation.id
        chat, composer = studio_screen.chat, studio_screen.composer
        studio_screen.query_one("#composer-input").focus()
        await pilot.press(*"half a thought")
        studio_screen.conversation_list.focus()  # the user is elsewhere when it lands
        await pilot.pause()

        other = make_studio()
        try:
            await drain(other.send(conversation_id, "Sent from the shell"))
            stored = [message.id for message in other.history(conversation_id)]
        finally:
            await other.aclose()
        assert len(stored) == 4

        await studio_screen.external.check()
        # A timed check may have drawn the reply while it still streamed there: the one
        # after the stream settled draws it again.
        await wait_for(pilot, lambda: "You asked about: Sent from the shell" in chat_text(studio_screen))  # its reply
        assert chat.message_ids() == stored and len(drawn(studio_screen)) == 4
        assert "Sent from the shell" in chat_text(studio_screen)
        assert composer.text == "half a thought"
        assert studio_screen.focused is studio_screen.conversation_list


async def test_with_a_message_selected_the_chat_waits_and_a_reply_unread_elsewhere_is_read_here(
    make_studio: Callable[..., Studio], make_app
):
    async with opened(make_studio, make_app, TWO_TURNS) as pilot:
        studio_screen = screen(pilot)
        studio = studio_screen.studio
        conversation_id = studio_screen.session.conversation.id
        chat = studio_screen.chat
        chat.focus()  # the newest message selected, to act on
        await pilot.pause()
        assert chat.selected is not None

        other = make_studio()  # a second studio, looking at another conversation when the reply lands
        try:
            other.open_conversation(other.new_conversation().id)
            await drain(other.send(conversation_id, "Sent from the other studio"))
        finally:
            await other.aclose()
        conversations = repos(studio).conversations
        assert conversations.get(conversation_id).unread_count == 1

        def listed_unread() -> int | None:
            return next(
                (row.unread_count for row in studio_screen.conversation_list.rows if row.id == conversation_id), None
            )

        await studio_screen.external.check()
        await wait_for(pilot, lambda: listed_unread() == 1)  # the list has reloaded
        assert len(drawn(studio_screen)) == 2 and chat.selected is not None
        assert studio_screen.external.chat_maybe_stale

        studio_screen.query_one("#composer-input").focus()  # done with the message
        await pilot.pause()
        await studio_screen.external.check()  # nothing new elsewhere: the change waiting is drawn
        await wait_for(pilot, lambda: len(drawn(studio_screen)) == 4)
        await wait_for(pilot, lambda: listed_unread() == 0)
        assert conversations.get(conversation_id).unread_count == 0


async def test_a_change_elsewhere_that_leaves_the_open_conversation_alone_does_not_redraw_it(
    make_studio: Callable[..., Studio], make_app
):
    async with opened(make_studio, make_app, TWO_TURNS) as pilot:
        studio_screen = screen(pilot)
        # A turn of its own first: what this studio drew as it streamed is what the store holds.
        studio_screen.query_one("#composer-input").focus()
        await pilot.press(*"And here", "enter")
        await wait_for(pilot, lambda: len(drawn(studio_screen)) == 4 and not studio_screen.session.flights())
        await idle(pilot)
        before = drawn(studio_screen)
        assert all(isinstance(view, MessageView) for view in before)

        other = make_studio()
        try:
            elsewhere = other.new_conversation(title="Somewhere else")
            await drain(other.send(elsewhere.id, "Not the open one"))
        finally:
            await other.aclose()

        await studio_screen.external.check()
        await wait_for(pilot, lambda: not studio_screen.external.chat_maybe_stale)
        await wait_for(pilot, lambda: "Somewhere else" in [row.title for row in studio_screen.conversation_list.rows])
        after = drawn(studio_screen)
        assert len(after) == len(before) and all(a is b for a, b in zip(after, before, strict=True))


async def test_a_reply_streaming_here_is_not_redrawn_and_the_change_lands_after_it(
    make_studio: Callable[..., Studio], make_app, endpoint
):
    reply = "word " * 100
    endpoint.script(Scenario(reply=reply, chunk_size=5, delay=0.03))  # ~3 s of stream
    async with opened(make_studio, make_app, TWO_TURNS) as pilot:
        studio_screen = screen(pilot)
        studio = studio_screen.studio
        conversation_id = studio_screen.session.conversation.id
        chat, stored = studio_screen.chat, repos(studio).messages
        first = chat.message_ids()[0]
        studio_screen.query_one("#composer-input").focus()
        await pilot.press(*"Tell me slowly", "enter")
        await wait_for(pilot, lambda: any(isinstance(view, LiveReply) for view in drawn(studio_screen)))
        live = next(view for view in drawn(studio_screen) if isinstance(view, LiveReply))
        flight = studio_screen.session.flight(conversation_id)
        assert flight is not None and flight.reply_id is not None
        reply_id = flight.reply_id
        # Written through: the store's row is ahead of what the chat was drawn from.
        await wait_for(pilot, lambda: stored.get(reply_id).content != "")

        other = make_studio()
        try:
            other.rename_conversation(conversation_id, "Renamed in another studio")
            other.delete_message(first)
        finally:
            await other.aclose()

        await studio_screen.external.check()
        await pilot.pause()
        assert studio_screen.session.flight(conversation_id) is flight  # still streaming
        assert live in drawn(studio_screen)  # the stream's own view, not a new one
        assert first in chat.message_ids()
        assert studio_screen.external.chat_maybe_stale  # compared once the stream is over

        await idle(pilot)
        settled = stored.get(reply_id)
        assert (settled.state, settled.content) == ("complete", reply)

        await studio_screen.external.check()
        await wait_for(pilot, lambda: not studio_screen.external.chat_maybe_stale)
        await wait_for(pilot, lambda: first not in chat.message_ids())
        assert chat.message_ids() == [message.id for message in stored.for_conversation(conversation_id)]
        assert drawn(studio_screen)[-1].message == settled
        assert studio_screen.header.title == "Renamed in another studio"


async def test_scrolled_up_the_place_stays_and_the_new_turns_come_once_back_at_the_end(
    make_studio: Callable[..., Studio], make_app
):
    studio = make_studio()
    long = "\n".join(f"line {n}" for n in range(12))
    conversation_id = seeded(studio, [f"Turn {n}\n{long}" for n in range(8)])
    app = make_app(studio=studio)
    async with app.run_test(size=SIZE) as pilot:
        studio_screen = screen(pilot)
        chat = studio_screen.chat
        await wait_for(pilot, lambda: len(drawn(studio_screen)) == 8 and chat.max_scroll_y > 0)
        chat.scroll_home(animate=False)
        await wait_for(pilot, lambda: chat.scroll_y == 0)
        shown = chat.message_ids()
        first = drawn(studio_screen)

        other = make_studio()
        try:
            await drain(other.send(conversation_id, "Sent while you read"))
        finally:
            await other.aclose()

        await studio_screen.external.check()
        await pilot.pause()
        assert chat.scroll_y == 0
        assert chat.message_ids() == shown
        assert all(a is b for a, b in zip(drawn(studio_screen), first, strict=True))

        chat.scroll_end(animate=False)
        await wait_for(pilot, lambda: chat.is_vertical_scroll_end)
        await studio_screen.external.check()  # nothing new elsewhere: the change waiting is drawn
        await wait_for(pilot, lambda: len(chat.message_ids()) == 10)
        assert "Sent while you read" in chat_text(studio_screen)
        await wait_for(pilot, lambda: chat.is_vertical_scroll_end and chat.scroll_y > 0)


async def test_a_prompt_imported_elsewhere_joins_the_library_and_the_shown_and_highlighted_stay(
    make_studio: Callable[..., Studio], make_app
):
    studio = make_studio()
    shown = studio.import_prompt("Summarise the meeting notes.", title="Meeting notes")
    studio.import_prompt("Draft a polite reminder.", title="Reminder")
    studio.set_preference("ui.prompt_scope", "all")
    app = make_app(studio=studio)
    async with app.run_test(size=SIZE) as pilot:
        studio_screen = screen(pilot)
        panel = studio_screen.panel
        listed = studio_screen.query_one(PromptList)

        def titles() -> list[str]:
            return [prompt.title for prompt in panel.prompts]

        await wait_for(pilot, lambda: titles() == ["Reminder", "Meeting notes"])
        await studio_screen.prompts.chosen(shown.id)
        listed.focus()
        listed.highlighted = 0  # the user moved to "Reminder" without opening it
        await pilot.pause()
        assert panel.current is not None and panel.current.id == shown.id

        other = make_studio()
        try:
            other.import_prompt("---\ntitle: Release notes\ntags: [fresh]\n---\nWrite the release notes.\n")
        finally:
            await other.aclose()

        await studio_screen.external.check()
        await wait_for(pilot, lambda: titles() == ["Release notes", "Reminder", "Meeting notes"])
        assert panel.current is not None and panel.current.id == shown.id
        assert listed.current is not None and listed.current.title == "Reminder"

        studio_screen.query_one("#prompt-filter", Select).value = "tag:fresh"  # offered: it is on a prompt now
        await wait_for(pilot, lambda: titles() == ["Release notes"])
