"""The screen shown when the studio cannot open: why, and the one safe fix when there is one."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import Button, Static

from promptstudio_tui.actions import bindings
from promptstudio_tui.doctor import check
from promptstudio_tui.screens.modals import show_text


class StartupErrorScreen(Screen[str]):
    """Bad config, unusable database: say why. A damaged database can be moved aside here
    (renamed, never deleted); the screen then dismisses with what was done, and the app
    starts again with a new database."""

    DEFAULT_CSS = """
    StartupErrorScreen #startup-error { margin: 2 4; padding: 1 2; border: round $error; }
    StartupErrorScreen .buttons { height: auto; margin: 0 4; }
    StartupErrorScreen .buttons Button { margin-right: 2; }
    StartupErrorScreen #startup-problem { margin: 1 4; color: $error; height: auto; display: none; }
    """
    BINDINGS = bindings("startup")

    def __init__(self, message: str, *, can_move_aside: bool = False) -> None:
        super().__init__()
        self.message = message
        self.can_move_aside = can_move_aside

    def compose(self) -> ComposeResult:
        if self.can_move_aside:
            hint = "\n\nPress m to rename it (kept beside it as promptstudio.db.unusable-…) and start with a new one, or q to quit."
        else:
            hint = "\n\nFix the above, then start again. Press q to quit."
        yield Static(
            Text.assemble(("Prompt Studio could not start\n\n", "bold"), self.message, (hint, "dim")),
            id="startup-error",
        )
        if self.can_move_aside:
            yield Horizontal(
                Button("Move it aside and start fresh", id="move-aside", variant="warning"),
                Button("Quit", id="quit"),
                classes="buttons",
            )
            yield Static(id="startup-problem")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return self.can_move_aside if action == "move_aside" else True

    @on(Button.Pressed, "#quit")
    def _quit(self) -> None:
        self.app.exit()

    @on(Button.Pressed, "#move-aside")
    def action_move_aside(self) -> None:
        # doctor checks the file again first: a database that has become readable since
        # (restored from a backup meanwhile) is left where it is.
        ok, lines = check(move_aside=True)
        if ok:
            self.dismiss(lines[-1])  # "Moved the unusable database to …", or "… ok." if it was readable after all
        else:
            show_text(self.query_one("#startup-problem", Static), " ".join(lines))
