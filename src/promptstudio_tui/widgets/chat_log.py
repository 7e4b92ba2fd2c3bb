"""The scrolling conversation: the newest messages, older ones on request, live replies.

Anchored to the bottom so a streaming reply stays in view, until the user
scrolls up (Textual releases the anchor then and restores it at the bottom).
Focused, it selects one message at a time and asks the screen to act on it
(screens/message_actions.py): edit, regenerate, delete, copy, step alternatives.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from rich.text import Text
from textual.containers import VerticalScroll
from textual.message import Message as TextualMessage
from textual.widget import Widget
from textual.widgets import Button, Static

from promptstudio_tui.actions import bindings
from promptstudio_tui.store.records import Message
from promptstudio_tui.widgets.message_view import FAILED, LiveReply, MessageView

View = MessageView | LiveReply
FIRST_PAINT = 4  # messages of a page laid out before the first paint (a 48-row terminal shows 2-4)
# Message id -> (place, how many) for the messages that have alternatives (Studio.alternative_counts).
AlternativeCounts = Callable[[list[str]], Mapping[str, tuple[int, int]]]


class ChatLog(VerticalScroll):
    BINDINGS = bindings("messages")

    @dataclass
    class Command(TextualMessage):
        """Do `name` with the selected message (None when nothing is selected)."""

        name: str
        message: Message | None

    DEFAULT_CSS = """
    ChatLog {
        padding: 0 1;
    }
    .retry {
        margin: 0 0 0 2;
    }
    .chat-tips, .chat-notice {
        margin: 1 0;
        padding: 1 2;
        color: $text-muted;
    }
    .chat-notice {
        color: $error;
        border: round $error;
    }
    .chat-header {
        margin-top: 1;
    }
    .chat-omitted {
        color: $warning;
        text-align: center;
        margin: 1 0 0 0;
    }
    """

    def __init__(
        self, retry_label: str, tips: Sequence[str], alternatives: AlternativeCounts = lambda ids: {}, **kwargs
    ) -> None:
        super().__init__(**kwargs)
        self._alternatives = alternatives
        self._selected: str | None = None  # the id of the selected message
        self._retry_label = retry_label
        self._tips = tuple(tips)  # naming the user's keys (catalog.tips)
        self._views: dict[str, View] = {}
        self._pending: tuple[list[Widget], Widget] | None = None  # older views to mount above one

    def _view(
        self, message: Message, now: datetime, live: dict[str, str], counts: Mapping[str, tuple[int, int]]
    ) -> View:
        if message.state == "streaming":
            return LiveReply(message, now, live.get(message.id, message.content), dark=self.app.current_theme.dark)
        return MessageView(message, now, dark=self.app.current_theme.dark, alternative=counts.get(message.id))

    def _views_of(self, messages: list[Message], now: datetime, live: dict[str, str]) -> list[View]:
        counts = self._alternatives([m.id for m in messages])
        return [self._view(m, now, live, counts) for m in messages]

    async def show(self, messages: list[Message], *, has_earlier: bool, now: datetime, live: dict[str, str]) -> None:
        """Replace the log; `live` holds the text so far of replies still streaming."""
        self._pending = None
        self._selected = None
        await self.remove_children()
        views = self._views_of(messages, now, live)
        self._views = {view.message.id: view for view in views}
        header = self._header(has_earlier, bool(messages))
        # The newest messages are what the reader sees: they are laid out and drawn
        # first, the rest of the page just after (each message is rendered at two
        # widths as the scrollbar appears, so this is most of the wait).
        first: list[Widget] = [*views[-FIRST_PAINT:]]
        older: list[Widget] = [*header, *views[:-FIRST_PAINT]]
        if len(views) <= FIRST_PAINT:
            first, older = [*header, *views], []
        await self.mount_all(first)
        await self._mark_retry()
        self.anchor()
        if older:
            self._pending = (older, first[0])
            # Two refreshes: when the log has just been shown, its first layout scrolls
            # to the bottom with its old (hidden) size, and only the second draws the
            # newest messages.
            self.call_after_refresh(self.call_after_refresh, self._mount_pending)

    async def _mount_pending(self) -> None:
        pending, self._pending = self._pending, None
        if pending is not None:
            widgets, before = pending
            await self.mount_all(widgets, before=before)

    async def show_earlier(self, messages: list[Message], *, has_earlier: bool, now: datetime) -> None:
        """Put older messages above the ones shown, keeping the reader's place."""
        await self._mount_pending()
        await self.query(".chat-header").remove()
        first = next(iter(self._views.values()), None)
        views = self._views_of(messages, now, {})
        await self.mount_all([*self._header(has_earlier, True), *views], before=first)
        self._views = {**{view.message.id: view for view in views}, **self._views}
        if first is not None:
            # Stay on what was the oldest message; the older ones are just above it.
            self.release_anchor()
            self.call_after_refresh(self.scroll_to_widget, first, animate=False, top=True)

    async def add(self, message: Message, now: datetime) -> None:
        if message.id in self._views:  # already shown: the log was filled after it was saved
            return
        await self.query(".chat-tips, .chat-notice").remove()
        await self._cut_after(message.parent_id)  # an edit or a regenerate: a new branch from its parent
        view = self._views_of([message], now, {})[0]
        self._views[message.id] = view
        await self.mount(view)
        await self._mark_retry()

    async def append(self, message_id: str, text: str) -> None:
        view = self._views.get(message_id)
        if isinstance(view, LiveReply):
            await view.append(text)

    async def finish(self, message: Message, now: datetime) -> None:
        """The reply settled: its live view becomes a plain one, made of the pieces already rendered."""
        live = self._views.get(message.id)
        if live is None:
            return
        body = live.settled_body(message) if isinstance(live, LiveReply) else None
        alternative = self._alternatives([message.id]).get(message.id)
        view = self._views[message.id] = MessageView(
            message, now, dark=self.app.current_theme.dark, body=body, alternative=alternative
        )
        view.set_class(message.id == self._selected, "-selected")
        await self.mount(view, after=live)
        await live.remove()
        await self._mark_retry()

    async def show_notice(self, text: str) -> None:
        """A refusal or failure that produced no reply row (quota, no key, unreachable)."""
        await self.query(".chat-notice").remove()
        await self.mount(Static(Text(text), classes="chat-notice"))

    async def show_omitted(self, text: str, last_omitted_id: str) -> None:
        """A one-line marker where a request cut older turns: above the first shown message
        newer than the last turn left out (at the top when the cut is above the loaded page)."""
        await self.query(".chat-omitted").remove()
        after = next((view for view in self._views.values() if view.message.id > last_omitted_id), None)
        if after is None:
            return
        # Plain text: never markup, whatever the count says.
        await self.mount(Static(Text(f"⋯ {text} ⋯"), classes="chat-omitted"), before=after)

    def message_ids(self) -> list[str]:
        return list(self._views)

    def messages(self) -> list[Message]:
        """The messages shown, oldest first, as they were when drawn."""
        return [view.message for view in self._views.values()]

    async def _cut_after(self, parent_id: str | None) -> None:
        """Take what follows `parent_id` (None: the first message) off screen; it is another branch now."""
        # Ids grow along a branch, so this works when the parent is above the loaded page.
        gone = [view for key, view in self._views.items() if parent_id is None or key > parent_id]
        if not gone:
            return
        for view in gone:
            del self._views[view.message.id]
        await self.remove_children(gone)
        await self._mark_retry()

    # -- selecting a message ----------------------------------------------------------

    @property
    def selected(self) -> Message | None:
        view = self._views.get(self._selected or "")
        return None if view is None else view.message

    def select(self, step: int) -> Message | None:
        """Move the selection `step` messages (from below the newest when none is selected)."""
        views = list(self._views.values())
        if not views:
            return None
        ids = list(self._views)
        current = ids.index(self._selected) if self._selected in self._views else len(ids)
        view = views[min(max(current + step, 0), len(views) - 1)]
        self.select_id(view.message.id)
        return view.message

    def select_id(self, message_id: str | None) -> None:
        for view in self.query(".-selected"):
            view.remove_class("-selected")
        self._selected = message_id if message_id in self._views else None
        if self._selected is not None:
            view = self._views[self._selected]
            view.add_class("-selected")
            self.release_anchor()
            self.scroll_to_widget(view, animate=False)

    def action_select(self, step: int) -> None:
        self.select(step)

    def action_command(self, name: str) -> None:
        self.post_message(self.Command(name, self.selected))

    def on_focus(self) -> None:
        if self._selected is None:
            self.select(-1)  # alt+up from the composer: the newest message

    def on_blur(self) -> None:
        self.select_id(None)

    def _header(self, has_earlier: bool, has_messages: bool) -> list[Widget]:
        if has_earlier:
            return [
                Button("↑ Load earlier messages", action="screen.load_earlier", compact=True, classes="chat-header")
            ]
        if not has_messages:
            tips = "\n".join(f"• {tip}" for tip in self._tips)
            return [Static(Text(f"Start by describing what you need.\n\n{tips}"), classes="chat-tips chat-header")]
        return []

    async def _mark_retry(self) -> None:
        """One retry button, under the newest message when that one failed."""
        await self.query(".retry").remove()
        last = next(reversed(self._views.values()), None)
        if last is not None and last.message.state in FAILED:
            await self.mount(
                Button(self._retry_label, action="screen.retry", compact=True, classes="retry"), after=last
            )
