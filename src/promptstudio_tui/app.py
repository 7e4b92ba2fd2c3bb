"""The Textual application: opens the Studio, applies the keymap and theme, hosts the screens."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone

from textual.binding import Binding

from promptstudio_tui.commands import StudioCommands
from promptstudio_tui.errors import describe
from promptstudio_tui.keyorder import OrderedKeys
from promptstudio_tui.screens.studio import StudioScreen
from promptstudio_tui.studio import Studio

THEME_PREFERENCE = "ui.theme"


class PromptStudioApp(OrderedKeys):
    CSS_PATH = "styles.tcss"
    TITLE = "Prompt Studio"
    COMMANDS = OrderedKeys.COMMANDS | {StudioCommands}
    BINDINGS = [
        Binding("ctrl+q", "quit", "Quit", priority=True, id="app.quit"),
        Binding("f1", "help", "Help", id="app.help"),
        Binding("f2", "settings", "Settings", id="app.settings"),
        Binding("f3", "usage", "Usage", id="app.usage"),
        Binding("ctrl+p", "command_palette", "Commands", show=False, priority=True, id="app.command_palette"),
    ]

    def __init__(
        self,
        overrides: dict | None = None,
        studio: Studio | None = None,
        *,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        super().__init__()
        self._overrides = overrides
        self.studio = studio
        # Relative dates and message times read this clock, so snapshots can freeze it.
        self.clock = clock or (lambda: datetime.now(timezone.utc))

    def on_mount(self) -> None:
        self._start()

    def _start(self, notice: str | None = None) -> None:
        """Open the studio; on failure show why (and start again if the screen fixed it)."""
        if self.studio is None:
            try:
                self.studio = Studio.open(self._overrides)
            except Exception as exc:  # noqa: BLE001 - config and store failures become one screen
                message = describe(exc)
                if message is None:
                    raise
                from promptstudio_tui.screens.startup import StartupErrorScreen

                corrupt = getattr(exc, "corrupt", False)
                self.push_screen(StartupErrorScreen(message, can_move_aside=corrupt), callback=self._start)
                return
        self.set_keymap(self.studio.settings.keymap)
        theme = self.studio.preferences.get(THEME_PREFERENCE)
        if theme in self.available_themes:
            self.theme = theme
        self.push_screen(StudioScreen(self.studio))
        for warning in self.studio.notices:
            self.notify(warning, severity="warning", markup=False, timeout=12)
        if notice:
            self.notify(notice, markup=False, timeout=12)

    def watch_theme(self, theme: str) -> None:
        if self._studio_ready():
            self.studio.preferences.set(THEME_PREFERENCE, theme)

    async def on_unmount(self) -> None:
        if self.studio is not None:
            await self.studio.aclose()

    def _studio_ready(self) -> bool:
        """True once the studio screen runs (not on the startup-error screen)."""
        return self.studio is not None and any(isinstance(screen, StudioScreen) for screen in self.screen_stack)

    # The secondary screens are imported when first opened: they are not needed
    # for the first frame. (They are modal: these keys do not reach the app while one
    # is open; Help and Usage bind F1 and F3 themselves to close.)

    def action_help(self) -> None:
        from promptstudio_tui.screens.help import HelpScreen

        self.push_screen(HelpScreen())

    def action_settings(self) -> None:
        from promptstudio_tui.screens.settings import SettingsScreen

        if self._studio_ready():
            self.push_screen(SettingsScreen(self.studio))

    def action_usage(self) -> None:
        from promptstudio_tui.screens.usage import UsageScreen

        if self._studio_ready():
            self.push_screen(UsageScreen(self.studio))
