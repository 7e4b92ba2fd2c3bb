"""Small dialogs that answer one question through `dismiss`.

Everything shown here may come from the user or a model (titles, tags), so it is
rendered as plain text, never as markup.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Label, OptionList, RadioButton, RadioSet, Select, Static
from textual.widgets.button import ButtonVariant
from textual.widgets.option_list import Option

from promptstudio_tui.actions import NO_KEYMAP, bindings, spoken
from promptstudio_tui.sanitize import one_line
from promptstudio_tui.screens.dialog import Dialog
from promptstudio_tui.store.records import Prompt

EXPORT_FORMATS = ("md", "json")
ResultType = TypeVar("ResultType")

MODAL_CSS = """
Modal > #dialog {
    width: 64;
    padding: 1 2;
}
Modal .title {
    text-style: bold;
    margin-bottom: 1;
    width: 100%;
}
Modal .field-label {
    margin-top: 1;
    color: $text-muted;
}
Modal .error {
    color: $error;
    height: auto;
    display: none;
}
Modal .note {
    color: $text-muted;
    height: auto;
    display: none;
}
Modal OptionList {
    height: auto;
    max-height: 14;
}
Modal .hint {
    color: $text-muted;
}
Modal .buttons {
    height: auto;
    margin-top: 1;
    align-horizontal: right;
}
Modal .buttons Button {
    margin-left: 2;
}
"""


def show_text(widget: Static, text: str) -> None:
    """Plain text in a line that takes no room while it has nothing to say."""
    widget.update(Text(text))
    widget.display = bool(text)


def slug(title: str, limit: int = 60) -> str:
    """A file-name-safe stem for a title: lower-case words joined by dashes."""
    words = re.findall(r"[a-z0-9]+", one_line(title).lower())
    return "-".join(words)[:limit].rstrip("-") or "prompt"


class Modal(Dialog[ResultType]):
    """Shared look and the Esc key; subclasses say what "cancelled" means."""

    DEFAULT_CSS = MODAL_CSS
    BINDINGS = bindings("dialog")
    CANCEL_VALUE: Any = None

    def __init__(self, *, keymap: Mapping[str, str] = NO_KEYMAP) -> None:
        super().__init__()
        self.keymap = keymap  # the user's [keymap], for the keys named in hints

    @property
    def cancel_key(self) -> str:
        """The key that cancels, as a hint names it: "Esc" (or the user's own)."""
        words = spoken("modal.cancel", self.keymap)[0]
        return words[:1].upper() + words[1:]

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(self.CANCEL_VALUE)

    def show_error(self, text: str) -> None:
        show_text(self.query_one(".error", Static), text)


def _buttons(confirm_label: str, variant: ButtonVariant = "primary") -> Horizontal:
    return Horizontal(
        Button("Cancel", id="cancel"), Button(confirm_label, id="confirm", variant=variant), classes="buttons"
    )


class ConfirmModal(Modal[bool]):
    """Dismisses with True to go ahead, False otherwise."""

    AUTO_FOCUS = "#confirm"

    BINDINGS = bindings("confirm")
    CANCEL_VALUE = False

    def __init__(self, question: str, confirm_label: str = "Delete") -> None:
        super().__init__()
        self.question = question
        self.confirm_label = confirm_label

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(Text(self.question), classes="title")
            yield _buttons(self.confirm_label, "error")

    @on(Button.Pressed, "#confirm")
    def action_confirm(self) -> None:
        self.dismiss(True)


class TextInputModal(Modal[str | None]):
    """Dismisses with the stripped text, or None when cancelled."""

    def __init__(
        self, title: str, value: str = "", placeholder: str = "", *, keymap: Mapping[str, str] = NO_KEYMAP
    ) -> None:
        super().__init__(keymap=keymap)
        self.heading = title
        self.initial = value
        self.placeholder = placeholder

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(Text(self.heading), classes="title")
            yield Input(self.initial, placeholder=self.placeholder, id="text")
            yield Static(classes="error")
            yield _buttons("OK")

    @on(Input.Submitted)
    @on(Button.Pressed, "#confirm")
    def _submit(self) -> None:
        text = self.query_one("#text", Input).value.strip()
        if not text:
            self.show_error(f"Type something first, or press {self.cancel_key} to cancel.")
            return
        self.dismiss(text)


class CategoryModal(Modal[str | None]):
    """Dismisses with the chosen category, or None when cancelled."""

    AUTO_FOCUS = "#categories"

    def __init__(self, current: str, categories: Sequence[str], *, keymap: Mapping[str, str] = NO_KEYMAP) -> None:
        super().__init__(keymap=keymap)
        self.current = current
        self.categories = categories

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static("Category", classes="title")
            yield OptionList(*(Option(name, id=name) for name in self.categories), id="categories")
            yield Static(f"Enter chooses · {self.cancel_key} cancels", classes="hint")

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        if self.current in self.categories:
            options.highlighted = list(self.categories).index(self.current)

    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)


class SavePromptModal(Modal[tuple[str, str, list[str]] | None]):
    """Dismisses with (title, category, tags) or None when cancelled."""

    def __init__(self, prompt: Prompt, categories: Sequence[str]) -> None:
        super().__init__()
        self.prompt = prompt
        self.categories = categories

    def compose(self) -> ComposeResult:
        prompt = self.prompt
        category = prompt.category if prompt.category in self.categories else self.categories[0]
        with Vertical(id="dialog"):
            yield Static("Save prompt", classes="title")
            yield Label("Title", classes="field-label")
            yield Input(one_line(prompt.title), id="title")
            yield Label("Category", classes="field-label")
            yield Select([(name, name) for name in self.categories], value=category, allow_blank=False, id="category")
            yield Label("Tags (comma-separated)", classes="field-label")
            yield Input(", ".join(prompt.tags), placeholder="email, support", id="tags")
            yield Static(classes="error")
            yield _buttons("Save")

    @on(Input.Submitted)
    @on(Button.Pressed, "#confirm")
    def _submit(self) -> None:
        title = self.query_one("#title", Input).value.strip()
        if not title:
            self.show_error("A prompt needs a title.")
            self.query_one("#title", Input).focus()
            return
        category = str(self.query_one("#category", Select).value)
        tags = [tag.strip() for tag in self.query_one("#tags", Input).value.split(",") if tag.strip()]
        self.dismiss((title, category, tags))


class ExportModal(Modal[tuple[str, Path] | None]):
    """Dismisses with (format, path) or None; the path follows the chosen format.

    Opens on the format; the file defaults to `default_dir` (the user's `export_dir`),
    and a bare name typed there lands in it too: never silently the current directory."""

    AUTO_FOCUS = "#format"
    # The formats side by side and the box scrolling: the whole dialog fits a 60x20 terminal.
    DEFAULT_CSS = """
    ExportModal RadioSet {
        layout: horizontal;
        width: 100%;
    }
    ExportModal RadioButton {
        margin-right: 2;
    }
    ExportModal .field-label {
        margin-top: 0;
    }
    ExportModal > #dialog {
        overflow-y: auto;
    }
    """

    def __init__(self, title: str, default_dir: Path, *, keymap: Mapping[str, str] = NO_KEYMAP) -> None:
        super().__init__(keymap=keymap)
        self.heading = title
        self.default_dir = default_dir

    def compose(self) -> ComposeResult:
        path = self.default_dir / f"{slug(self.heading)}.{EXPORT_FORMATS[0]}"
        with Vertical(id="dialog"):
            yield Static(Text(f"Export “{one_line(self.heading, 50)}”"), classes="title")
            yield Label("Format", classes="field-label")
            with RadioSet(id="format"):
                for index, fmt in enumerate(EXPORT_FORMATS):
                    yield RadioButton(fmt, value=index == 0, name=fmt)
            yield Label("File", classes="field-label")
            # Not selected on focus: the first key typed would replace the whole path.
            yield Input(str(path), id="path", select_on_focus=False)
            yield Static("←/→ and Space: format · Tab: file · Enter: export", classes="hint")
            yield Static(id="exists", classes="note")
            yield Static(classes="error")
            yield _buttons("Export")

    @property
    def fmt(self) -> str:
        pressed = self.query_one(RadioSet).pressed_button
        return pressed.name if pressed and pressed.name else EXPORT_FORMATS[0]

    def _target(self) -> Path:
        """The typed path; a bare name lands in the default folder, as the prefilled one does."""
        return self.default_dir / Path(self.query_one("#path", Input).value.strip()).expanduser()

    @on(RadioSet.Changed)
    def _format_changed(self) -> None:
        path_input = self.query_one("#path", Input)
        path = Path(path_input.value.strip())
        # Follow the format only while the name still carries one of ours: a
        # custom suffix the user typed is theirs to keep.
        if path.suffix.lstrip(".") in EXPORT_FORMATS:
            path_input.value = str(path.with_suffix(f".{self.fmt}"))
            path_input.cursor_position = len(path_input.value)  # typing goes on at the end, as before

    def _existing(self, target: Path) -> bool | str:
        """Whether a file is there to replace (asked before the write replaces it), or why
        the target can never be written: a link, a device, a pipe (`safe_files`)."""
        from promptstudio_tui.safe_files import existing_file

        try:
            return existing_file(target)
        except OSError as exc:
            return f"{target}: {exc.strerror}; choose another name."

    @on(Input.Changed, "#path")
    def _path_changed(self) -> None:
        target = self._target()
        exists = self._existing(target) is True
        show_text(self.query_one("#exists", Static), f"{target} exists and will be replaced." if exists else "")
        self.query_one("#confirm", Button).label = "Replace" if exists else "Export"
        self.show_error("")

    @on(Input.Submitted)
    @on(Button.Pressed, "#confirm")
    def _submit(self) -> None:
        raw = self.query_one("#path", Input).value.strip()
        target = self._target()
        if not raw:
            self.show_error("Type the file to write.")
        elif target.is_dir():
            self.show_error("That is a folder; add a file name.")
        elif not target.parent.is_dir():
            self.show_error(f"The folder {target.parent} does not exist.")
        elif isinstance(refusal := self._existing(target), str):
            self.show_error(refusal)
        else:
            self.dismiss((self.fmt, target))
