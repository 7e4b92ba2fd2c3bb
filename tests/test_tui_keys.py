"""Keys typed ahead in one burst (SSH, tmux, a paste) take effect in the order typed.

Pilot's `press` waits for each key to settle, which hides the problem; these tests post
the whole burst to the app at once, as a terminal read delivers it.
"""

from __future__ import annotations

import shutil

import pytest
from textual import events
from textual.widgets import Input

from promptstudio_tui.screens.help import HelpScreen
from promptstudio_tui.screens.main import StudioScreen
from promptstudio_tui.screens.settings import SettingsScreen
from promptstudio_tui.screens.usage import UsageScreen
from repos import repos
from tui_fixtures import SIZE, screen, wait_for


def burst(app, *keys: str | events.Event) -> None:
    """Post every key before the app handles any (a named key, one character, or an event)."""
    for key in keys:
        if isinstance(key, events.Event):
            app.post_message(key)
        else:
            app.post_message(events.Key(key, key if len(key) == 1 else None))


async def test_text_typed_right_after_tab_lands_in_the_next_field(make_app, endpoint):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f2")
        await wait_for(pilot, lambda: isinstance(app.focused, Input) and app.focused.id == "base-url")
        url = app.screen.query_one("#base-url", Input).value
        burst(app, "tab", "tab", "tab", *"k3y", events.Paste("-pasted"))  # base-url → model → List models → key
        await wait_for(pilot, lambda: app.screen.query_one("#api-key", Input).value == "k3y-pasted")
        assert app.screen.query_one("#base-url", Input).value == url
        assert app.focused.id == "api-key"


async def test_escape_then_f1_closes_usage_before_help_opens(make_app, endpoint):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f3")
        assert isinstance(app.screen, UsageScreen)
        burst(app, "escape", "f1")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen))
        assert [type(s) for s in app.screen_stack] == [StudioScreen, HelpScreen]


async def test_a_message_and_what_is_typed_after_enter_stay_apart(make_app, endpoint):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        studio_screen = screen(pilot)
        burst(app, *"first", "enter", *"second")
        await wait_for(
            pilot, lambda: studio_screen.session.conversation is not None and not studio_screen.session.flights()
        )
        await wait_for(pilot, lambda: studio_screen.composer.text == "second")
        [(content,)] = repos(app.studio).store.query("SELECT content FROM messages WHERE role = 'user'")
        assert content == "first"


async def test_escape_in_settings_then_typing_goes_to_the_composer(make_app, endpoint):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f2")
        await wait_for(pilot, lambda: isinstance(app.focused, Input))
        url = app.screen.query_one("#base-url", Input).value
        burst(app, "escape", *"hello")
        await wait_for(pilot, lambda: screen(pilot).composer.text == "hello")
        assert not any(isinstance(s, SettingsScreen) for s in app.screen_stack)
        assert app.studio.settings.base_url == url


@pytest.mark.skipif(shutil.which("tmux") is None, reason="needs tmux")
def test_alt_enter_in_tmux_adds_a_line_and_enter_sends_both(terminal, endpoint):
    """tmux sends alt+enter as ESC CR; read as a bare Enter, it would send the first line alone."""
    terminal.start()
    terminal.wait_for("Welcome to Prompt Studio")
    terminal.keys("first line", "M-Enter", "second line")
    terminal.wait_for("second line")
    terminal.keys("Enter")
    terminal.wait_for("You asked about: first line second line.")
    [chat] = [r for r in endpoint.requests if r.path.endswith("/chat/completions")]
    assert chat.body["messages"][-1] == {"role": "user", "content": "first line\nsecond line"}
