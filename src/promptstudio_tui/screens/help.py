"""Help: every binding of the app and of the screen below, read at run time.

Reading them live (after the user's `[keymap]`) keeps this list true whatever
the panes declare and however the user remapped them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.dom import DOMNode
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

NOTES = (
    ("Enter", "sends the message in the composer."),
    ("alt+enter, ctrl+j", "insert a new line everywhere, also inside tmux and over SSH."),
    ("shift+enter", "inserts a new line where the terminal reports it (kitty, WezTerm, foot, Ghostty)."),
    (
        "Copy",
        "uses OSC 52: the terminal puts the text on your local clipboard, also through SSH. "
        "In tmux it needs `set -g set-clipboard on`; some terminals ask first or refuse. "
        "If nothing arrives, export the prompt to a file instead.",
    ),
    ("Remap", 'any binding by its id in config.toml: under [keymap] write <id> = "keys", e.g. "f5" or "f5,ctrl+r".'),
)


@dataclass(frozen=True)
class BindingRow:
    keys: str  # as shown, after the keymap; several keys joined by " / "
    description: str
    binding_id: str | None


@dataclass(frozen=True)
class BindingGroup:
    name: str
    rows: tuple[BindingRow, ...]


def _label(node: DOMNode) -> str:
    """"ConversationList" -> "Conversation list"."""
    words = re.findall(r"[A-Z]+(?![a-z])|[A-Z]?[a-z0-9]+", type(node).__name__)
    return " ".join(words).capitalize() if words else type(node).__name__


def _own_actions(node: DOMNode) -> set[str]:
    """Actions this project declared on the node's classes (not Textual's own widgets)."""
    return {
        binding.action
        for cls in type(node).__mro__
        if not cls.__module__.startswith("textual.")
        for binding in Binding.make_bindings(cls.__dict__.get("BINDINGS", ()))
    }


def _rows(app: App, node: DOMNode, everything: bool) -> list[BindingRow]:
    bindings = node._bindings.copy()  # Textual keeps no public per-node map
    bindings.apply_keymap(app._keymap)  # the same keymap the running app applies
    own = set() if everything else _own_actions(node)
    merged: dict[tuple[str, str | None, str], list[str]] = {}
    for _key, binding in bindings:
        if binding.system or not (everything or binding.id or binding.action in own):
            continue
        description = binding.description or binding.action.replace("_", " ")
        description = description[:1].upper() + description[1:]  # Textual's own read "palette"
        keys = merged.setdefault((description, binding.id, binding.action), [])
        display = app.get_key_display(binding)
        if display not in keys:
            keys.append(display)
    return [BindingRow(" / ".join(keys), description, binding_id) for (description, binding_id, _), keys in merged.items()]


def binding_groups(app: App, screen: Screen) -> list[BindingGroup]:
    """The app's bindings, the screen's, then each kind of widget on it that adds some."""
    groups: dict[str, list[BindingRow]] = {
        "Everywhere": _rows(app, app, everything=True),
        _label(screen): _rows(app, screen, everything=True),
    }
    for widget in screen.walk_children():
        rows = groups.setdefault(_label(widget), [])
        rows += [row for row in _rows(app, widget, everything=False) if row not in rows]
    return [BindingGroup(name, tuple(rows)) for name, rows in groups.items() if rows]


def _render(groups: list[BindingGroup]) -> Group:
    # One width for every table's id column, so the groups line up as one list.
    id_width = max((len(row.binding_id or "—") for group in groups for row in group.rows), default=2)
    tables: list[Table | Text] = []
    for group in groups:
        table = Table(title=group.name, title_justify="left", title_style="bold", box=None, expand=True, padding=(0, 1))
        table.add_column("Key", style="bold", width=20, no_wrap=True)
        table.add_column("Action", ratio=1)
        table.add_column("Id", style="dim", width=id_width, no_wrap=True)
        for row in group.rows:
            table.add_row(Text(row.keys), Text(row.description), Text(row.binding_id or "—"))
        tables += [table, Text()]
    notes = Table(title="Typing and copying", title_justify="left", title_style="bold", box=None, expand=True, padding=(0, 1))
    notes.add_column("Key", style="bold", width=20, no_wrap=True)
    notes.add_column("What it does", ratio=1)
    for keys, text in NOTES:
        notes.add_row(Text(keys), Text(text))
    return Group(*tables, notes)


class HelpScreen(ModalScreen[None]):
    """Lists the bindings of the screen it was opened over; Esc, q or F1 closes."""

    AUTO_FOCUS = "#bindings"

    DEFAULT_CSS = """
    HelpScreen {
        align: center middle;
    }
    HelpScreen > Vertical {
        width: 100;
        max-width: 100%;
        height: 90%;
        border: thick $primary 60%;
        background: $surface;
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

    BINDINGS = [Binding("escape,q,f1", "close", "Close", id="help.close")]

    def __init__(self) -> None:
        super().__init__()
        self.groups: list[BindingGroup] = []  # what is shown, filled on mount

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static("Keys", classes="heading")
            with VerticalScroll(id="bindings"):
                yield Static(id="table")
            yield Static("↑/↓ PgUp/PgDn scroll · Esc, q or F1 closes", classes="hint")

    def on_mount(self) -> None:
        stack = self.app.screen_stack
        below = stack[stack.index(self) - 1] if self in stack and stack.index(self) > 0 else self.app.screen
        self.groups = binding_groups(self.app, below)
        self.query_one("#table", Static).update(_render(self.groups))

    def action_close(self) -> None:
        self.dismiss(None)
