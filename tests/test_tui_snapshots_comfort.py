"""Snapshots of the first start and the export dialog at 160×48, 100×30 and 60×20.

Pinned as in test_tui_snapshots.py (frozen clock, fixed timestamps, no blinking). The
local server offered on the first start runs on a fixed loopback port per size, since
the welcome names it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from loopback import run_server
from promptstudio_tui.local_servers import LocalServer
from promptstudio_tui.studio import Studio
from promptstudio_tui.widgets.welcome import Welcome
from test_tui_snapshots import freeze, make_app, open_conversation, seed, settle
from tui_fixtures import screen


def write_config(config_file: Path, text: str) -> None:
    """Private from the start, so no "permissions tightened" notice lands in the picture."""
    config_file.parent.chmod(0o700)
    config_file.write_text(text, encoding="utf-8")
    config_file.chmod(0o600)


SIZES = [
    pytest.param((160, 48), id="160x48"),
    pytest.param((100, 30), id="100x30"),
    pytest.param((60, 20), id="60x20"),
]


@pytest.mark.parametrize("size", SIZES)
def test_first_start_offers_the_local_server(
    snap_compare: Any, config_file: Path, no_keyring: None, size: tuple[int, int]
) -> None:
    """No key, no endpoint: what to do, and the local server that answers, on top of the list."""
    write_config(config_file, "")
    # The port is in the picture, so it is fixed: below 32768, where Linux never picks the
    # local port of an outgoing connection (41060 was once taken by one mid-suite).
    port = 31000 + size[0]
    with run_server(port=port) as local:
        studio = Studio.open()
        studio.local_servers = (LocalServer("Ollama", port),)

        async def run_before(pilot: Pilot[Any]) -> None:
            await pilot.pause()  # the screen composes after the app is ready
            welcome = screen(pilot).query_one(Welcome)
            while welcome.needs_setup is None:
                await pilot.pause(0.02)
            await settle(pilot)
            freeze(pilot)
            await pilot.pause()

        assert local.models
        assert snap_compare(make_app(studio), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_export_dialog_opens_on_the_format(snap_compare: Any, config_file: Path, size: tuple[int, int]) -> None:
    write_config(config_file, 'export_dir = "/srv/exports"\n')
    with run_server() as endpoint:
        studio = Studio.open({"base_url": endpoint.base_url})
        opened = open_conversation(seed(studio))

        async def run_before(pilot: Pilot[Any]) -> None:
            await opened(pilot)
            await screen(pilot).run_action("export_conversation")
            await settle(pilot)
            freeze(pilot)
            await pilot.pause()

        assert snap_compare(make_app(studio), terminal_size=size, run_before=run_before)
