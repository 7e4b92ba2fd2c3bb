"""The left pane: new button, search, tabs, sort, the list and the plan meter."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.timer import Timer
from textual.widgets import Button, Input, Label, Select, Tab, Tabs

from promptstudio_tui.actions import bindings
from promptstudio_tui.messages import ListChanged
from promptstudio_tui.widgets.conversation_list import ConversationList, Fetch
from promptstudio_tui.widgets.usage_meter import UsageMeter

TABS = (("all", "All"), ("starred", "Starred"), ("archived", "Archived"))
SORTS = (("recent", "Recent first"), ("title", "A–Z"), ("starred", "Starred first"))
SEARCH_DELAY = 0.25  # seconds of quiet typing before the search runs


class SearchBox(Input):
    """The search input; esc empties it (and, when empty already, does what esc does elsewhere)."""

    BINDINGS = bindings("search")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return bool(self.value) if action == "clear_search" else True

    def action_clear_search(self) -> None:
        self.value = ""


class ConversationPane(Vertical):
    DEFAULT_CSS = """
    #search {
        margin: 1 1 0 1;
    }
    #tabs {
        height: 2;
    }
    #sort {
        margin: 0 1;
    }
    #conversation-list {
        height: 1fr;
        border: none;
        padding: 0;
    }
    #conversation-list > .option-list--option {
        padding: 0 1;
    }
    """

    def __init__(self, fetch: Fetch, clock: Callable[[], datetime], *, tab: str, sort: str, **kwargs) -> None:
        super().__init__(**kwargs)
        self._list = ConversationList(fetch, clock, tab=tab, sort=sort, id="conversation-list")
        self._search_timer: Timer | None = None

    def compose(self) -> ComposeResult:
        with Horizontal(classes="pane-title"):
            yield Label("Conversations", id="conversation-count")
            yield Button("+ New", action="screen.new_conversation", compact=True, id="new-conversation")
        yield SearchBox(placeholder="Search titles, tags, messages", compact=True, id="search")
        yield Tabs(*(Tab(label, id=tab) for tab, label in TABS), active=self._list.tab, id="tabs")
        yield Select(
            [(label, sort) for sort, label in SORTS], value=self._list.sort, allow_blank=False, compact=True, id="sort"
        )
        yield self._list
        yield UsageMeter(id="usage-meter")

    def on_mount(self) -> None:
        self.watch(self._list, "total", self._show_total)
        self._list.load_first()

    def _show_total(self, total: int) -> None:
        self.query_one("#conversation-count", Label).update(f"Conversations · {total:,}")

    def set_tab(self, tab: str) -> None:
        self.query_one(Tabs).active = tab

    def set_sort(self, sort: str) -> None:
        self.query_one(Select).value = sort

    def cycle_sort(self) -> None:
        names = [sort for sort, _ in SORTS]
        self.set_sort(names[(names.index(self._list.sort) + 1) % len(names)])

    def focus_search(self) -> None:
        self.query_one("#search", Input).focus()

    @on(Input.Changed, "#search")
    def _search_changed(self, event: Input.Changed) -> None:
        if self._search_timer is not None:
            self._search_timer.stop()
        self._search_timer = self.set_timer(SEARCH_DELAY, lambda: self._search(event.value))

    def _search(self, text: str) -> None:
        self._list.search = text
        self._list.reload()

    @on(Input.Submitted, "#search")
    def _search_submitted(self) -> None:
        self._list.focus()

    @on(Tabs.TabActivated, "#tabs")
    def _tab_changed(self, event: Tabs.TabActivated) -> None:
        if event.tab.id and event.tab.id != self._list.tab:
            self._list.tab = event.tab.id
            self._changed()

    @on(Select.Changed, "#sort")
    def _sort_changed(self, event: Select.Changed) -> None:
        if isinstance(event.value, str) and event.value != self._list.sort:
            self._list.sort = event.value
            self._changed()

    def _changed(self) -> None:
        self._list.reload()
        self.post_message(ListChanged(self._list.tab, self._list.sort))
