"""The chat header: title, category, model and what the studio is doing right now."""

from __future__ import annotations

from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

from promptstudio_tui.sanitize import one_line
from promptstudio_tui.store.records import Conversation
from promptstudio_tui.widgets.formatting import spread

STATE_STYLES = {"idle": "dim", "waiting": "yellow", "streaming": "green", "generating": "magenta"}


class ChatHeader(Widget):
    conversation: reactive[Conversation | None] = reactive(None)
    model: reactive[str] = reactive("")
    state: reactive[str] = reactive("idle")
    detail: reactive[str] = reactive("")  # e.g. "42 tok/s"

    def render(self) -> Text:
        conversation = self.conversation
        if conversation is None:
            title = Text("Prompt Studio", style="bold")
            sub = Text("No conversation open", style="dim")
        else:
            title = Text(one_line(conversation.title) or "Untitled", style="bold")
            sub = Text.assemble((conversation.category, "italic"), " · ", (one_line(self.model), "dim"))
        state = Text(self.state, style=STATE_STYLES.get(self.state, ""))
        if self.detail:
            state.append(f" · {self.detail}", style="dim")
        width = self.content_size.width
        sub.truncate(width, overflow="ellipsis")
        return Text("\n").join([spread(title, state, width), sub])

    def set_state(self, state: str, detail: str = "") -> None:
        self.state, self.detail = state, detail
