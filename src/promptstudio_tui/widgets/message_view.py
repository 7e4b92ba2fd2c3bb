"""Chat messages: who, when, tokens and cost, and the text.

A settled message is one Static (a long history mounts quickly); a reply that
is still streaming is a Markdown widget fed through MarkdownStream, swapped
for a Static once it ends. Message text is untrusted (model output, pasted
text): it is made inert and only ever shown as plain Text or parsed Markdown,
never as console markup.
"""

from __future__ import annotations

from datetime import datetime

from rich.console import Group, RenderableType
from rich.markdown import Markdown as RichMarkdown
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Markdown, Static
from textual.widgets.markdown import MarkdownStream

from promptstudio_tui.pricing import format_usd
from promptstudio_tui.sanitize import inert, one_line
from promptstudio_tui.store.records import Message
from promptstudio_tui.tokens import rough_estimate
from promptstudio_tui.widgets.formatting import clock_time, plural
from promptstudio_tui.widgets.safe_markdown import SafeMarkdown

FAILED = ("interrupted", "error")
LIVE_MARKDOWN_LIMIT = 100_000  # characters of a streaming reply rendered live as markdown
STATE_MARKS = {
    "streaming": ("● streaming", "italic"),
    "interrupted": ("⚠ interrupted", "bold yellow"),
    "error": ("✖ failed", "bold red"),
}


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


def message_classes(message: Message) -> str:
    return f"message -{message.role}" + (" -failed" if message.state in FAILED else "")


class MessageView(Static):
    """A settled message: meta line, text (markdown for replies) and any failure, in one widget."""

    def __init__(self, message: Message, now: datetime, *, dark: bool = True) -> None:
        body: RenderableType
        if message.role == "user":
            body = Text(inert(message.content))
        else:
            # Links print their address instead of becoming terminal hyperlinks.
            code_theme = "monokai" if dark else "friendly"
            body = RichMarkdown(inert(message.content), code_theme=code_theme, hyperlinks=False)
        parts: list[RenderableType] = [meta_line(message, now), body]
        if message.state in FAILED:
            parts.append(Text(one_line(message.error or f"The reply ended {message.state}."), style="yellow"))
        super().__init__(Group(*parts), classes=message_classes(message))
        self.message = message


class LiveReply(Vertical):
    """A reply while it streams: only new text is appended, never the whole document."""

    def __init__(self, message: Message, now: datetime, text: str) -> None:
        super().__init__(classes=message_classes(message))
        self.message = message
        self._now = now
        self._text = text
        self._stream: MarkdownStream | None = None
        self._received = len(text)

    def compose(self) -> ComposeResult:
        yield Static(meta_line(self.message, self._now))
        # Links in model output are not opened on click: the screen shows them instead.
        yield SafeMarkdown(inert(self._text))

    async def append(self, text: str) -> None:
        self._received += len(text)
        if self._received > LIVE_MARKDOWN_LIMIT:
            # Each append re-parses the last block: past this size one step holds the UI for
            # seconds. Show the progress instead; the whole reply is rendered when it ends.
            note = f"… a long reply: {self._received:,} characters so far — shown in full when it ends."
            if not self.query(".live-progress"):
                await self.mount(Static(classes="live-progress"))
            self.query_one(".live-progress", Static).update(note)
            return
        if self._stream is None:
            self._stream = Markdown.get_stream(self.query_one(Markdown))
        await self._stream.write(inert(text))

    async def stop(self) -> None:
        if self._stream is not None:
            await self._stream.stop()
            self._stream = None
