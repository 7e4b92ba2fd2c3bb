"""The message composer: multi-line, Enter sends, a live size and token count."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from textual import events, work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.timer import Timer
from textual.widgets import Static, TextArea

from promptstudio_tui import token_estimate
from promptstudio_tui.actions import bindings
from promptstudio_tui.messages import SendRequested

# TextArea re-wraps and re-renders a soft-wrapped line for every visible row on each key:
# a pasted 1 MB line made each key wait ~2.5 s. Longer lines scroll sideways instead.
WRAP_LIMIT = 10_000
COUNT_DELAY = 0.25  # seconds of quiet typing before the exact token count (off the UI thread)


class Counted(Protocol):
    @property
    def tokens(self) -> int: ...
    @property
    def exact(self) -> bool: ...  # False: an estimate (a model whose tokenizer is unknown)


# (text, model or None for the configured one) -> its tokens; may take a while on a long text.
TokenCounter = Callable[[str, str | None], Counted]


class ComposerInput(TextArea):
    BINDINGS = bindings("composer")

    def __init__(self, **kwargs) -> None:
        super().__init__(soft_wrap=True, show_line_numbers=False, tab_behavior="focus", **kwargs)

    async def on_key(self, event: events.Key) -> None:
        # Keys bound here (after the user's keymap) run their action right here,
        # in order with the typing around them; TextArea would otherwise make
        # Enter a newline. Neither priority bindings (they run before typing
        # still queued) nor bubbling (typing after them gets ahead) keep order.
        # Other keys go on to TextArea's own handler, which runs after this one.
        active = self.screen.active_bindings.get(event.key)
        if active is not None and active.node is self:
            event.stop()
            event.prevent_default()
            await self.run_action(active.binding.action)

    def action_send(self) -> None:
        self.post_message(SendRequested(self.text))

    def action_newline(self) -> None:
        self.replace("\n", *self.selection, maintain_selection_offset=False)


class Composer(Vertical):
    """The input plus a status line with the character count and token count."""

    DEFAULT_CSS = """
    Composer {
        height: auto;
    }
    #composer-input {
        height: auto;
        min-height: 3;
        max-height: 10;
        border: none;
        padding: 0 1;
    }
    #composer-status {
        height: 1;
        padding: 0 1;
        color: $text-muted;
    }
    """

    def __init__(self, hint: str, *, count_tokens: TokenCounter, **kwargs) -> None:
        super().__init__(**kwargs)
        self.hint = hint
        self._count_tokens = count_tokens
        self.model: str | None = None  # whose tokenizer counts; None: the configured model
        self._edits = 0
        self._count_timer: Timer | None = None

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

    def take(self, sent: str) -> None:
        """Remove the text just sent; keys typed after Enter, already in, stay."""
        text = self.text
        self.set_text(text[len(sent) :] if text.startswith(sent) else "")

    def focus_input(self) -> None:
        self.input.focus()

    def on_mount(self) -> None:
        self._show_counts()

    def on_text_area_changed(self, event: TextArea.Changed) -> None:
        self._show_counts()

    def set_model(self, model: str | None) -> None:
        if model != self.model:
            self.model = model
            self._show_counts()

    def _show_counts(self) -> None:
        text = self.input.text
        self.input.soft_wrap = max(map(len, self.input.document.lines), default=0) <= WRAP_LIMIT
        self._edits += 1
        # Shown at once, for a moment: the exact count follows (no "(estimate)" to flicker).
        self._show_status(len(text), token_estimate.estimate(text), exact=False, say_estimate=False)
        if self._count_timer is not None:
            self._count_timer.stop()
        self._count_timer = self.set_timer(COUNT_DELAY, self._count) if text else None

    def _show_status(self, chars: int, tokens: int, *, exact: bool, say_estimate: bool = True) -> None:
        counts = f"{chars:,} chars · {token_estimate.label(tokens, exact=exact, say_estimate=say_estimate)}"
        self.query_one("#composer-status", Static).update(f"{counts}   {self.hint}")

    def _count(self) -> None:
        self._count_exactly(self.input.text, self.model, self._edits)

    @work(thread=True, exclusive=True, group="composer-count", exit_on_error=False)
    def _count_exactly(self, text: str, model: str | None, edits: int) -> None:
        count = self._count_tokens(text, model)
        self.app.call_from_thread(self._show_exact, count, len(text), edits)

    def _show_exact(self, count: Counted, chars: int, edits: int) -> None:
        if edits == self._edits:  # not typed on since
            self._show_status(chars, count.tokens, exact=count.exact)
