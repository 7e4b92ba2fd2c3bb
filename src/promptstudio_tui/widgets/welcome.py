"""Shown when no conversation is open: quick tips and one starter template per category."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from promptstudio_tui.catalog import TEMPLATES
from promptstudio_tui.messages import ImportRequested, StartFromTemplate

IMPORT_OPTION = "import"


class Welcome(VerticalScroll):
    DEFAULT_CSS = """
    Welcome {
        padding: 1 2;
    }
    .welcome-title {
        color: $accent;
    }
    .welcome-intro, .welcome-tips {
        margin: 1 0 0 0;
        color: $text-muted;
    }
    .welcome-subtitle {
        margin: 1 0 0 0;
    }
    #templates {
        height: auto;
        max-height: 12;
        margin-top: 1;
    }
    """

    def __init__(self, new_key: str, tips: Sequence[str], **kwargs) -> None:
        super().__init__(**kwargs)
        self._new_key = new_key
        self._tips = tuple(tips)  # naming the user's keys (catalog.tips)

    def compose(self) -> ComposeResult:
        yield Static(Text("Welcome to Prompt Studio", style="bold"), classes="welcome-title")
        yield Static(
            Text(
                "Talk with the assistant about what you need; it asks one question at a time. "
                "When the picture is complete, it turns the conversation into a copy-ready prompt."
            ),
            classes="welcome-intro",
        )
        yield Static(Text("\n".join(f"• {tip}" for tip in self._tips)), classes="welcome-tips")
        yield Static(
            Text(f"Start from a template (Enter), or press {self._new_key} for a blank conversation:", style="bold"),
            classes="welcome-subtitle",
        )
        options = [
            Option(Text.assemble((template.category, "bold"), "  ", (template.title, "dim")), id=str(index))
            for index, template in enumerate(TEMPLATES)
        ]
        options.append(
            Option(
                Text.assemble(("Improve a prompt I already have", "bold"), "  ", ("paste it; v1 to improve on", "dim")),
                id=IMPORT_OPTION,
            )
        )
        yield OptionList(*options, id="templates", markup=False)

    @on(OptionList.OptionSelected, "#templates")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id == IMPORT_OPTION:
            self.post_message(ImportRequested())
        else:
            self.post_message(StartFromTemplate(TEMPLATES[int(event.option.id or 0)]))
