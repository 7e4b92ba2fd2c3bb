"""The prompt workshop's dialogs: edit a version by hand, bring in a prompt the user
already has, and choose two versions to compare."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Label, Select, Static, TextArea

from promptstudio_tui.actions import NO_KEYMAP, bindings, key_hint
from promptstudio_tui.screens.modals import Modal, show_text
from promptstudio_tui.store.records import PromptVersion

EDITOR_CSS = """
PromptEditor > #dialog, ImportPromptModal > #dialog {
    width: 100%;
    height: 100%;
    max-height: 100%;
    padding: 0 1;
}
PromptEditor TextArea, ImportPromptModal TextArea {
    height: 1fr;
}
"""


def _buttons(confirm_label: str) -> Horizontal:
    return Horizontal(Button("Cancel", id="cancel"), Button(confirm_label, id="confirm", variant="primary"),
                      classes="buttons")  # fmt: skip


class PromptEditor(Modal[str | None]):
    """The shown version's text, full screen, to change by hand. Dismisses with the text
    on save (the caller decides whether it is a change), None when cancelled."""

    DEFAULT_CSS = EDITOR_CSS
    BINDINGS = bindings("editor")
    AUTO_FOCUS = "#editor-text"

    def __init__(self, heading: str, text: str, *, note: str = "", keymap: Mapping[str, str] = NO_KEYMAP) -> None:
        super().__init__(keymap=keymap)
        self.heading = heading
        self.initial = text
        self.note = note

    def compose(self) -> ComposeResult:
        save, cancel = key_hint("editor.save", self.keymap), self.cancel_key
        with Vertical(id="dialog"):
            yield Static(Text(self.heading), classes="title")
            yield Static(Text(self.note), classes="note")
            yield TextArea(self.initial, soft_wrap=True, show_line_numbers=False, tab_behavior="indent",
                           id="editor-text")  # fmt: skip
            yield Static(Text(f"{save} saves as a new version · {cancel} cancels"), classes="hint")
            yield _buttons("Save as new version")

    def on_mount(self) -> None:
        show_text(self.query_one(".note", Static), self.note)

    @property
    def text(self) -> str:
        return self.query_one("#editor-text", TextArea).text

    @on(Button.Pressed, "#confirm")
    def action_save(self) -> None:
        self.dismiss(self.text)


class ImportPromptModal(Modal[tuple[str, str] | None]):
    """Dismisses with (text, title) — title may be "" — or None when cancelled."""

    DEFAULT_CSS = EDITOR_CSS
    BINDINGS = bindings("editor")
    AUTO_FOCUS = "#import-text"

    def compose(self) -> ComposeResult:
        save = key_hint("editor.save", self.keymap)
        with Vertical(id="dialog"):
            yield Static("Improve a prompt I already have", classes="title")
            yield Static(
                Text(
                    "Paste it below (Markdown front matter with title and tags is read). It becomes v1 of a new "
                    "conversation; the assistant then asks what it lacks, and generating makes v2."
                ),
                classes="hint",
            )
            yield Label("Title (optional)", classes="field-label")
            yield Input(placeholder="the first line, if left empty", id="import-title")
            yield Label("Prompt", classes="field-label")
            yield TextArea(soft_wrap=True, show_line_numbers=False, tab_behavior="indent", id="import-text")
            yield Static(classes="error")
            yield Static(Text(f"{save} imports · {self.cancel_key} cancels"), classes="hint")
            yield _buttons("Import")

    @on(Button.Pressed, "#confirm")
    def action_save(self) -> None:
        text = self.query_one("#import-text", TextArea).text
        if not text.strip():
            self.show_error(f"Paste the prompt first, or press {self.cancel_key} to cancel.")
            self.query_one("#import-text", TextArea).focus()
            return
        self.dismiss((text, self.query_one("#import-title", Input).value.strip()))


class CompareModal(Modal[tuple[int, int] | None]):
    """Two versions of a prompt to compare; dismisses with (older, newer) numbers or None."""

    AUTO_FOCUS = "#compare-old"

    def __init__(self, versions: Sequence[PromptVersion], old: int, new: int) -> None:
        super().__init__()
        self.versions = list(versions)
        self.old, self.new = old, new

    def compose(self) -> ComposeResult:
        options = [(Text(f"v{v.number} · {v.source}"), v.number) for v in self.versions]
        with Vertical(id="dialog"):
            yield Static("Compare two versions", classes="title")
            yield Label("From", classes="field-label")
            yield Select(options, value=self.old, allow_blank=False, id="compare-old")
            yield Label("To", classes="field-label")
            yield Select(options, value=self.new, allow_blank=False, id="compare-new")
            yield Static(classes="error")
            yield _buttons("Compare")

    @on(Button.Pressed, "#confirm")
    def _submit(self) -> None:
        old, new = self.query_one("#compare-old", Select).value, self.query_one("#compare-new", Select).value
        if not isinstance(old, int) or not isinstance(new, int) or old == new:
            self.show_error("Choose two different versions.")
            return
        self.dismiss((old, new))
