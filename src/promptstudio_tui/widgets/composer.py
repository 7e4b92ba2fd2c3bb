"""The message composer: multi-line, Enter sends, a live size and token estimate."""

from __future__ import annotations

from enum import Enum

from textual import events
from textual._ansi_sequences import ANSI_SEQUENCES_KEYS
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Static, TextArea

from promptstudio_tui.messages import SendRequested
from promptstudio_tui.tokens import rough_estimate


class _LegacyKey(str, Enum):
    ALT_ENTER = "alt+enter"


# Terminals without the kitty keyboard protocol (tmux, most SSH sessions) send
# alt+enter as ESC CR, which Textual reads as a bare "enter" — the key meant to
# add a line would send the message instead. Teach the parser the sequence.
ANSI_SEQUENCES_KEYS.setdefault("\x1b\r", (_LegacyKey.ALT_ENTER,))


class ComposerInput(TextArea):
    BINDINGS = [
        Binding("enter", "send", "Send", id="composer.send"),
        Binding(
            "shift+enter,alt+enter,ctrl+j",
            "newline",
            "New line",
            show=False,
            id="composer.newline",
            tooltip="shift+enter where the terminal reports it; alt+enter and ctrl+j everywhere",
        ),
    ]

    def __init__(self, **kwargs) -> None:
        super().__init__(soft_wrap=True, show_line_numbers=False, tab_behavior="focus", **kwargs)

    async def _on_key(self, event: events.Key) -> None:
        # Keys bound here (after the user's keymap) run their action right here,
        # in order with the typing around them; TextArea would otherwise make
        # Enter a newline. Neither priority bindings (they run before typing
        # still queued) nor bubbling (typing after them gets ahead) keep order.
        active = self.screen.active_bindings.get(event.key)
        if active is not None and active.node is self:
            event.stop()
            event.prevent_default()
            await self.run_action(active.binding.action)
            return
        await super()._on_key(event)

    def action_send(self) -> None:
        self.post_message(SendRequested(self.text))

    def action_newline(self) -> None:
        self.replace("\n", *self.selection, maintain_selection_offset=False)


class Composer(Vertical):
    """The input plus a status line with the character count and token estimate."""

    def __init__(self, hint: str, **kwargs) -> None:
        super().__init__(**kwargs)
        self.hint = hint

    def compose(self) -> ComposeResult:
        yield ComposerInput(id="composer-input", placeholder="Describe what you need…")
        yield Static(id="composer-status", markup=False)

    @property
    def input(self) -> ComposerInput:
        return self.query_one(ComposerInput)

    @property
    def text(self) -> str:
        return self.input.text

    def set_text(self, text: str) -> None:
        self.input.load_text(text)
        self.input.move_cursor(self.input.document.end)

    def clear(self) -> None:
        self.input.clear()

    def focus_input(self) -> None:
        self.input.focus()

    def on_mount(self) -> None:
        self._show_counts()

    def on_text_area_changed(self, event: TextArea.Changed) -> None:
        self._show_counts()

    def _show_counts(self) -> None:
        text = self.input.text
        counts = f"{len(text):,} chars · ~{rough_estimate(text):,} tokens"
        self.query_one("#composer-status", Static).update(f"{counts}   {self.hint}")
