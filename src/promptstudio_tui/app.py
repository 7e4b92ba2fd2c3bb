"""The Textual application: opens the Studio, applies the keymap and theme, hosts the screens."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import datetime, timezone

from textual.screen import Screen

from promptstudio_tui import heap
from promptstudio_tui.actions import bindings
from promptstudio_tui.commands import StudioCommands
from promptstudio_tui.errors import describe
from promptstudio_tui.keyorder import OrderedKeys
from promptstudio_tui.screens.main import StudioScreen
from promptstudio_tui.screens.warm_up import InputPauses, Pause
from promptstudio_tui.signals import leave_the_terminal, on_stop_signals, terminal_gone
from promptstudio_tui.studio import Studio

THEME_PREFERENCE = "ui.theme"
SIXTEEN_COLOURS = ("standard", "windows")  # Rich's names for a 16-colour terminal


class PromptStudioApp(OrderedKeys):
    CSS_PATH = "styles.tcss"
    TITLE = "Prompt Studio"
    COMMANDS = OrderedKeys.COMMANDS | {StudioCommands}
    BINDINGS = bindings("app")

    def __init__(
        self,
        overrides: dict | None = None,
        studio: Studio | None = None,
        *,
        clock: Callable[[], datetime] | None = None,
        pause: Pause | None = None,
    ) -> None:
        """`clock` and `pause` (a wait for a pause in the user's input) are for tests to pin."""
        # Under NO_COLOR, Textual strips every colour only from native ANSI output (else it
        # greys them, and an ANSI theme's default text turned black on black).
        super().__init__(ansi_color=True if "NO_COLOR" in os.environ else None)
        self._overrides = overrides
        self.studio = studio
        # Relative dates and message times read this clock, so snapshots can freeze it.
        self.clock = clock or (lambda: datetime.now(timezone.utc))
        self._pause = pause
        self._undo_stop_signals: Callable[[], None] = lambda: None
        self._failure: tuple[str, bool] | None = None  # why the studio did not open

    def get_default_screen(self) -> Screen:
        """The studio's screen as the app's first: drawn once, when the app is up. (Pushed
        from on_mount, a screen is laid out and drawn inside the app's start-up batch, that
        frame thrown away, and drawn again after: ~40 ms more to the first frame.)"""
        self._failure = self._open_studio()
        if self.studio is None:
            return super().get_default_screen()  # the problem screen follows on mount
        return self._studio_screen(self.studio)

    def on_mount(self) -> None:
        # SIGTERM / SIGHUP quit as ctrl+q does: replies in flight settle, the terminal is restored.
        self._undo_stop_signals = on_stop_signals(self._stop_on_signal)
        self.call_after_refresh(heap.first_frame)  # the collector was off for the start
        if self._failure is not None:
            self._show_failure(self._failure)
        else:
            self._started()

    def _open_studio(self) -> tuple[str, bool] | None:
        """Open the studio unless given one; on failure (why, can the store be moved aside)."""
        if self.studio is None:
            try:
                self.studio = Studio.open(self._overrides)
            except Exception as exc:  # config and store failures become one screen
                message = describe(exc)
                if message is None:
                    raise
                return message, getattr(exc, "corrupt", False)
        return None

    def _studio_screen(self, studio: Studio) -> StudioScreen:
        """The main screen, with the user's keys and theme applied first (each change after
        it is composed would restyle it)."""
        self.set_keymap(studio.settings.keymap)
        theme = studio.preference(THEME_PREFERENCE)
        self.theme = self.theme_for_terminal(theme if theme in self.available_themes else self.theme)
        pause = self._pause or InputPauses(lambda: self.last_input)
        return StudioScreen(studio, self.clock, pause)

    def _show_failure(self, failure: tuple[str, bool]) -> None:
        from promptstudio_tui.screens.startup import StartupErrorScreen

        self.theme = self.theme_for_terminal(self.theme)
        message, corrupt = failure
        self.push_screen(StartupErrorScreen(message, can_move_aside=corrupt), callback=self._restart)

    def _restart(self, notice: str | None) -> None:
        """The problem screen fixed it (a damaged store moved aside): start with `notice`."""
        failure = self._open_studio()
        if failure is not None:
            self._show_failure(failure)
            return
        assert self.studio is not None
        self.push_screen(self._studio_screen(self.studio))
        self._started(notice)

    def _started(self, notice: str | None = None) -> None:
        assert self.studio is not None
        for warning in self.studio.notices:
            self.notify(warning, severity="warning", markup=False, timeout=12)
        if notice:
            self.notify(notice, markup=False, timeout=12)

    def theme_for_terminal(self, name: str) -> str:
        """The theme `name`, or on a 16-colour terminal its ANSI twin, drawn in the terminal's
        own colours: a truecolor theme rounded to 16 turned headings and key hints red and
        pane backgrounds patchy. Not saved: the same preference gets its colours back elsewhere."""
        theme = self.get_theme(name) or self.current_theme
        if self.console.color_system in SIXTEEN_COLOURS and not theme.ansi:
            return "ansi-dark" if theme.dark else "ansi-light"
        return theme.name

    def watch_theme(self, theme: str) -> None:
        studio = self._running_studio()
        if studio is not None:
            studio.set_preference(THEME_PREFERENCE, theme)

    def _stop_on_signal(self, signum: int) -> None:
        if terminal_gone():
            leave_the_terminal(128 + signum)
        self.exit(return_code=128 + signum)

    async def on_unmount(self) -> None:
        self._undo_stop_signals()
        if self.studio is not None:
            await self.studio.aclose()

    def _running_studio(self) -> Studio | None:
        """The studio once the main screen runs (None on the startup-error screen)."""
        if any(isinstance(screen, StudioScreen) for screen in self.screen_stack):
            return self.studio
        return None

    # The secondary screens are imported when first opened: they are not needed
    # for the first frame. (They are modal: these keys do not reach the app while one
    # is open; Help and Usage bind F1 and F3 themselves to close.)

    def action_help(self) -> None:
        from promptstudio_tui.screens.help import HelpScreen

        # The keys after the user's [keymap]: Help names what actually works.
        self.push_screen(HelpScreen(self.studio.settings.keymap if self.studio else {}))

    def action_settings(self) -> None:
        from promptstudio_tui.screens.settings import SettingsScreen

        studio = self._running_studio()
        if studio is not None:
            self.push_screen(SettingsScreen(studio))

    def action_usage(self) -> None:
        from promptstudio_tui.screens.usage import UsageScreen

        studio = self._running_studio()
        if studio is not None:
            self.push_screen(UsageScreen(studio))
