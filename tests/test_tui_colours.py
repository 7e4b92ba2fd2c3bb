"""Legible everywhere: a 16-colour terminal gets an ANSI theme, NO_COLOR strips every colour
and keeps the marks, the key hints fit 100 columns, the prompt-scope button its label."""

from __future__ import annotations

from typing import Any

import pytest
from rich.text import Text
from textual.widgets import Button, Footer, OptionList

from promptstudio_tui.app import THEME_PREFERENCE, PromptStudioApp
from promptstudio_tui.studio import Studio
from test_tui_snapshots import make_app, open_conversation, seed
from tui_fixtures import screen


def terminal(monkeypatch: pytest.MonkeyPatch, term: str, *, no_color: bool = False) -> None:
    """The terminal the app starts in, as Rich (TERM, COLORTERM) and Textual (NO_COLOR) read it."""
    monkeypatch.setenv("TERM", term)
    monkeypatch.delenv("COLORTERM", raising=False)
    if no_color:
        monkeypatch.setenv("NO_COLOR", "1")
    else:
        monkeypatch.delenv("NO_COLOR", raising=False)


@pytest.mark.parametrize(
    ("term", "preference", "theme"),
    [
        ("xterm", None, "ansi-dark"),
        ("xterm", "textual-light", "ansi-light"),
        ("xterm", "ansi-light", "ansi-light"),
        ("xterm-256color", None, "textual-dark"),
        ("xterm-256color", "nord", "nord"),
    ],
)
async def test_a_16_colour_terminal_gets_an_ansi_theme_and_keeps_the_preference(
    monkeypatch: pytest.MonkeyPatch, term: str, preference: str | None, theme: str
) -> None:
    terminal(monkeypatch, term)
    studio = Studio.open()
    if preference:
        studio.set_preference(THEME_PREFERENCE, preference)
    app = PromptStudioApp(studio=studio)
    async with app.run_test() as pilot:
        await pilot.pause()
        assert app.theme == theme
        # The choice is the terminal's: on a 256-colour terminal the preference comes back.
        assert studio.preference(THEME_PREFERENCE) == preference


async def highlighted_row_style(monkeypatch: pytest.MonkeyPatch, term: str, no_color: bool) -> tuple[Any, bool]:
    """The shown prompt's row in the prompt list (focus elsewhere), and whether colours are stripped."""
    terminal(monkeypatch, term, no_color=no_color)
    studio = Studio.open()
    app = make_app(studio)
    async with app.run_test(size=(160, 48)) as pilot:
        await open_conversation(seed(studio))(pilot)
        prompts = screen(pilot).query_one("#prompt-list", OptionList)
        assert not prompts.has_focus and prompts.highlighted is not None
        return prompts.get_visual_style("option-list--option-highlighted"), app.no_color


@pytest.mark.parametrize(("term", "no_color"), [("xterm", False), ("xterm-256color", True)])
async def test_without_shades_the_shown_prompt_is_underlined(
    monkeypatch: pytest.MonkeyPatch, term: str, no_color: bool
) -> None:
    style, stripped = await highlighted_row_style(monkeypatch, term, no_color)
    assert style.underline
    assert stripped == no_color


async def test_with_truecolour_the_shown_prompt_keeps_its_shade(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLORTERM", "truecolor")
    monkeypatch.delenv("NO_COLOR", raising=False)
    studio = Studio.open()
    app = make_app(studio)
    async with app.run_test(size=(160, 48)) as pilot:
        await open_conversation(seed(studio))(pilot)
        style = screen(pilot).query_one("#prompt-list", OptionList).get_visual_style("option-list--option-highlighted")
        assert not style.underline and style.background.a > 0


@pytest.mark.parametrize("focus", ["#composer-input", "#conversation-list", "#prompt-list", "#search"])
async def test_every_key_hint_fits_100_columns(focus: str) -> None:
    """Every hint the footer shows lies whole inside it, none under another (the palette's
    key is docked on the right over whatever runs past)."""
    studio = Studio.open()
    app = make_app(studio)
    async with app.run_test(size=(100, 30)) as pilot:
        await open_conversation(seed(studio))(pilot)
        screen(pilot).query_one(focus).focus()
        await pilot.pause()
        footer = screen(pilot).query_one(Footer)
        await pilot.wait_for_scheduled_animations()
        hints = [key.region for key in footer.query("FooterKey")]
        assert len(hints) >= 5, "the footer shows its hints"
        for index, region in enumerate(hints):
            assert footer.region.contains_region(region), f"hint {index} runs past the footer"
            for other in hints[index + 1 :]:
                assert not region.overlaps(other), "a hint is drawn under another"


@pytest.mark.parametrize("size", [(160, 48), (100, 30), (60, 20)])
async def test_the_prompt_scope_button_shows_its_whole_label(size: tuple[int, int]) -> None:
    studio = Studio.open()
    app = make_app(studio)
    async with app.run_test(size=size) as pilot:
        await open_conversation(seed(studio))(pilot)
        studio_screen = screen(pilot)
        if not studio_screen.query_one("#prompt-list").display or size[0] < 100:
            await pilot.press("ctrl+o")  # narrow: the prompts pane floats over the chat
        button = studio_screen.query_one("#prompt-scope", Button)
        for label in ("Show this", "Show all"):
            await studio_screen.run_action("toggle_prompt_scope")
            await pilot.pause()
            await pilot.wait_for_scheduled_animations()
            assert str(button.label) == label
            # The label and the padding either side, on one line.
            assert button.region.width >= Text(label).cell_len + 2
            assert button.region.height == 1
