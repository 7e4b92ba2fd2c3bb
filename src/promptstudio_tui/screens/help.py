"""Help: every key of the studio, grouped where it works, after the user's `[keymap]`.

Built from the action registry, so it lists what the bindings are made of, under the
ids the keymap takes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Static

from promptstudio_tui.actions import NO_KEYMAP, SCOPE_TITLES, bindings, in_scope, keys, spoken
from promptstudio_tui.screens.dialog import Dialog

# Keys that are Textual's own or the terminal's: no id, nothing to remap.
NOTES = (
    ("tab, shift+tab", "move between the panes and fields."),
    ("ctrl+c", "copies the selected text."),
    (
        "shift+enter",
        "reaches the app only where the terminal reports it (kitty, WezTerm, foot, Ghostty); "
        "not through tmux or most SSH sessions.",
    ),
    (
        "Copy",
        "uses OSC 52: the terminal puts the text on your local clipboard, also through SSH. "
        "In tmux it needs `set -g set-clipboard on`; some terminals ask first or refuse. "
        "If nothing arrives, export the prompt to a file instead.",
    ),
    ("Remap", 'any binding by its id in config.toml: under [keymap] write "<id>" = "keys", e.g. "f5" or "f5,ctrl+r".'),
)


@dataclass(frozen=True)
class BindingRow:
    keys: str  # as the footer shows them, after the keymap; several keys joined by " / "
    description: str
    binding_id: str


@dataclass(frozen=True)
class BindingGroup:
    name: str
    rows: tuple[BindingRow, ...]


def help_groups(app: App, keymap: Mapping[str, str] = NO_KEYMAP) -> list[BindingGroup]:
    """Every bound action, grouped by where it works, with its keys after `keymap`."""
    groups = []
    for scope, title in SCOPE_TITLES.items():
        rows = []
        for action in in_scope(scope):
            shown = [app.get_key_display(Binding(key, action.action)) for key in keys(action.id, keymap)]
            _words, caveat = spoken(action.id, keymap)
            rows.append(BindingRow(" / ".join(shown), f"{action.title or action.description}{caveat}", action.id))
        if rows:
            groups.append(BindingGroup(title, tuple(rows)))
    return groups


def _render(groups: list[BindingGroup]) -> Group:
    # One width for every table's id column, so the groups line up as one list.
    id_width = max((len(row.binding_id) for group in groups for row in group.rows), default=2)
    tables: list[Table | Text] = []
    for group in groups:
        table = Table(title=group.name, title_justify="left", title_style="bold", box=None, expand=True, padding=(0, 1))
        table.add_column("Key", style="bold", width=20, no_wrap=True)
        table.add_column("Action", ratio=1)
        table.add_column("Id", style="dim", width=id_width, no_wrap=True)
        for row in group.rows:
            table.add_row(Text(row.keys), Text(row.description), Text(row.binding_id))
        tables += [table, Text()]
    notes = Table(
        title="Typing and copying", title_justify="left", title_style="bold", box=None, expand=True, padding=(0, 1)
    )
    notes.add_column("Key", style="bold", width=20, no_wrap=True)
    notes.add_column("What it does", ratio=1)
    for key_names, text in NOTES:
        notes.add_row(Text(key_names), Text(text))
    return Group(*tables, notes)


class HelpScreen(Dialog[None]):
    """Every key, after the user's keymap; Esc, q or F1 closes."""

    AUTO_FOCUS = "#bindings"

    DEFAULT_CSS = """
    HelpScreen > #dialog {
        width: 100;
        height: 90%;
    }
    HelpScreen .heading {
        text-style: bold;
        padding: 0 1;
    }
    HelpScreen .hint {
        color: $text-muted;
        padding: 0 1;
    }
    HelpScreen #bindings {
        height: 1fr;
        padding: 1 1 0 1;
    }
    """

    BINDINGS = bindings("help")

    def __init__(self, keymap: Mapping[str, str] = NO_KEYMAP) -> None:
        super().__init__()
        self.keymap = keymap
        self.groups: list[BindingGroup] = []  # what is shown, filled on mount

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static("Keys", classes="heading")
            with VerticalScroll(id="bindings"):
                yield Static(id="table")
            yield Static(f"↑/↓ PgUp/PgDn scroll · {spoken('help.close', self.keymap)[0]} closes", classes="hint")

    def on_mount(self) -> None:
        self.groups = help_groups(self.app, self.keymap)
        self.query_one("#table", Static).update(_render(self.groups))

    def action_close(self) -> None:
        self.dismiss(None)
