"""F8 zooms the focused part — the chat, or the prompt pane — to the full screen and back."""

from __future__ import annotations

import pytest

from tui_fixtures import SIZE, screen, wait_for


def shown(studio_screen) -> dict[str, bool]:
    return {part: studio_screen.query_one(f"#{part}").display for part in ("left", "centre", "right")}


@pytest.mark.parametrize("size", [SIZE, (70, 24)], ids=["160x48", "70x24"])
async def test_f8_zooms_the_chat_and_back(make_app, size):
    app = make_app()
    async with app.run_test(size=size) as pilot:
        studio_screen = screen(pilot)
        before = shown(studio_screen)
        await pilot.press("f8")
        await wait_for(pilot, lambda: shown(studio_screen) == {"left": False, "centre": True, "right": False})
        assert studio_screen.query_one("#centre").region.width == size[0]
        await pilot.press("f8")
        await wait_for(pilot, lambda: shown(studio_screen) == before)


@pytest.mark.parametrize("size", [SIZE, (70, 24)], ids=["160x48", "70x24"])
async def test_f8_zooms_the_prompt_pane_and_back(make_app, size):
    app = make_app()
    async with app.run_test(size=size) as pilot:
        studio_screen = screen(pilot)
        await studio_screen.run_action("search_prompts")  # reveals the pane (floating when narrow), focused
        await pilot.pause()
        before = shown(studio_screen)
        await pilot.press("f8")
        await wait_for(pilot, lambda: shown(studio_screen) == {"left": False, "centre": False, "right": True})
        assert studio_screen.query_one("#right").region.width == size[0]
        assert studio_screen.focused is studio_screen.query_one("#prompt-search")
        await pilot.press("f8")
        await wait_for(pilot, lambda: shown(studio_screen) == before)
