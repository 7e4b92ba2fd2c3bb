"""The chat header: title, category, model and what is happening in this conversation now."""

from __future__ import annotations

from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

from promptstudio_tui.sanitize import one_line
from promptstudio_tui.widgets.formatting import spread

STATE_STYLES = {"idle": "dim", "waiting": "yellow", "streaming": "green", "generating": "magenta"}


class ChatHeader(Widget):
    """Draws what the screen hands it; it keeps no conversation of its own."""

    DEFAULT_CSS = """
    ChatHeader {
        height: 2;
        padding: 0 1;
    }
    """

    title: reactive[str | None] = reactive(None)  # None: no conversation open
    category: reactive[str] = reactive("")
    model: reactive[str] = reactive("")
    state: reactive[str] = reactive("idle")
    detail: reactive[str] = reactive("")  # e.g. "42 tok/s"

    def render(self) -> Text:
        if self.title is None:
            title = Text("Prompt Studio", style="bold")
            sub = Text("No conversation open", style="dim")
        else:
            title = Text(one_line(self.title) or "Untitled", style="bold")
            sub = Text.assemble((self.category, "italic"), " · ", (one_line(self.model), "dim"))
        state = Text(self.state, style=STATE_STYLES.get(self.state, ""))
        if self.detail:
            state.append(f" · {self.detail}", style="dim")
        width = self.content_size.width
        sub.truncate(width, overflow="ellipsis")
        return Text("\n").join([spread(title, state, width), sub])

    def show(self, title: str | None, category: str = "") -> None:
        self.title, self.category = title, category

    def set_state(self, state: str, detail: str = "") -> None:
        self.state, self.detail = state, detail
