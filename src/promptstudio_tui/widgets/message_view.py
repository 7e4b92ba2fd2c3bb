"""One chat message: who, when, tokens and cost; assistant text as streaming markdown.

Message text is untrusted (model output, pasted text): it is made inert and only
ever shown as plain Text or parsed Markdown, never as Rich markup.
"""

from __future__ import annotations

from datetime import datetime

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Markdown, Static
from textual.widgets.markdown import MarkdownStream

from promptstudio_tui.pricing import format_usd
from promptstudio_tui.sanitize import inert, one_line
from promptstudio_tui.store.records import Message
from promptstudio_tui.tokens import rough_estimate
from promptstudio_tui.widgets.formatting import clock_time, plural

FAILED = ("interrupted", "error")
STATE_MARKS = {"streaming": ("● streaming", "italic"), "interrupted": ("⚠ interrupted", "bold yellow"), "error": ("✖ failed", "bold red")}


def meta_line(message: Message, now: datetime) -> Text:
    who = "You" if message.role == "user" else f"Assistant · {one_line(message.model or '', 40) or 'model'}"
    parts = [clock_time(message.created_at, now)]
    if message.role == "user":
        parts.append(f"~{plural(rough_estimate(message.content), 'token')}")
    elif message.state != "streaming":
        parts.append(plural(message.completion_tokens, "token"))
        parts.append(format_usd(message.cost))
    text = Text.assemble((who, "bold"), (" · " + " · ".join(parts), "dim"))
    if message.state in STATE_MARKS:
        label, style = STATE_MARKS[message.state]
        text.append("  ")
        text.append(label, style)
    return text


class MessageView(Vertical):
    """A user message is plain text; an assistant message is Markdown that can stream."""

    def __init__(self, message: Message, now: datetime, *, text: str | None = None) -> None:
        super().__init__(classes=f"message -{message.role}", id=f"m-{message.id}")
        self.message = message
        self._now = now
        self._text = message.content if text is None else text
        self._stream: MarkdownStream | None = None

    def compose(self) -> ComposeResult:
        yield Static(meta_line(self.message, self._now), classes="message-meta")
        if self.message.role == "user":
            yield Static(Text(inert(self._text)), classes="message-body")
        else:
            # Links in model output are not opened on click: the screen shows them instead.
            yield Markdown(inert(self._text), open_links=False, classes="message-body")
        yield Horizontal(classes="message-failure")

    def on_mount(self) -> None:
        self._show_state(retry=False)

    async def append(self, text: str) -> None:
        if self._stream is None:
            self._stream = Markdown.get_stream(self.query_one(Markdown))
        await self._stream.write(inert(text))

    async def finish(self, message: Message, *, retry: bool) -> None:
        """The reply's final row: stop streaming, show tokens, cost and any failure."""
        if self._stream is not None:
            await self._stream.stop()
            self._stream = None
        self.message = message
        self.query_one(".message-meta", Static).update(meta_line(message, self._now))
        self._show_state(retry=retry)

    def _show_state(self, *, retry: bool) -> None:
        self.set_class(self.message.state in FAILED, "-failed")
        failure = self.query_one(".message-failure", Horizontal)
        failure.remove_children()
        if self.message.state in FAILED:
            failure.mount(Static(Text(one_line(self.message.error or f"The reply {self.message.state}.")), classes="message-error"))
            if retry:
                failure.mount(Button("Retry", action="screen.retry", compact=True, variant="warning"))
        failure.display = self.message.state in FAILED

    def set_retry(self, retry: bool) -> None:
        if self.message.state in FAILED:
            self._show_state(retry=retry)
