"""t in the conversation list sets the tags; the search finds them (in Chinese too); c offers
the categories config.toml adds."""

from __future__ import annotations

from textual.widgets import Input

from promptstudio_tui.screens.modals import CategoryModal
from promptstudio_tui.screens.tags_modal import TagsModal
from tui_fixtures import SIZE, screen, wait_for


async def test_tags_are_set_and_found(make_studio, make_app):
    studio = make_studio()
    studio.new_conversation(title="Launch plan")
    app = make_app(studio=studio)
    async with app.run_test(size=SIZE) as pilot:
        studio_screen = screen(pilot)
        studio_screen.conversation_list.focus()
        await wait_for(pilot, lambda: studio_screen.conversation_list.current is not None)
        await pilot.press("t")
        await wait_for(pilot, lambda: isinstance(app.screen, TagsModal))
        app.screen.query_one("#tags", Input).value = " rocket, Rocket ,发布说明, "
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.screen is studio_screen)
        assert studio.conversation(studio_screen.conversation_list.current.id).tags == ["rocket", "发布说明"]
        studio_screen.query_one("#search", Input).value = "发布"
        await wait_for(pilot, lambda: studio_screen.conversation_list.total == 1)
        studio_screen.query_one("#search", Input).value = "nothing-like-it"
        await wait_for(pilot, lambda: studio_screen.conversation_list.total == 0)


async def test_a_category_from_config_can_be_chosen(make_studio, make_app):
    studio = make_studio('categories = ["Legal"]\n')
    conversation = studio.new_conversation(title="Contract review")
    app = make_app(studio=studio)
    async with app.run_test(size=SIZE) as pilot:
        studio_screen = screen(pilot)
        studio_screen.conversation_list.focus()
        await wait_for(pilot, lambda: studio_screen.conversation_list.current is not None)
        await pilot.press("c")
        await wait_for(pilot, lambda: isinstance(app.screen, CategoryModal))
        await pilot.press("end", "enter")  # the configured ones come after the built-in ones
        await wait_for(pilot, lambda: studio.conversation(conversation.id).category == "Legal")
