"""The left pane's footer: plan name and this month's tokens and requests against its limits."""

from __future__ import annotations

from datetime import date, timedelta

from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

from promptstudio_tui.quota import QuotaStatus
from promptstudio_tui.widgets.formatting import compact

LABEL_WIDTH = 9  # "Requests "


def _bar(used: int, limit: int, width: int) -> Text:
    share = 1.0 if limit <= 0 else min(1.0, used / limit)
    filled = round(share * width)
    style = "red" if share >= 1 else "yellow" if share >= 0.8 else "green"
    return Text.assemble(("█" * filled, style), ("░" * (width - filled), "dim"))


class UsageMeter(Widget):
    status: reactive[QuotaStatus | None] = reactive(None, layout=True)

    def render(self) -> Text:
        status = self.status
        if status is None:
            return Text("")
        used, limits = status.used, status.limits
        rows = (
            ("Tokens", used.tokens, limits.tokens_limit),
            ("Requests", used.requests, limits.requests_limit),
        )
        numbers = [f" {compact(value)}/{compact(limit)}" for _, value, limit in rows]
        bar_width = max(4, self.content_size.width - LABEL_WIDTH - max(len(n) for n in numbers))
        resets = date.fromisoformat(status.window.last_day) + timedelta(days=1)
        text = Text.assemble((f"{status.plan.title()} plan", "bold"), (f" · resets {resets.day} {resets:%b}", "dim"))
        for (label, value, limit), number in zip(rows, numbers):
            text.append("\n")
            text.append(label.ljust(LABEL_WIDTH), "dim")
            text.append_text(_bar(value, limit, bar_width))
            text.append(number)
        return text
