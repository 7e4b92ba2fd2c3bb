"""Snapshots of the main screen on a 16-colour terminal (TERM=xterm) at 160×48, 100×30 and
60×20, and under NO_COLOR at 100×30.

Pinned as in test_tui_snapshots.py (frozen clock, UTC, fixed timestamps, no blinking). The
terminal is described by the environment the app starts in: Rich reads TERM and COLORTERM
for the colour system, Textual reads NO_COLOR.
"""

from __future__ import annotations

from typing import Any

import pytest

from promptstudio_tui.studio import Studio
from test_tui_snapshots import make_app, open_conversation, seed, utc  # noqa: F401 (utc: a fixture)

SIZES = [
    pytest.param((160, 48), id="160x48"),
    pytest.param((100, 30), id="100x30"),
    pytest.param((60, 20), id="60x20"),
]


@pytest.fixture
def sixteen_colours(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TERM", "xterm")
    monkeypatch.delenv("COLORTERM", raising=False)
    monkeypatch.delenv("NO_COLOR", raising=False)


@pytest.mark.usefixtures("utc", "sixteen_colours")
@pytest.mark.parametrize("size", SIZES)
def test_main_screen_in_16_colours(snap_compare: Any, size: tuple[int, int]) -> None:
    """The terminal's own colours: headings and key hints not red, pane backgrounds even,
    the open conversation's and the shown prompt's rows marked without a shade."""
    studio = Studio.open()
    opened = open_conversation(seed(studio))
    assert snap_compare(make_app(studio), terminal_size=size, run_before=opened)


@pytest.mark.usefixtures("utc")
def test_main_screen_under_no_color(snap_compare: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """No colour at all: bold, italic, underline and dim carry what colours did."""
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("TERM", "xterm-256color")
    studio = Studio.open()
    opened = open_conversation(seed(studio))
    assert snap_compare(make_app(studio), terminal_size=(100, 30), run_before=opened)
