"""Snapshots of the prompt pane as a library (searched) and zoomed to the full screen, at
160×48, 100×30 and 60×20. Pinned as in test_tui_snapshots.py (frozen clock, fixed
timestamps, no blinking)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from textual.pilot import Pilot

from promptstudio_tui.studio import Studio
from test_tui_snapshots import freeze, make_app, open_conversation, seed, settle, utc  # noqa: F401 (utc: a fixture)
from tui_fixtures import screen, wait_for

SIZES = [
    pytest.param((160, 48), id="160x48"),
    pytest.param((100, 30), id="100x30"),
    pytest.param((60, 20), id="60x20"),
]


def snapshot(snap_compare: Any, size: tuple[int, int], then: Callable[[Pilot[Any]], Awaitable[None]]) -> bool:
    """The seeded conversation open, the library's search focused, then `then`."""
    studio = Studio.open()
    studio.local_servers = ()
    opened = open_conversation(seed(studio))

    async def run_before(pilot: Pilot[Any]) -> None:
        await opened(pilot)
        await screen(pilot).run_action("search_prompts")  # "/" in the pane: reveals it (floating when narrow)
        await then(pilot)
        await settle(pilot)
        freeze(pilot)
        await pilot.pause()

    return snap_compare(make_app(studio), terminal_size=size, run_before=run_before)


@pytest.mark.usefixtures("utc")
@pytest.mark.parametrize("size", SIZES)
def test_the_library_finds_prompts_by_words(snap_compare: Any, size: tuple[int, int]) -> None:
    async def search(pilot: Pilot[Any]) -> None:
        await pilot.press(*"changelog")
        await wait_for(pilot, lambda: [p.title for p in screen(pilot).panel.prompts] == ["Changelog summariser"])

    assert snapshot(snap_compare, size, search)


@pytest.mark.usefixtures("utc")
@pytest.mark.parametrize("size", SIZES)
def test_the_prompt_pane_zoomed(snap_compare: Any, size: tuple[int, int]) -> None:
    async def zoom(pilot: Pilot[Any]) -> None:
        await pilot.press("f8")
        await wait_for(pilot, lambda: screen(pilot).has_class("-zoom-right"))

    assert snapshot(snap_compare, size, zoom)
