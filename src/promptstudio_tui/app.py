"""The Textual application: opens the Studio, applies the keymap and theme, hosts the screens."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone

from promptstudio_tui.actions import bindings
from promptstudio_tui.commands import StudioCommands
from promptstudio_tui.errors import describe
from promptstudio_tui.keyorder import OrderedKeys
from promptstudio_tui.screens.main import StudioScreen
from promptstudio_tui.screens.warm_up import InputPauses, Pause
from promptstudio_tui.studio import Studio

THEME_PREFERENCE = "ui.theme"


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
        super().__init__()
        self._overrides = overrides
        self.studio = studio
        # Relative dates and message times read this clock, so snapshots can freeze it.
        self.clock = clock or (lambda: datetime.now(timezone.utc))
        self._pause = pause

    def on_mount(self) -> None:
        self._start()

    def _start(self, notice: str | None = None) -> None:
        """Open the studio; on failure show why (and start again if the screen fixed it)."""
        if self.studio is None:
            try:
                self.studio = Studio.open(self._overrides)
            except Exception as exc:  # config and store failures become one screen
                message = describe(exc)
                if message is None:
                    raise
                from promptstudio_tui.screens.startup import StartupErrorScreen

                corrupt = getattr(exc, "corrupt", False)
                self.push_screen(StartupErrorScreen(message, can_move_aside=corrupt), callback=self._start)
                return
        self.set_keymap(self.studio.settings.keymap)
        theme = self.studio.preference(THEME_PREFERENCE)
        if theme in self.available_themes:
            self.theme = theme
        pause = self._pause or InputPauses(lambda: self.last_input)
        self.push_screen(StudioScreen(self.studio, self.clock, pause))
        for warning in self.studio.notices:
            self.notify(warning, severity="warning", markup=False, timeout=12)
        if notice:
            self.notify(notice, markup=False, timeout=12)

    def watch_theme(self, theme: str) -> None:
        studio = self._running_studio()
        if studio is not None:
            studio.set_preference(THEME_PREFERENCE, theme)

    async def on_unmount(self) -> None:
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
