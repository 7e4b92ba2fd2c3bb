"""An OptionList of records whose rows are laid out when drawn, for the width they are drawn at.

Tables would align the columns by themselves, but an OptionList measures every row it
holds and a table costs several times more to measure than a line of text. Here a row
is not even built until it is drawn: its height is known up front (rows are a fixed
number of lines), so the list measures nothing, only the rows on screen are laid out
(about 20 of a page of 100), a resize lays them out again by itself, and rows that
arrive before the list's first layout are drawn in its first frame.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import partial
from typing import Any

from rich.text import Text
from textual.content import Content
from textual.css.styles import RulesMap
from textual.strip import Strip
from textual.style import Style
from textual.visual import RenderOptions, Visual
from textual.widgets import OptionList
from textual.widgets.option_list import Option

# (record, now, width) -> the row's text, `lines` lines at any width; records have an `id`.
RenderRow = Callable[[Any, datetime, int], Text]


class Row(Visual):
    """One record's row: built for the width it is drawn at, once per width."""

    def __init__(self, render: Callable[[int], Text], lines: int) -> None:
        self._render = render
        self._lines = lines
        self._built: tuple[int, Content] | None = None

    def render_strips(self, width: int, height: int | None, style: Style, options: RenderOptions) -> list[Strip]:
        if self._built is None or self._built[0] != width:
            self._built = (width, Content.from_rich_text(self._render(width)))
        return self._built[1].render_strips(width, height, style, options)

    def get_optimal_width(self, rules: RulesMap, container_width: int) -> int:
        return container_width

    def get_height(self, rules: RulesMap, width: int) -> int:
        return self._lines


class RowList(OptionList):
    """Holds `rows` (records with an id) and shows each through `render_row`."""

    def __init__(self, render_row: RenderRow, lines: int, clock: Callable[[], datetime], **kwargs) -> None:
        """`lines`: the height of every row `render_row` builds."""
        super().__init__(markup=False, **kwargs)
        self._render_row = render_row
        self._row_lines = lines
        self._clock = clock
        self.rows: list[Any] = []
        self.empty_text = ""

    @property
    def current(self) -> Any | None:
        index = self.highlighted
        return self.rows[index] if index is not None and index < len(self.rows) else None

    def options_for(self, rows: list[Any]) -> list[Option]:
        now = self._clock()
        return [Option(Row(partial(self._render_row, r, now), self._row_lines), id=r.id) for r in rows]

    def fill(self, keep_id: str | None) -> None:
        """Show `rows` again (or the empty text), highlighting `keep_id` if still there."""
        options = self.options_for(self.rows)
        self.set_options(options or [Option(Text(self.empty_text, style="dim"), disabled=True)])
        self.highlight_id(keep_id)

    def highlight_id(self, row_id: str | None) -> None:
        """Highlight that row, or the first one when it is not (or no longer) listed."""
        ids = [r.id for r in self.rows]
        if row_id in ids:
            self.highlighted = ids.index(row_id)
        elif ids:
            self.highlighted = 0

    def refresh_rows(self) -> None:
        """Build the rows again (their relative dates moved on), keeping the highlighted row."""
        if self.rows:
            self.fill(self.current.id if self.current else None)
