"""The prompt pane's work view: a try-run's output as it streams, or the pass/fail matrix
of a test or a compare (case × evaluator, or input × side), with its progress.

It draws what it is handed; Enter on a matrix row posts `MatrixRowChosen` for the screen
to show that input's outputs and reasons. Model output is made inert before it is shown.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, ContentSwitcher, DataTable, Label, Static

from promptstudio_tui.messages import MatrixRowChosen
from promptstudio_tui.sanitize import inert, one_line

VERDICT_MARKS = {
    "pass": ("✓", "bold green"),
    "fail": ("✗", "bold red"),
    "unclear": ("?", "bold yellow"),
    "error": ("!", "bold red"),
    "running": ("⋯", "dim"),
    "pending": ("·", "dim"),
}
VERDICT_WORDS = {"pass": "passed", "fail": "failed", "unclear": "unclear", "error": "errors"}


def mark(verdict: str) -> Text:
    """✓ ✗ ? ! for pass, fail, unclear, error (⋯ running, · not yet)."""
    symbol, style = VERDICT_MARKS.get(verdict, (verdict, ""))
    return Text(symbol, style=style)


class TryView(Vertical):
    ALLOW_MAXIMIZE = True  # z: the output or the matrix full screen
    DEFAULT_CSS = """
    TryView {
        height: 2fr;
        min-height: 8;
        border-top: hkey $panel-lighten-2;
    }
    TryView #try-status {
        padding: 0 1;
        color: $text-muted;
        height: auto;
        max-height: 2;
    }
    TryView #try-status.-error {
        color: $error;
    }
    TryView ContentSwitcher {
        height: 1fr;
    }
    TryView #try-output {
        padding: 0 1;
    }
    TryView #try-table {
        height: 1fr;
    }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._pieces: list[str] = []
        self._columns: list[str] = []

    def compose(self) -> ComposeResult:
        with Horizontal(classes="pane-title"):
            yield Label("Try", id="try-title")
            yield Button("Zoom", action="screen.zoom_work", compact=True, id="try-zoom")
            yield Button("×", action="screen.close_work", compact=True, id="try-close", tooltip="Close")
        yield Static(id="try-status", markup=False)
        with ContentSwitcher(initial="try-output"):
            with VerticalScroll(id="try-output"):
                yield Static(id="try-text", markup=False)
            yield DataTable(cursor_type="row", zebra_stripes=True, id="try-table")

    @property
    def output(self) -> str:
        """The try-run's text as shown so far."""
        return "".join(self._pieces)

    @property
    def table(self) -> DataTable:
        return self.query_one("#try-table", DataTable)

    def status(self, text: str, *, error: bool = False) -> None:
        status = self.query_one("#try-status", Static)
        status.update(Text(text))
        status.set_class(error, "-error")

    def _open(self, title: str, view: str) -> None:
        self.display = True
        self.query_one("#try-title", Label).update(Text(title))
        self.query_one(ContentSwitcher).current = view

    # -- a try-run -------------------------------------------------------------------

    def start_output(self, title: str, status: str) -> None:
        self._open(title, "try-output")
        self._pieces = []
        self.query_one("#try-text", Static).update("")
        self.query_one("#try-output", VerticalScroll).scroll_home(animate=False)
        self.status(status)

    def append(self, text: str) -> None:
        if text:
            self._pieces.append(text)
            scroll = self.query_one("#try-output", VerticalScroll)
            following = scroll.scroll_y >= scroll.max_scroll_y  # the reader has not scrolled up
            self.query_one("#try-text", Static).update(Text(inert(self.output)))
            if following:
                self.call_after_refresh(scroll.scroll_end, animate=False)

    def show_output(self, text: str) -> None:
        """The whole output as stored (the settled run's, which is what was streamed)."""
        self._pieces = [text]
        self.query_one("#try-text", Static).update(Text(inert(text)))

    # -- a matrix ----------------------------------------------------------------------

    def start_matrix(self, title: str, first: str, columns: Sequence[str], rows: Sequence[tuple[str, str]]) -> None:
        """A table of `rows` (key, label) × `columns`, every cell not yet run."""
        self._open(title, "try-table")
        table = self.table
        table.clear(columns=True)
        table.add_column(first, key="label")
        self._columns = list(columns)
        for index, name in enumerate(self._columns):
            table.add_column(Text(one_line(name, 24)), key=f"c{index}")
        for key, label in rows:
            table.add_row(Text(one_line(label, 40)), *(mark("pending") for _ in self._columns), key=key)
        table.focus()

    def set_cell(self, row: str, column: int, verdict: str) -> None:
        self.table.update_cell(row, f"c{column}", mark(verdict))

    @on(DataTable.RowSelected, "#try-table")
    def _row_chosen(self, event: DataTable.RowSelected) -> None:
        event.stop()
        if event.row_key.value is not None:
            self.post_message(MatrixRowChosen(event.row_key.value))
