"""An OptionList whose rows are plain text laid out for its width, and again when it changes.

Tables would align the columns by themselves, but an OptionList measures every
row it holds and a table costs several times more to measure than a line of
text: with thousands of rows that is the difference between instant and slow.
"""

from __future__ import annotations

from textual.widgets import OptionList

MIN_ROW_WIDTH = 20  # before the first layout (or while hidden) the list has no width


class RowList(OptionList):
    def __init__(self, **kwargs) -> None:
        super().__init__(markup=False, **kwargs)

    def row_width(self) -> int:
        import time
        open("/tmp/rowlist.log","a").write(f"{time.monotonic():.3f} row_width {self.id} region={self.scrollable_content_region} size={self.size}\n")
        padding = self.get_component_styles("option-list--option").padding.width
        return max(MIN_ROW_WIDTH, self.scrollable_content_region.width - padding)

    def on_resize(self, event) -> None:
        import time
        open("/tmp/rowlist.log","a").write(f"{time.monotonic():.3f} resize {self.id} {event.size}\n")
        self.refresh_rows()

    def refresh_rows(self) -> None:
        """Build the options again (for the current width), keeping the highlighted row."""
        raise NotImplementedError
