"""The conversation list: one line-based OptionList, paged from SQLite as the user scrolls.

The widget knows nothing of the store: the screen hands it a `fetch` function,
which runs in a thread so a search over a big store never blocks typing.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from rich.text import Text
from textual import on, work
from textual.reactive import reactive
from textual.widgets import OptionList

from promptstudio_tui.actions import bindings
from promptstudio_tui.errors import describe
from promptstudio_tui.messages import ConversationsLoaded, OpenConversation
from promptstudio_tui.sanitize import one_line
from promptstudio_tui.store.records import Conversation
from promptstudio_tui.widgets.formatting import relative_date, spread
from promptstudio_tui.widgets.row_list import RowList

PAGE = 100
PREFETCH = 30  # rows from the end at which the next page is asked for

# (tab, sort, search, offset, limit) -> (rows, total); total is counted for offset 0 only
Fetch = Callable[[str, str, str, int, int], tuple[list[Conversation], int | None]]


def row(conversation: Conversation, now: datetime, width: int) -> Text:
    """Two lines: star, title, unread count and date; then category and preview."""
    title = Text(one_line(conversation.title) or "Untitled", style="bold")
    if conversation.is_starred:
        title = Text.assemble(("★ ", "yellow"), title)
    right = Text(relative_date(conversation.last_message_at, now), style="dim")
    if conversation.unread_count:
        badge = "9+" if conversation.unread_count > 9 else str(conversation.unread_count)
        right = Text.assemble((f" {badge} ", "bold reverse"), " ", right)
    preview = one_line(conversation.preview) or "No messages yet"
    detail = Text.assemble((conversation.category, "italic"), " · ", (preview, "dim"))
    detail.truncate(width, overflow="ellipsis")
    return Text("\n").join([spread(title, right, width), detail])


class ConversationList(RowList):
    BINDINGS = bindings("conversations")

    total: reactive[int] = reactive(0)  # rows matching, of which `rows` are loaded

    def __init__(self, fetch: Fetch, clock: Callable[[], datetime], *, tab: str, sort: str, **kwargs) -> None:
        super().__init__(row, 2, clock, **kwargs)
        self._fetch = fetch
        self.tab, self.sort, self.search = tab, sort, ""
        self._generation = 0  # answers to superseded requests are dropped
        self._loading = False
        self._keep: str | None = None  # conversation to re-highlight after a reload

    def load_first(self) -> None:
        """The first page, fetched at once (~2 ms on 10,000 conversations): the first frame
        shows the list, not an empty pane. Reloads (a search, a tab) run in a thread."""
        self._generation += 1
        self._take(self._page(self._generation, self.tab, self.sort, self.search, 0, PAGE))

    def reload(self, keep: str | None = None) -> None:
        """Query again from the top (same length as now, so the view does not jump)."""
        self._generation += 1
        self._keep = keep or (self.current.id if self.current else None)
        self._loading = True
        self._load(self._generation, self.tab, self.sort, self.search, 0, max(PAGE, len(self.rows)))

    @work(thread=True, group="conversation-page", exit_on_error=False)
    def _load(self, generation: int, tab: str, sort: str, search: str, offset: int, limit: int) -> None:
        self.post_message(self._page(generation, tab, sort, search, offset, limit))

    def _page(self, generation: int, tab: str, sort: str, search: str, offset: int, limit: int) -> ConversationsLoaded:
        try:
            rows, total = self._fetch(tab, sort, search, offset, limit)
            return ConversationsLoaded(generation, offset, rows, total)
        except Exception as exc:  # noqa: BLE001 - a store failure becomes one sentence
            return ConversationsLoaded(generation, offset, [], None, describe(exc) or repr(exc))

    @on(ConversationsLoaded)
    def _loaded(self, message: ConversationsLoaded) -> None:
        message.stop()
        self._take(message)

    def _take(self, message: ConversationsLoaded) -> None:
        if message.generation != self._generation:
            return
        self._loading = False
        if message.error:
            self.notify(message.error, severity="error", markup=False)
            return
        if message.offset == 0:
            self.rows = list(message.rows)
            self.total = message.total if message.total is not None else len(self.rows)
            self.empty_text = self._empty_text()
            self.fill(self._keep)
        else:
            # Pages are read by offset: after another process added a conversation above,
            # the next page starts with rows already listed.
            listed = {row.id for row in self.rows}
            new = [row for row in message.rows if row.id not in listed]
            self.rows += new
            self.add_options(self.options_for(new))

    def _empty_text(self) -> str:
        if self.search.strip():
            return "No conversations match the search."
        return {"starred": "No starred conversations.", "archived": "No archived conversations."}.get(
            self.tab, "No conversations yet."
        )

    def select_id(self, conversation_id: str) -> None:
        self._keep = conversation_id
        self.highlight_id(conversation_id)

    def _load_more_if_near_end(self) -> None:
        if self._loading or len(self.rows) >= self.total:
            return
        near_cursor = self.highlighted is not None and self.highlighted >= len(self.rows) - PREFETCH
        # max_scroll_y is 0 until the rows are laid out: that is not "at the bottom".
        near_bottom = self.max_scroll_y > 0 and self.scroll_y >= self.max_scroll_y - self.size.height * 2
        if near_cursor or near_bottom:
            self._loading = True
            self._load(self._generation, self.tab, self.sort, self.search, len(self.rows), PAGE)

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        self._load_more_if_near_end()

    @on(OptionList.OptionHighlighted)
    def _highlighted(self, event: OptionList.OptionHighlighted) -> None:
        self._load_more_if_near_end()

    @on(OptionList.OptionSelected)
    def _selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id:
            self.post_message(OpenConversation(event.option.id))
