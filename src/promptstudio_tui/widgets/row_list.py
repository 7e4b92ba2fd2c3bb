"""An OptionList whose rows are plain text laid out for its width, and again when it changes.

Tables would align the columns by themselves, but an OptionList measures every
row it holds and a table costs several times more to measure than a line of
text: with thousands of rows that is the difference between instant and slow.
"""

from __future__ import annotations

from textual.geometry import Region
from textual.strip import Strip
from textual.widgets import OptionList

MIN_ROW_WIDTH = 20  # before the first layout (or while hidden) the list has no width


class RowList(OptionList):
    def __init__(self, **kwargs) -> None:
        super().__init__(markup=False, **kwargs)
        self._laid_out_for = 0  # the width the rows were built for

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
        raise NotImplementedError
