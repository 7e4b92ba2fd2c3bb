"""The prompt list's library bar: search its prompts by words, filter by a tag or a
category and by favourite, and sort newest first or A–Z.

The bar keeps what is chosen and says so in one message; the screen asks the studio
for the matching prompts and hands them to the list.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Literal

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.timer import Timer
from textual.widgets import Button, Input, Select

from promptstudio_tui.sanitize import one_line
from promptstudio_tui.widgets.conversation_pane import SEARCH_DELAY, SearchBox

SORT_LABELS = {"recent": "Recent", "title": "A–Z"}
TAG, CATEGORY = "tag:", "category:"  # a filter choice's value: which kind, then the name


@dataclass(frozen=True)
class LibraryFilters:
    search: str = ""
    tag: str | None = None
    category: str | None = None
    favourites: bool = False
    sort: Literal["recent", "title"] = "recent"

    @property
    def narrowed(self) -> bool:
        """Some prompts may be left out (an empty list then says no prompt matches)."""
        return bool(self.search.strip() or self.tag or self.category or self.favourites)


class LibraryBar(Vertical):
    DEFAULT_CSS = """
    LibraryBar {
        height: auto;
        padding: 0 1;
    }
    #prompt-filters {
        height: 1;
    }
    #prompt-filter {
        width: 1fr;
    }
    #prompt-filters Button {
        min-width: 0;
        width: auto;
        margin-left: 1;
    }
    #prompt-favourites.-on {
        text-style: bold reverse;
    }
    """

    class Changed(Message):
        def __init__(self, filters: LibraryFilters) -> None:
            super().__init__()
            self.filters = filters

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.filters = LibraryFilters()
        self._timer: Timer | None = None
        self._choices: tuple[tuple[str, ...], tuple[str, ...]] = ((), ())

    def compose(self) -> ComposeResult:
        yield SearchBox(placeholder="Search prompts", compact=True, id="prompt-search")
        with Horizontal(id="prompt-filters"):
            yield Select[str]([], prompt="Any tag or category", compact=True, id="prompt-filter")
            yield Button("★", compact=True, id="prompt-favourites", tooltip="Favourites only")
            yield Button(SORT_LABELS["recent"], compact=True, id="prompt-sort", tooltip="Sort: recent first or A–Z")

    def focus_search(self) -> None:
        self.query_one("#prompt-search", Input).focus()

    def show(self, filters: LibraryFilters, tags: Sequence[str], categories: Sequence[str]) -> None:
        """The filters in force, and the tags and categories to offer (those on some prompt)."""
        self.filters = filters
        self.query_one("#prompt-favourites").set_class(filters.favourites, "-on")
        sort = self.query_one("#prompt-sort", Button)
        if str(sort.label) != SORT_LABELS[filters.sort]:
            sort.label = SORT_LABELS[filters.sort]
            sort.refresh(layout=True)  # a new label repaints at the old width
        select = self.query_one("#prompt-filter", Select)
        choices = (tuple(tags), tuple(categories))
        if choices != self._choices:  # unchanged: rebuilding the menu would drop the choice on show
            self._choices = choices
            options = [(f"#{one_line(tag, 30)}", TAG + tag) for tag in tags]
            options += [(one_line(category, 30), CATEGORY + category) for category in categories]
            with select.prevent(Select.Changed):
                select.set_options(options)
        chosen = _chosen(filters)
        if chosen != (select.value if isinstance(select.value, str) else None):
            with select.prevent(Select.Changed):
                if chosen is None or chosen not in {TAG + t for t in tags} | {CATEGORY + c for c in categories}:
                    select.clear()
                else:
                    select.value = chosen

    def _change(self, **changes: object) -> None:
        self.filters = replace(self.filters, **changes)  # type: ignore[arg-type]
        self.post_message(self.Changed(self.filters))

    @on(Input.Changed, "#prompt-search")
    def _typed(self, event: Input.Changed) -> None:
        event.stop()
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.set_timer(SEARCH_DELAY, lambda: self._change(search=event.value))

    @on(Input.Submitted, "#prompt-search")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.screen.focus_next()  # on to the filters, then the list

    @on(Select.Changed, "#prompt-filter")
    def _filtered(self, event: Select.Changed) -> None:
        event.stop()
        value = event.value if isinstance(event.value, str) else ""
        tag = value.removeprefix(TAG) if value.startswith(TAG) else None
        category = value.removeprefix(CATEGORY) if value.startswith(CATEGORY) else None
        if (tag, category) != (self.filters.tag, self.filters.category):
            self._change(tag=tag, category=category)

    @on(Button.Pressed, "#prompt-favourites")
    def _favourites(self, event: Button.Pressed) -> None:
        event.stop()
        self._change(favourites=not self.filters.favourites)

    @on(Button.Pressed, "#prompt-sort")
    def _sort(self, event: Button.Pressed) -> None:
        event.stop()
        self._change(sort="title" if self.filters.sort == "recent" else "recent")


def _chosen(filters: LibraryFilters) -> str | None:
    if filters.tag:
        return TAG + filters.tag
    return CATEGORY + filters.category if filters.category else None
