"""An OptionList whose rows are plain text laid out for its width, and again when it changes.

Tables would align the columns by themselves, but an OptionList measures every
row it holds and a table costs several times more to measure than a line of
text: with thousands of rows that is the difference between instant and slow.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from rich.text import Text
from textual.geometry import Region
from textual.strip import Strip
from textual.widgets import OptionList
from textual.widgets.option_list import Option

MIN_ROW_WIDTH = 20  # before the first layout (or while hidden) the list has no width

# (record, now, width) -> the row's text; records have an `id`.
RenderRow = Callable[[Any, datetime, int], Text]


class RowList(OptionList):
    """Holds `rows` (records with an id) and shows each through `render_row`."""

    def __init__(self, render_row: RenderRow, clock: Callable[[], datetime], **kwargs) -> None:
        super().__init__(markup=False, **kwargs)
        self._render_row = render_row
        self._clock = clock
        self._laid_out_for = 0  # the width the rows were built for
        self.rows: list[Any] = []
        self.empty_text = ""

    @property
    def current(self) -> Any | None:
        index = self.highlighted
        return self.rows[index] if index is not None and index < len(self.rows) else None

    def options_for(self, rows: list[Any]) -> list[Option]:
        now, width = self._clock(), self.row_width()
        return [Option(self._render_row(r, now, width), id=r.id) for r in rows]

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

    def _available_width(self) -> int:
        padding = self.get_component_styles("option-list--option").padding.width
        return max(MIN_ROW_WIDTH, self.scrollable_content_region.width - padding)

    def row_width(self) -> int:
        """The width to build rows for; remembered, to notice when it changes."""
        self._laid_out_for = self._available_width()
        return self._laid_out_for

    def render_lines(self, crop: Region) -> list[Strip]:
        # Checked here rather than on Resize: rows often arrive (from a worker)
        # before the list's first layout, and no Resize follows that one.
        width = self._available_width()
        if width != self._laid_out_for:
            self._laid_out_for = width
            self.call_later(self.refresh_rows)
        return super().render_lines(crop)

    def refresh_rows(self) -> None:
        """Build the options again (for the current width), keeping the highlighted row."""
        if self.rows:
            self.fill(self.current.id if self.current else None)
