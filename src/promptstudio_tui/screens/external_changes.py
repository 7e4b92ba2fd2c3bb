"""What other processes write shows without a key press: a `send` from a shell, a second
studio, a test run from the CLI.

Every CHECK_SECONDS, and when the terminal gives the app the focus back, the studio is
asked whether another process committed (SQLite's data_version: one PRAGMA, no table
read; in a thread, as a worker may hold the store's lock for a while). If so the
conversation list reloads (its rows and count) and the plan meter is read again. The
list's relative dates ("3 min ago") are rebuilt every DATES_SECONDS as time passes,
unless the list has the focus (a rebuild would move its scroll position under the user).
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from promptstudio_tui.screens.main import StudioScreen

CHECK_SECONDS = 2.0
DATES_SECONDS = 60.0


class ExternalChanges:
    def __init__(self, screen: StudioScreen) -> None:
        self.screen = screen

    def start(self) -> None:
        self.screen.set_interval(CHECK_SECONDS, self.check)
        self.screen.set_interval(DATES_SECONDS, self._redate)
        self.screen.watch(self.screen.app, "app_focus", self._focus_changed, init=False)

    async def check(self) -> None:
        if await asyncio.to_thread(self.screen.studio.changed_elsewhere):
            self.screen.conversation_list.reload()
            self.screen.show_settings()  # the plan meter

    def _focus_changed(self, focused: bool) -> None:
        if focused:
            self.screen.run_worker(self.check(), group="external-changes", exit_on_error=False)

    def _redate(self) -> None:
        if not self.screen.conversation_list.has_focus:
            self.screen.conversation_list.refresh_rows()
