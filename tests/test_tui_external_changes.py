"""The studio screen notices what another process wrote, without a key press."""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone
from pathlib import Path

from textual.widgets import Label

from clitools import cli_env, run_cli
from conftest import TEST_KEY
from promptstudio_tui.app import PromptStudioApp
from promptstudio_tui.widgets.usage_meter import UsageMeter
from tui_fixtures import SIZE, screen, wait_for


def wall_clock() -> datetime:
    """The meter counts this month's use, and the other process records it now."""
    return datetime.now(timezone.utc)


async def test_a_send_from_another_terminal_shows_in_the_list_and_the_meter(make_studio, endpoint, home: Path):
    app = PromptStudioApp(studio=make_studio(), clock=wall_clock)
    async with app.run_test(size=SIZE) as pilot:
        studio_screen = screen(pilot)
        listed = studio_screen.conversation_list
        meter = studio_screen.query_one(UsageMeter)
        # Loaded once (the empty list's one line) before the other process writes.
        await wait_for(pilot, lambda: meter.meter is not None and listed.option_count == 1 and not listed.rows)
        assert meter.meter.requests[0] == 0

        sent = await asyncio.to_thread(
            run_cli, cli_env(home, endpoint.base_url, TEST_KEY), "send", "typed in another terminal"
        )
        assert sent.returncode == 0, sent.stderr

        await wait_for(pilot, lambda: [c.title for c in listed.rows] == ["typed in another terminal"], timeout=60)
        assert "· 1" in str(studio_screen.query_one("#conversation-count", Label).render())
        await wait_for(pilot, lambda: meter.meter.requests[0] == 1, timeout=60)
