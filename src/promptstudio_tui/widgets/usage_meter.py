"""The left pane's footer: plan name and this month's tokens and requests against its limits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

from promptstudio_tui.widgets.formatting import compact

LABEL_WIDTH = 9  # "Requests "


def _bar(used: int, limit: int, width: int) -> Text:
    share = 1.0 if limit <= 0 else min(1.0, used / limit)
    filled = round(share * width)
    style = "red" if share >= 1 else "yellow" if share >= 0.8 else "green"
    return Text.assemble(("█" * filled, style), ("░" * (width - filled), "dim"))


@dataclass(frozen=True)
class Meter:
    """What the meter shows: this month's use of the plan."""

    plan: str
    tokens: tuple[int, int]  # used, limit
    requests: tuple[int, int]
    resets: date


class UsageMeter(Widget):
    DEFAULT_CSS = """
    UsageMeter {
        height: 3;
        padding: 0 1;
        box-sizing: content-box;
    }
    """

    meter: reactive[Meter | None] = reactive(None, layout=True)

    def render(self) -> Text:
        meter = self.meter
        if meter is None:
            return Text("")
        rows = (("Tokens", *meter.tokens), ("Requests", *meter.requests))
        numbers = [f" {compact(value)}/{compact(limit)}" for _, value, limit in rows]
        bar_width = max(4, self.content_size.width - LABEL_WIDTH - max(len(n) for n in numbers))
        resets = meter.resets
        text = Text.assemble((f"{meter.plan.title()} plan", "bold"), (f" · resets {resets.day} {resets:%b}", "dim"))
        for (label, value, limit), number in zip(rows, numbers, strict=True):
            text.append("\n")
            text.append(label.ljust(LABEL_WIDTH), "dim")
            text.append_text(_bar(value, limit, bar_width))
            text.append(number)
        return text
