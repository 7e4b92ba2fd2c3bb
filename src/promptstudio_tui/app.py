"""The Textual application: opens the Studio, applies the keymap and theme, hosts the screens."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone

from textual.app import App
from textual.binding import Binding
from textual.screen import Screen

from promptstudio_tui.commands import StudioCommands
from promptstudio_tui.errors import describe
from promptstudio_tui.screens.studio import StudioScreen
from promptstudio_tui.studio import Studio

THEME_PREFERENCE = "ui.theme"


class PromptStudioApp(App[None]):
    CSS_PATH = "styles.tcss"
    TITLE = "Prompt Studio"
    COMMANDS = App.COMMANDS | {StudioCommands}
    # Keys typed ahead (over SSH, in tmux, pasted) are queued to the focused widget
    # before an earlier key's binding has run, so text typed right after Tab or F2
    # would land in the field being left. Priority bindings run as their key
    # arrives, so the keys after them reach the new focus.
    BINDINGS = [
        Binding("ctrl+q", "quit", "Quit", priority=True, id="app.quit"),
        Binding("f1", "help", "Help", priority=True, id="app.help"),
        Binding("f2", "settings", "Settings", priority=True, id="app.settings"),
        Binding("f3", "usage", "Usage", priority=True, id="app.usage"),
        Binding("tab", "focus_next", "Next field", show=False, priority=True, id="app.focus_next"),
        Binding("shift+tab", "focus_previous", "Previous field", show=False, priority=True, id="app.focus_previous"),
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
    # for the first frame. F1 and F3 close their screen again; F2 never stacks a
    # second Settings over unsaved edits.

    def action_help(self) -> None:
        from promptstudio_tui.screens.help import HelpScreen

        self._toggle(HelpScreen, HelpScreen)

    def action_settings(self) -> None:
        from promptstudio_tui.screens.settings import SettingsScreen

        if self._studio_ready() and not isinstance(self.screen, SettingsScreen):
            self.push_screen(SettingsScreen(self.studio))

    def action_usage(self) -> None:
        from promptstudio_tui.screens.usage import UsageScreen

        if self._studio_ready():
            self._toggle(UsageScreen, lambda: UsageScreen(self.studio))

    def _toggle(self, kind: type[Screen], make: Callable[[], Screen]) -> None:
        if isinstance(self.screen, kind):
            self.screen.dismiss(None)
        else:
            self.push_screen(make())
