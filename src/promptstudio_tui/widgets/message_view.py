"""Chat messages: who, when, tokens and cost, and the text.

A settled message is one Static (a long history mounts quickly). A reply that
is still streaming is drawn the same way, in pieces: its finished top-level
blocks are frozen into chunks rendered once, and only the growing last block
is rendered again as text arrives. When the reply ends, the settled view is
put together from those pieces (a whole long reply is never rendered again on
the event loop), and looks exactly as the reply will when next opened.

Message text is untrusted (model output, pasted text): it is made inert and
only ever shown as plain Text or parsed Markdown, never as console markup.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from typing import TYPE_CHECKING

from rich.console import Console, ConsoleOptions, Group, RenderableType
from rich.measure import Measurement
from rich.segment import Segment
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static

from promptstudio_tui import compat, token_estimate
from promptstudio_tui.pricing import format_usd
from promptstudio_tui.sanitize import inert, one_line
from promptstudio_tui.store.records import Message
from promptstudio_tui.widgets.formatting import clock_time, plural

if TYPE_CHECKING:
    from rich.markdown import Markdown as RichMarkdown

FAILED = ("interrupted", "error")

# The look of a message, settled (MessageView) or streaming (LiveReply): one sheet for both,
# not scoped to either, so a reply keeps its look as it settles.
# No :last-child / :first-child / :odd rules under a streaming reply (it mounts a chunk as
# blocks finish): Textual restyles every sibling on each mount, which made a 4,000-token
# reply stall the UI for ~40 s (docs/performance.md).
MESSAGE_CSS = """
.message {
    height: auto;
    margin: 1 0 0 0;
    padding: 0 1;
}
.message.-user {
    background: $boost;
    border-left: outer $primary;
}
.message.-assistant {
    border-left: outer $success;
}
.message.-failed {
    border-left: outer $warning;
}
.message.-selected {
    border-left: outer $accent;
    background: $accent 15%;
}
"""
# Characters of a streaming reply's unfinished last block rendered live as markdown.
# Each new text renders that block again: past this (a huge code fence or one-line
# blob) one step would hold the UI, so progress is shown until the reply ends.
LIVE_BLOCK_LIMIT = 10_000
FREEZE_AT = 1_500  # characters of finished blocks gathered into one frozen chunk
# A link reference definition changes links anywhere in the document, so a reply
# with one is not frozen in pieces and settles rendered whole.
_REFERENCE = re.compile(r"^ {0,3}\[[^\]\n]+\]:", re.MULTILINE)
STATE_MARKS = {
    "streaming": ("● streaming", "italic"),
    "interrupted": ("⚠ interrupted", "bold yellow"),
    "error": ("✖ failed", "bold red"),
}


def meta_line(message: Message, now: datetime, alternative: tuple[int, int] | None = None) -> Text:
    """Who and when; `alternative` (place, how many) when the message has edits or regenerations."""
    who = "You" if message.role == "user" else f"Assistant · {one_line(message.model or '', 40) or 'model'}"
    parts = [clock_time(message.created_at, now)]
    if message.role == "user":
        if message.prompt_tokens:  # counted exactly when it was sent
            parts.append(token_estimate.label(message.prompt_tokens, exact=True))
        else:
            parts.append(token_estimate.label(token_estimate.estimate(message.content), exact=False))
    elif message.state != "streaming":
        parts.append(plural(message.completion_tokens, "token"))
        parts.append(format_usd(message.cost))
    text = Text.assemble((who, "bold"), (" · " + " · ".join(parts), "dim"))
    if alternative is not None:
        text.append(f"  ‹ {alternative[0]}/{alternative[1]} ›", "bold")
    if message.state in STATE_MARKS:
        label, style = STATE_MARKS[message.state]
        text.append("  ")
        text.append(label, style)
    return text


def message_classes(message: Message) -> str:
    return f"message -{message.role}" + (" -failed" if message.state in FAILED else "")


def reply_markdown(text: str, dark: bool) -> RichMarkdown:
    from rich.markdown import Markdown as RichMarkdown  # with markdown-it: not needed for the first frame

    # Links print their address instead of becoming terminal hyperlinks.
    return RichMarkdown(inert(text), code_theme="monokai" if dark else "friendly", hyperlinks=False)


class RenderedOnce:
    """A renderable that renders its content once per width and replays it.

    Textual renders a Static's content to measure its height, again after each
    relayout, and again to draw it; for a long reply with code blocks (Pygments)
    each pass costs 50-100 ms. The segments depend only on the width here: the
    content carries its own styles, and Textual applies the widget's on top.
    """

    def __init__(self, renderable: RenderableType) -> None:
        self._renderable = renderable
        self._width = -1
        self._segments: list[Segment] = []

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> list[Segment]:
        if options.max_width != self._width:
            self._segments = list(console.render(self._renderable, options))
            self._width = options.max_width
        return self._segments

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        return Measurement.get(console, options, self._renderable)


class MessageView(Static):
    """A settled message: meta line, text (markdown for replies) and any failure, in one widget."""

    DEFAULT_CSS = MESSAGE_CSS
    SCOPED_CSS = False

    def __init__(
        self,
        message: Message,
        now: datetime,
        *,
        dark: bool = True,
        body: list[RenderableType] | None = None,
        alternative: tuple[int, int] | None = None,
    ) -> None:
        """`body`: the text already rendered in pieces (a reply that just streamed)."""
        if body is None:
            body = [Text(inert(message.content)) if message.role == "user" else reply_markdown(message.content, dark)]
        parts: list[RenderableType] = [meta_line(message, now, alternative), *body]
        if message.state in FAILED:
            parts.append(Text(one_line(message.error or f"The reply ended {message.state}."), style="yellow"))
        super().__init__(RenderedOnce(Group(*parts)), classes=message_classes(message))
        self.message = message


class _Blocks:
    """Top-level blocks of a reply rendered on their own exactly as inside the whole reply.

    Rich writes a blank line before an element when the element that closed before it asks
    for one; here that element is the last block of the part before, rendered separately.
    """

    def __init__(self, markdown: RichMarkdown, after_new_line: bool) -> None:
        self._markdown = markdown
        self._blank_before = after_new_line and compat.markdown_blank_line_first(markdown)
        self.new_line_after = compat.markdown_new_line_after(markdown, after_new_line)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> Iterator[Segment]:
        if self._blank_before:
            yield Segment.line()
        yield from console.render(self._markdown, options)


def last_block_start(text: str, markdown: RichMarkdown) -> int:
    """Where in `text` the last top-level block of its parse starts (0 if it is the first).

    Blocks before it are finished: later text cannot change how they render (links to
    a reference definition aside, see _REFERENCE). `markdown` is `text` made inert,
    which keeps every newline, so its line numbers are those of `text`.
    """
    starts = [token.map[0] for token in markdown.parsed if token.level == 0 and token.map]
    line = starts[-1] if starts else 0
    offset = 0
    for _ in range(line):
        offset = text.index("\n", offset) + 1
    return offset


class LiveReply(Vertical):
    """A reply while it streams, in the settled look; only its last block is redrawn."""

    DEFAULT_CSS = MESSAGE_CSS
    SCOPED_CSS = False

    def __init__(self, message: Message, now: datetime, text: str, *, dark: bool = True) -> None:
        super().__init__(classes=message_classes(message))
        self.message = message
        self._now = now
        self._dark = dark
        self._text = ""  # everything received
        self._tail = ""  # the part not frozen into chunks yet
        self._chunks: list[RenderedOnce] = []
        self._new_line = False  # what Rich's renderer carries from the frozen blocks to the next
        self._tail_view = Static(classes="live-tail")
        self._tail_render: RenderedOnce | None = None
        self._live = True  # False once the last block outgrew LIVE_BLOCK_LIMIT
        self._references = False  # a link reference definition came: nothing more is frozen
        self._first_chunk = self._take(text)

    def compose(self) -> ComposeResult:
        yield Static(meta_line(self.message, self._now))
        if self._first_chunk is not None:
            yield self._first_chunk
        yield self._tail_view

    async def append(self, text: str) -> None:
        chunk = self._take(text)
        if chunk is not None:
            await self.mount(chunk, before=self._tail_view)

    def _take(self, text: str) -> Static | None:
        """Show `text` added to the reply; a new chunk to mount when blocks were finished."""
        self._text += text
        self._tail += text
        if self._live and len(self._tail) > LIVE_BLOCK_LIMIT:
            self._live = False
        if not self._live:
            note = f"… a long reply: {len(self._text):,} characters so far — shown in full when it ends."
            self._tail_view.update(Text(note, style="dim italic"))
            return None
        # All text passes through the tail before it is frozen, so a definition is seen here.
        self._references = self._references or bool(_REFERENCE.search(self._tail))
        markdown = reply_markdown(self._tail, self._dark)
        split = 0 if self._references else last_block_start(self._tail, markdown)
        chunk = None
        if split >= FREEZE_AT:
            blocks = _Blocks(reply_markdown(self._tail[:split], self._dark), self._new_line)
            self._new_line = blocks.new_line_after
            frozen = RenderedOnce(blocks)
            self._chunks.append(frozen)
            chunk = Static(frozen, classes="live-chunk")
            self._tail = self._tail[split:]
            markdown = reply_markdown(self._tail, self._dark)
        self._tail_render = RenderedOnce(_Blocks(markdown, self._new_line))
        self._tail_view.update(self._tail_render)
        return chunk

    def settled_body(self, message: Message) -> list[RenderableType] | None:
        """The settled view's body from the pieces shown, or None if it must be rendered whole."""
        if not self._live or self._references or self._text != message.content or self._tail_render is None:
            return None
        return [*self._chunks, self._tail_render]
