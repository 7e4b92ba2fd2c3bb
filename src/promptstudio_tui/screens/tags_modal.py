"""A conversation's tags, typed comma-separated: the conversation search finds them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Button, Input, Static

from promptstudio_tui.actions import NO_KEYMAP
from promptstudio_tui.library import MAX_TAGS, TAG_CHARS, split_tags
from promptstudio_tui.sanitize import one_line
from promptstudio_tui.screens.modals import Modal, _buttons


class TagsModal(Modal[list[str] | None]):
    """Dismisses with the cleaned tags (empty: none), or None when cancelled."""

    AUTO_FOCUS = "#tags"

    def __init__(self, title: str, tags: Sequence[str], *, keymap: Mapping[str, str] = NO_KEYMAP) -> None:
        super().__init__(keymap=keymap)
        self.heading = f"Tags of “{one_line(title, 40)}”"
        self.tags = list(tags)

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(Text(self.heading), classes="title")
            yield Input(", ".join(self.tags), placeholder="launch, email, 发布", id="tags")
            hint = f"Comma-separated; up to {MAX_TAGS} tags of {TAG_CHARS} characters. Empty removes them all."
            yield Static(hint, classes="hint", markup=False)
            yield _buttons("Save")

    @on(Input.Submitted)
    @on(Button.Pressed, "#confirm")
    def _submit(self) -> None:
        self.dismiss(split_tags(self.query_one("#tags", Input).value))
