"""The conversation pane: paging, search, tabs, sort and the row actions."""

from __future__ import annotations

from textual.widgets import Input, Select, Tabs

from promptstudio_tui.app import PromptStudioApp
from promptstudio_tui.screens.modals import CategoryModal, ConfirmModal, TextInputModal
from promptstudio_tui.widgets.conversation_list import PAGE
from repos import repos
from tui_fixtures import SIZE, frozen_clock, notifications, screen, wait_for


def seeded(make_studio):
    studio = make_studio()
    alpha = studio.new_conversation(title="Alpha launch notes", category="Marketing")
    repos(studio).messages.add(alpha.id, "user", "Draft the press release about kangaroos")
    beta = studio.new_conversation(title="Beta code review", category="Code Generation")
    repos(studio).messages.add(beta.id, "user", "Review this Python function")
    return studio, alpha, beta


async def listed(pilot, titles: list[str]) -> None:
    conversation_list = screen(pilot).conversation_list
    await wait_for(pilot, lambda: [c.title for c in conversation_list.rows] == titles)


async def test_search_filters_by_title_and_message_text(make_studio, endpoint):
    studio, _, _ = seeded(make_studio)
    app = PromptStudioApp(studio=studio, clock=frozen_clock)
    async with app.run_test(size=SIZE) as pilot:
        await listed(pilot, ["Beta code review", "Alpha launch notes"])
        await pilot.press("ctrl+f")
        assert screen(pilot).focused.id == "search"
        await pilot.press(*"kangar")  # a prefix of a word in a message
        await listed(pilot, ["Alpha launch notes"])
        search = screen(pilot).query_one("#search", Input)
        search.value = "beta"
        await listed(pilot, ["Beta code review"])
        search.value = "nothing-like-this"
        await listed(pilot, [])
        assert "No conversations match" in str(screen(pilot).conversation_list.get_option_at_index(0).prompt)


async def test_tabs_and_sort_filter_and_persist(make_studio, endpoint):
    studio, alpha, _ = seeded(make_studio)
    repos(studio).conversations.update(alpha.id, is_starred=True)
    gamma = studio.new_conversation(title="Gamma archived")
    repos(studio).conversations.update(gamma.id, status="archived")
    app = PromptStudioApp(studio=studio, clock=frozen_clock)
    async with app.run_test(size=SIZE) as pilot:
        studio_screen = screen(pilot)
        await listed(pilot, ["Beta code review", "Alpha launch notes"])
        studio_screen.query_one(Tabs).active = "starred"
        await listed(pilot, ["Alpha launch notes"])
        studio_screen.query_one(Tabs).active = "archived"
        await listed(pilot, ["Gamma archived"])
        await studio_screen.run_action("show_tab('all')")
        await listed(pilot, ["Beta code review", "Alpha launch notes"])
        studio_screen.query_one("#sort", Select).value = "title"
        await listed(pilot, ["Alpha launch notes", "Beta code review"])
        assert repos(studio).preferences.get("ui.sort") == "title"
        assert repos(studio).preferences.get("ui.tab") == "all"
        assert "Conversations · 2" in str(studio_screen.query_one("#conversation-count").render())


async def test_rename_categorize_star_archive_and_delete_the_selected_row(make_studio, endpoint):
    studio, alpha, beta = seeded(make_studio)
    app = PromptStudioApp(studio=studio, clock=frozen_clock)
    async with app.run_test(size=SIZE) as pilot:
        studio_screen = screen(pilot)
        await listed(pilot, ["Beta code review", "Alpha launch notes"])
        studio_screen.conversation_list.focus()
        await pilot.press("down")  # Alpha

        await pilot.press("r")
        await wait_for(pilot, lambda: isinstance(app.screen, TextInputModal))
        app.screen.query_one(Input).value = "Alpha [b]renamed[/b]"
        await pilot.press("enter")
        await wait_for(pilot, lambda: repos(studio).conversations.get(alpha.id).title == "Alpha [b]renamed[/b]")

        await pilot.press("c")
        await wait_for(pilot, lambda: isinstance(app.screen, CategoryModal))
        app.screen.query_one("OptionList").highlighted = 5  # Research
        await pilot.press("enter")
        await wait_for(pilot, lambda: repos(studio).conversations.get(alpha.id).category == "Research")

        await wait_for(
            pilot,
            lambda: studio_screen.conversation_list.current and studio_screen.conversation_list.current.id == alpha.id,
        )
        await pilot.press("s")
        assert repos(studio).conversations.get(alpha.id).is_starred
        await wait_for(pilot, lambda: studio_screen.conversation_list.current.is_starred)

        await pilot.press("a")
        assert repos(studio).conversations.get(alpha.id).status == "archived"
        await listed(pilot, ["Beta code review"])

        await pilot.press("d")  # Beta, the only row left
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmModal))
        await pilot.press("y")
        await listed(pilot, [])
        try:
            repos(studio).conversations.get(beta.id)
            raise AssertionError("the conversation was not deleted")
        except KeyError:
            pass
        assert studio.history(beta.id) == []
        assert "Conversation deleted." in notifications(pilot)


async def test_deleting_the_open_conversation_returns_to_the_welcome(make_studio, endpoint):
    studio, _, _ = seeded(make_studio)
    app = PromptStudioApp(studio=studio, clock=frozen_clock)
    async with app.run_test(size=SIZE) as pilot:
        studio_screen = screen(pilot)
        await listed(pilot, ["Beta code review", "Alpha launch notes"])
        studio_screen.conversation_list.focus()
        await pilot.press("enter")
        await wait_for(pilot, lambda: studio_screen.session.conversation is not None)
        await studio_screen.run_action("delete_conversation")  # the open one, as from the palette
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmModal))
        await pilot.press("y")
        await wait_for(pilot, lambda: studio_screen.session.conversation is None)
        assert studio_screen.query_one("#chat-switcher").current == "welcome"


async def test_thousands_of_rows_are_paged_in_as_the_user_scrolls(make_studio, endpoint):
    studio = make_studio()
    with repos(studio).store.write() as db:
        db["conversations"].insert_all(
            {
                "id": f"c{index:05d}",
                "title": f"Conversation {index:05d}",
                "created_at": f"2026-01-01T00:00:{index % 60:02d}+00:00",
                "updated_at": "2026-01-01T00:00:00+00:00",
                "last_message_at": f"2026-01-{1 + index % 28:02d}T00:00:00+00:00",
            }
            for index in range(3000)
        )
    app = PromptStudioApp(studio=studio, clock=frozen_clock)
    async with app.run_test(size=SIZE) as pilot:
        conversation_list = screen(pilot).conversation_list
        await wait_for(pilot, lambda: len(conversation_list.rows) == PAGE)
        assert conversation_list.total == 3000 and conversation_list.option_count == PAGE
        conversation_list.focus()
        await pilot.press("end")
        await wait_for(pilot, lambda: len(conversation_list.rows) == 2 * PAGE)
        conversation_list.scroll_end(animate=False)
        await wait_for(pilot, lambda: len(conversation_list.rows) >= 3 * PAGE)
        assert len({c.id for c in conversation_list.rows}) == len(conversation_list.rows)


async def test_a_page_read_after_the_list_changed_elsewhere_adds_only_new_rows(make_studio, endpoint):
    """Another process adds a conversation above the loaded page: the next page, read by
    offset, starts with the row already listed last. It is not listed twice (that was a crash)."""
    studio = make_studio()
    for index in range(PAGE + 20):
        studio.new_conversation(title=f"Conversation {index:03d}")
    app = PromptStudioApp(studio=studio, clock=frozen_clock)
    async with app.run_test(size=SIZE) as pilot:
        conversation_list = screen(pilot).conversation_list
        await wait_for(pilot, lambda: len(conversation_list.rows) == PAGE)
        last_listed = conversation_list.rows[-1].id
        # Committed as another process would: this studio's list is not told.
        studio.new_conversation(title="Added elsewhere")
        conversation_list.focus()
        await pilot.press("end")
        await wait_for(pilot, lambda: len(conversation_list.rows) > PAGE)
        await pilot.pause()
        ids = [c.id for c in conversation_list.rows]
        assert len(ids) == len(set(ids)) == PAGE + 20 and ids.count(last_listed) == 1
        assert conversation_list.option_count == len(ids)
        assert app.is_running


async def test_rows_are_laid_out_for_the_width_they_are_drawn_at(make_studio, endpoint):
    """No row is built for a width it is not drawn at: after a resize the title is cut
    anew and the date ends at the list's edge again."""
    studio = make_studio()
    studio.new_conversation(title="Alpha launch notes that go on and on for a long while", category="Marketing")
    app = PromptStudioApp(studio=studio, clock=frozen_clock)
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        conversation_list = screen(pilot).conversation_list
        drawn = {}
        for size in ((160, 48), (120, 40)):
            await pilot.resize_terminal(*size)
            await pilot.pause()
            title_line = conversation_list.render_line(0).text
            assert len(title_line) == conversation_list.size.width
            assert title_line.rstrip().endswith("… now")  # cut with an ellipsis, the date flush right
            drawn[conversation_list.size.width] = title_line
        assert len(drawn) == 2 and len(set(drawn.values())) == 2


async def test_down_in_the_search_box_goes_on_to_the_results(make_studio, endpoint):
    studio, _, _ = seeded(make_studio)
    app = PromptStudioApp(studio=studio, clock=frozen_clock)
    async with app.run_test(size=(70, 24)) as pilot:
        await pilot.press("ctrl+f")  # narrow: the conversations float over the chat
        assert screen(pilot).focused.id == "search"
        await pilot.press(*"beta")
        await listed(pilot, ["Beta code review"])
        await pilot.press("down")
        assert screen(pilot).focused is screen(pilot).conversation_list
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen(pilot).session.conversation is not None)
        assert screen(pilot).session.conversation.title == "Beta code review"
