"""The prompt pane as a library: search by words (esc clears), filter by tag, category and
favourite, sort recent or A–Z; the sort is remembered."""

from __future__ import annotations

from textual.widgets import Button, Input, Select

from tui_fixtures import SIZE, screen, wait_for


def stock(studio) -> None:
    notes = studio.import_prompt("---\ntitle: Release notes\ntags: [发布, email]\n---\nWrite 发布说明.\n")
    support = studio.import_prompt("Answer support emails kindly.", title="Support replies")
    studio.save_prompt(support.id, title=support.title, category="Business", tags=["email"])
    studio.favourite_prompt(support.id, True)
    studio.import_prompt("A haiku about autumn.", title="autumn haiku")
    assert notes.tags
    studio.set_preference("ui.prompt_scope", "all")


def titles(studio_screen) -> list[str]:
    return [p.title for p in studio_screen.panel.prompts]


async def test_search_filter_and_sort_the_prompts(make_studio, make_app):
    studio = make_studio()
    stock(studio)
    app = make_app(studio=studio)
    async with app.run_test(size=SIZE) as pilot:
        studio_screen = screen(pilot)
        assert titles(studio_screen) == ["autumn haiku", "Support replies", "Release notes"]

        await studio_screen.run_action("search_prompts")  # "/" in the pane, or the palette
        await pilot.pause()
        search = studio_screen.query_one("#prompt-search", Input)
        assert studio_screen.focused is search
        await pilot.press(*"support")
        await wait_for(pilot, lambda: titles(studio_screen) == ["Support replies"])
        await pilot.press("escape")  # clears the search, as in the conversation list
        await wait_for(pilot, lambda: len(titles(studio_screen)) == 3)
        assert search.value == ""

        await pilot.press(*"发布")
        await wait_for(pilot, lambda: titles(studio_screen) == ["Release notes"])
        await pilot.press("escape")
        await wait_for(pilot, lambda: len(titles(studio_screen)) == 3)

        studio_screen.query_one("#prompt-favourites", Button).press()
        await wait_for(pilot, lambda: titles(studio_screen) == ["Support replies"])
        studio_screen.query_one("#prompt-favourites", Button).press()
        await wait_for(pilot, lambda: len(titles(studio_screen)) == 3)

        studio_screen.query_one("#prompt-sort", Button).press()  # (a click can land on a tooltip)
        await wait_for(pilot, lambda: titles(studio_screen) == ["autumn haiku", "Release notes", "Support replies"])
        assert "A–Z" in str(studio_screen.query_one("#prompt-sort").render())

        chooser = studio_screen.query_one("#prompt-filter", Select)
        chooser.value = "tag:email"
        await wait_for(pilot, lambda: titles(studio_screen) == ["Release notes", "Support replies"])
        chooser.value = "category:Business"
        await wait_for(pilot, lambda: titles(studio_screen) == ["Support replies"])
        chooser.clear()
        await wait_for(pilot, lambda: len(titles(studio_screen)) == 3)
        await pilot.press("escape")

        chooser.value = "tag:发布"
        await wait_for(pilot, lambda: titles(studio_screen) == ["Release notes"])
        studio_screen.query_one("#prompt-search", Input).value = "haiku"
        await wait_for(pilot, lambda: titles(studio_screen) == [])
        assert studio_screen.query_one("#prompt-list").empty_text == "No prompt matches."

    assert make_studio().preference("ui.prompt_sort") == "title"  # the next start sorts A–Z too


async def test_slash_in_the_pane_goes_to_the_search(make_studio, make_app):
    studio = make_studio()
    stock(studio)
    app = make_app(studio=studio)
    async with app.run_test(size=SIZE) as pilot:
        studio_screen = screen(pilot)
        studio_screen.query_one("#prompt-list").focus()
        await pilot.press("slash")
        assert studio_screen.focused is studio_screen.query_one("#prompt-search")
        await pilot.press(*"autumn/")  # a slash typed in the search is text
        assert studio_screen.query_one("#prompt-search", Input).value == "autumn/"
