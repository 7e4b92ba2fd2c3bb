"""Sessions that resume: each conversation keeps what was typed and not sent, and the next
start reopens the conversation that was open, at its newest message, with its draft.

Each restart is a new app on a new Studio over the same database file, after ctrl+q.
"""

from __future__ import annotations

import pytest
from textual.pilot import Pilot

from promptstudio_tui.app import PromptStudioApp
from promptstudio_tui.studio import Studio
from repos import repos
from tui_fixtures import SIZE, frozen_clock, screen, wait_for


async def type_text(pilot: Pilot, text: str) -> None:
    """Key by key into the focused composer, as a user types."""
    await pilot.press(*("space" if char == " " else char for char in text))


async def open_listed(pilot: Pilot, conversation_id: str) -> None:
    """Open a conversation from the list, as with the arrow keys and Enter."""
    studio_screen = screen(pilot)
    conversation_list = studio_screen.conversation_list
    await wait_for(pilot, lambda: any(row.id == conversation_id for row in conversation_list.rows))
    await pilot.press("ctrl+f")  # shows the list (over the chat on a narrow screen)
    conversation_list.focus()
    conversation_list.highlighted = [row.id for row in conversation_list.rows].index(conversation_id)
    await pilot.press("enter")
    await wait_for(pilot, lambda: studio_screen.session.shown(conversation_id))
    await pilot.pause()


def composer_state(pilot: Pilot) -> tuple[str, bool]:
    """The composer's text, and whether the cursor is at its end."""
    composer = screen(pilot).composer
    return composer.text, composer.input.cursor_location == composer.input.document.end


async def quit_app(pilot: Pilot) -> None:
    await pilot.press("ctrl+q")
    await pilot.pause()


def seeded(studio: Studio, title: str, turns: int = 1) -> str:
    """A conversation with `turns` exchanges of a few lines each; its id."""
    conversation = studio.new_conversation(title=title)
    messages = repos(studio).messages
    for turn in range(turns):
        messages.add(conversation.id, "user", f"Question {turn} about {title}")
        messages.add(conversation.id, "assistant", "\n\n".join(f"Answer line {n} of {turn}." for n in range(6)))
    return conversation.id


async def test_each_conversation_keeps_its_draft_when_switching(make_studio, endpoint) -> None:
    studio = make_studio()
    alpha, beta = seeded(studio, "Alpha launch notes"), seeded(studio, "Beta code review")
    app = PromptStudioApp(studio=studio, clock=frozen_clock)
    async with app.run_test(size=SIZE) as pilot:
        await open_listed(pilot, alpha)
        await type_text(pilot, "a note for alpha")
        await open_listed(pilot, beta)
        assert composer_state(pilot) == ("", True)  # alpha's text stayed with alpha
        await type_text(pilot, "beta words")
        await open_listed(pilot, alpha)
        assert composer_state(pilot) == ("a note for alpha", True)
        await type_text(pilot, " and more")
        await open_listed(pilot, beta)
        assert composer_state(pilot) == ("beta words", True)
        await open_listed(pilot, alpha)
        assert composer_state(pilot) == ("a note for alpha and more", True)


@pytest.mark.parametrize("size", [SIZE, (100, 30), (70, 24)], ids=["160x48", "100x30", "70x24"])
async def test_a_restart_reopens_the_conversation_at_its_newest_message_with_the_draft(
    make_studio, endpoint, size: tuple[int, int]
) -> None:
    studio = make_studio()
    other = seeded(studio, "Other conversation")
    long = seeded(studio, "Long conversation", turns=8)
    app = PromptStudioApp(studio=studio, clock=frozen_clock)
    async with app.run_test(size=size) as pilot:
        await open_listed(pilot, other)
        await type_text(pilot, "left in the other one")
        await open_listed(pilot, long)
        await type_text(pilot, "half a question")
        await quit_app(pilot)

    app = PromptStudioApp(studio=make_studio(), clock=frozen_clock)
    async with app.run_test(size=size) as pilot:
        studio_screen = screen(pilot)
        chat = studio_screen.chat
        await wait_for(pilot, lambda: len(chat.message_ids()) >= 12)  # the newest page is shown
        assert studio_screen.session.shown(long)
        assert composer_state(pilot) == ("half a question", True)
        assert studio_screen.focused is studio_screen.composer.input
        # At the bottom: the newest message in view, as the user left it.
        await wait_for(pilot, lambda: chat.max_scroll_y > 0 and chat.scroll_y == chat.max_scroll_y)
        await open_listed(pilot, other)
        assert composer_state(pilot) == ("left in the other one", True)


async def test_a_draft_typed_with_no_conversation_open_survives_a_restart_and_sending_clears_it(
    make_studio, endpoint
) -> None:
    app = PromptStudioApp(studio=make_studio(), clock=frozen_clock)
    async with app.run_test(size=SIZE) as pilot:
        await type_text(pilot, "I need a prompt for release notes")
        await quit_app(pilot)

    studio = make_studio()
    app = PromptStudioApp(studio=studio, clock=frozen_clock)
    async with app.run_test(size=SIZE) as pilot:
        studio_screen = screen(pilot)
        assert studio_screen.session.conversation is None  # the welcome, as it was left
        assert composer_state(pilot) == ("I need a prompt for release notes", True)
        await pilot.press("enter")
        await wait_for(
            pilot, lambda: len(studio_screen.chat.message_ids()) == 2 and not studio_screen.session.flights()
        )
        assert composer_state(pilot) == ("", True)
        conversation = studio_screen.session.conversation
        assert conversation is not None
        await quit_app(pilot)

    app = PromptStudioApp(studio=make_studio(), clock=frozen_clock)
    async with app.run_test(size=SIZE) as pilot:
        studio_screen = screen(pilot)
        await wait_for(pilot, lambda: len(studio_screen.chat.message_ids()) == 2)
        assert studio_screen.session.shown(conversation.id)
        assert composer_state(pilot) == ("", True)  # sent: nothing comes back


async def test_typing_is_stored_while_the_app_runs(make_studio, endpoint) -> None:
    """A crash or a closed terminal loses at most the last moment of typing."""
    studio = make_studio()
    conversation_id = seeded(studio, "Alpha launch notes")
    app = PromptStudioApp(studio=studio, clock=frozen_clock)
    async with app.run_test(size=SIZE) as pilot:
        await open_listed(pilot, conversation_id)
        await type_text(pilot, "typed and not sent")
        elsewhere = make_studio()  # another connection, as the next start would read it
        await wait_for(pilot, lambda: elsewhere.draft(conversation_id) == "typed and not sent")
        assert elsewhere.last_open() == conversation_id
        elsewhere.close()


async def test_a_refused_send_comes_back_before_what_was_typed_after_it(make_studio, endpoint) -> None:
    studio = make_studio()
    conversation_id = seeded(studio, "Alpha launch notes")
    app = PromptStudioApp(studio=studio, clock=frozen_clock)
    async with app.run_test(size=SIZE) as pilot:
        await open_listed(pilot, conversation_id)
        elsewhere = make_studio()
        elsewhere.delete_conversation(conversation_id)  # another process: this send is refused
        elsewhere.close()
        await type_text(pilot, "first part")
        await pilot.press("enter")
        await type_text(pilot, " then more")
        await wait_for(pilot, lambda: screen(pilot).query(".chat-notice"))  # the refusal, said
        await wait_for(pilot, lambda: composer_state(pilot) == ("first part then more", True))
