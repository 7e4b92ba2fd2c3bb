"""Helpers for the studio's Pilot tests: a studio on the loopback endpoint, a frozen clock, waiting."""

from __future__ import annotations

import io
import time
import weakref
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from textual.app import App
from textual.pilot import Pilot
from textual.widget import Widget
from textual.widgets import Static

from conftest import TEST_KEY
from loopback import LoopbackServer
from promptstudio_tui.app import PromptStudioApp
from promptstudio_tui.screens.main import StudioScreen
from promptstudio_tui.studio import Studio
from promptstudio_tui.widgets.message_view import LiveReply, MessageView

SIZE = (160, 48)
NOW = datetime(2026, 3, 14, 15, 9, tzinfo=timezone.utc)


def frozen_clock() -> datetime:
    return NOW


@pytest.fixture
def make_studio(
    endpoint: LoopbackServer, config_file: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[..., Studio]]:
    """Open studios on the loopback endpoint; `config` is written to config.toml first."""
    monkeypatch.setenv("OPENAI_API_KEY", TEST_KEY)
    monkeypatch.setenv("OPENAI_BASE_URL", endpoint.base_url)

    def make(config: str = "") -> Studio:
        config_file.write_text(config, encoding="utf-8")
        studio = Studio.open()
        # Load the tokenizer and SDK now (once per process), not while a test times a stream.
        studio.warm_up()
        return studio

    yield make


@pytest.fixture
def make_app(make_studio: Callable[..., Studio]) -> Callable[..., PromptStudioApp]:
    def make(config: str = "", studio: Studio | None = None) -> PromptStudioApp:
        return PromptStudioApp(studio=studio or make_studio(config), clock=frozen_clock)

    return make


def screen(pilot: Pilot) -> StudioScreen:
    for candidate in pilot.app.screen_stack:
        if isinstance(candidate, StudioScreen):
            return candidate
    raise AssertionError("the studio screen is not running")


async def wait_for(pilot: Pilot, condition: Callable[[], object], timeout: float = 10.0) -> None:
    """Let the app run until `condition()` is true (streams arrive over real HTTP)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {getattr(condition, '__name__', 'a condition')}")
        await pilot.pause(0.02)


async def idle(pilot: Pilot) -> None:
    """Until no reply or prompt is streaming and the list has settled."""
    studio_screen = screen(pilot)
    await wait_for(pilot, lambda: not studio_screen.session.flights())
    await pilot.pause()


async def send(pilot: Pilot, text: str) -> None:
    """Type `text`, press Enter and wait for the reply to settle (complete or not)."""
    studio_screen = screen(pilot)
    before = len(studio_screen.chat.message_ids()) if studio_screen.session.conversation else 0
    studio_screen.query_one("#composer-input").focus()
    studio_screen.composer.set_text(text)
    await pilot.press("enter")

    def answered() -> bool:
        return len(studio_screen.chat.message_ids()) >= before + 2 and not studio_screen.session.flights()

    await wait_for(pilot, answered)
    await pilot.pause()


_shown: weakref.WeakKeyDictionary[App, list[str]] = weakref.WeakKeyDictionary()


@pytest.fixture(autouse=True)
def _record_notifications(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every notification an app shows, in order (Textual keeps no public list of them)."""
    show = App.notify

    def notify(self: App, message: str, *args: Any, **kwargs: Any) -> None:
        _shown.setdefault(self, []).append(str(message))
        show(self, message, *args, **kwargs)

    monkeypatch.setattr(App, "notify", notify)


def notifications(pilot: Pilot) -> list[str]:
    return list(_shown.get(pilot.app, []))


def rendered(widget: Widget) -> str:
    """The plain text a Static shows (its content may be any Rich renderable), or a
    streaming reply's pieces."""
    console = Console(width=120, file=io.StringIO(), record=True, color_system=None)
    for part in widget.query(Static) if isinstance(widget, LiveReply) else [widget]:
        assert isinstance(part, Static)
        console.print(part.content)
    return console.export_text()


def drawn(studio_screen: StudioScreen) -> list[MessageView | LiveReply]:
    """The messages the chat shows, in order: settled or still streaming."""
    return [child for child in studio_screen.chat.children if isinstance(child, (MessageView, LiveReply))]
