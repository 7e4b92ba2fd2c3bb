"""Usage: this month against the plan, a per-day chart and breakdowns by type and model."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult, RenderResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widget import Widget
from textual.widgets import DataTable, Label, ProgressBar, Static

from promptstudio_tui.actions import bindings, spoken
from promptstudio_tui.events import UsageReport
from promptstudio_tui.pricing import format_usd
from promptstudio_tui.sanitize import one_line
from promptstudio_tui.screens.dialog import Dialog
from promptstudio_tui.store.records import BreakdownRow, DayUsage
from promptstudio_tui.studio import Studio
from promptstudio_tui.widgets.formatting import compact, plural

REQUEST_TYPES = {
    "conversation": "Chat replies",
    "prompt_optimization": "Prompt generation",
    "prompt_save": "Saved prompts",  # tracked, never counted against the plan
    "prompt_test": "Prompt tests",
}
EIGHTHS = " ▁▂▃▄▅▆▇█"
AXIS_WIDTH = 7


def month_days(first_day: str, last_day: str, days: list[DayUsage]) -> list[DayUsage]:
    """Every day of the month in order, zero where nothing was used."""
    by_date = {day.date: day for day in days}
    first, last = date.fromisoformat(first_day), date.fromisoformat(last_day)
    every = (first + timedelta(days=n) for n in range((last - first).days + 1))
    return [by_date.get(d.isoformat(), DayUsage(d.isoformat(), 0, 0, 0)) for d in every]


class DayChart(Widget):
    """Tokens per day as vertical bars, scaled to the busiest day."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {"day-chart--bar", "day-chart--axis"}
    DEFAULT_CSS = """
    DayChart {
        height: 9;
    }
    DayChart > .day-chart--bar {
        color: $primary;
    }
    DayChart > .day-chart--axis {
        color: $text-muted;
    }
    """

    def __init__(self, days: list[DayUsage], *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.days = days

    def render(self) -> RenderResult:
        bar_style = self.get_component_rich_style("day-chart--bar")
        axis_style = self.get_component_rich_style("day-chart--axis")
        values = [day.tokens for day in self.days]
        peak = max(values, default=0) or 1
        rows = max(1, self.size.height - 2)  # the last two lines are the axis and day numbers
        column = max(1, min(3, (self.size.width - AXIS_WIDTH - 1) // max(1, len(values))))
        bar = max(1, column - 1)  # keep a gap between bars when there is room
        eighths = [0 if v == 0 else max(1, round(v / peak * rows * 8)) for v in values]
        lines: list[Text] = []
        for row in range(rows):
            floor = (rows - 1 - row) * 8
            label = compact(max(values, default=0)) if row == 0 else ""
            line = Text(f"{label:>{AXIS_WIDTH - 2}} │", style=axis_style)
            for height in eighths:
                block = EIGHTHS[min(8, max(0, height - floor))]
                line.append(block * bar + " " * (column - bar), style=bar_style)
            lines.append(line)
        lines.append(Text(f"{'0':>{AXIS_WIDTH - 2}} └" + "─" * (column * len(values)), style=axis_style))
        numbers = [" "] * (column * len(values))
        for index in range(len(values)):
            day = index + 1
            if day == 1 or day % 5 == 0:
                text = str(day)
                start = index * column
                if start + len(text) <= len(numbers) and all(
                    c == " " for c in numbers[max(0, start - 1) : start + len(text)]
                ):
                    numbers[start : start + len(text)] = text
        lines.append(Text(" " * AXIS_WIDTH + "".join(numbers), style=axis_style))
        return Text("\n").join(lines)


def _right(value: str) -> Text:
    return Text(value, justify="right")


def cost_cell(cost: int, tokens: int, requests: int, unpriced: int) -> str:
    """Money that never reads as $0 when the price is unknown ("never 0 for unknown")."""
    if not tokens:
        return "—"
    if unpriced >= requests:
        return "unknown"
    return f"≥ {format_usd(cost)}" if unpriced else format_usd(cost)


class UsageScreen(Dialog[None]):
    """This month's usage; pass `report` to show a fixed one (snapshots). Esc, q or F3 closes (by default)."""

    AUTO_FOCUS = "#by-type"

    DEFAULT_CSS = """
    UsageScreen > #dialog {
        width: 110;
        padding: 0 1;
    }
    UsageScreen .heading {
        dock: top;
        text-style: bold;
    }
    UsageScreen .section {
        text-style: bold;
        margin-top: 1;
    }
    UsageScreen .meter {
        height: auto;
    }
    UsageScreen .meter > .name {
        width: 10;
    }
    UsageScreen .meter > ProgressBar {
        width: auto;
    }
    UsageScreen .meter > .detail {
        width: 1fr;
        height: auto;
        padding-left: 1;
    }
    UsageScreen .hint {
        dock: bottom;
        color: $text-muted;
    }
    UsageScreen .tables {
        height: auto;
    }
    UsageScreen .tables > Vertical {
        width: 1fr;
        height: auto;
    }
    /* The type table's rows are known and short: it takes what it needs, models the rest. */
    UsageScreen #type-column, UsageScreen #by-type {
        width: auto;
    }
    UsageScreen DataTable {
        height: auto;
        max-height: 12;
        margin-right: 1;
    }
    """

    BINDINGS = bindings("usage")

    def __init__(self, studio: Studio, report: UsageReport | None = None) -> None:
        super().__init__()
        self.studio = studio
        self.report = report or studio.usage_report()

    def compose(self) -> ComposeResult:
        quota = self.report.quota
        window = quota.window
        month = date.fromisoformat(window.first_day).strftime("%B %Y")
        used = quota.used
        with VerticalScroll(id="dialog"):
            yield Static(
                Text(f"Usage in {month} · {quota.plan} plan · resets on {window.resets_on}"), classes="heading"
            )
            yield Static(f"{spoken('usage.close', self.studio.settings.keymap)[0]} closes", classes="hint")
            yield self._meter("Tokens", used.tokens, quota.limits.tokens_limit, quota.reserved_tokens)
            yield self._meter("Requests", used.requests, quota.limits.requests_limit, quota.reserved_requests)
            cost = f"{cost_cell(used.cost, used.tokens, used.requests, used.unpriced_requests)} this month"
            if used.unpriced_requests:
                cost += f": {plural(used.unpriced_requests, 'request')} at unknown prices (add them under [prices] in config.toml)"
            with Horizontal(classes="meter"):
                yield Label("Cost", classes="name")
                yield Static(Text(cost), classes="detail", id="cost")
            yield Label(f"Tokens per day, {month}", classes="section")
            yield DayChart(month_days(window.first_day, window.last_day, self.report.days), id="chart")
            with Horizontal(classes="tables"):
                with Vertical(id="type-column"):
                    yield Label("By request type", classes="section")
                    yield DataTable(id="by-type", cursor_type="row", zebra_stripes=True)
                with Vertical():
                    yield Label("By model", classes="section")
                    yield DataTable(id="by-model", cursor_type="row", zebra_stripes=True)

    def _meter(self, name: str, used: int, limit: int, reserved: int) -> Horizontal:
        bar = ProgressBar(total=max(limit, 1), show_eta=False)
        bar.progress = min(used, limit)
        detail = f"{used:,} of {limit:,} · {max(0, limit - used - reserved):,} left"
        if reserved:
            detail += f" · {reserved:,} in flight"  # held by requests still running
        return Horizontal(
            Label(name, classes="name"),
            bar,
            Static(Text(detail), classes="detail"),
            classes="meter",
            id=f"meter-{name.lower()}",
        )

    def on_mount(self) -> None:
        self._fill("by-type", "Type", self.report.by_type, lambda key: REQUEST_TYPES.get(key, key))
        # Saving a prompt is tracked without a model or tokens; it is no model's usage.
        models = [row for row in self.report.by_model if row.tokens]
        self._fill("by-model", "Model", models, one_line)  # model names come from the endpoint

    def _fill(self, table_id: str, first: str, rows: list[BreakdownRow], name: Callable[[str], str]) -> None:
        table = self.query_one(f"#{table_id}", DataTable)
        table.add_columns(first, _right("Requests"), _right("Tokens"), _right("Cost"))
        for row in rows:
            table.add_row(
                Text(name(row.key)),
                _right(f"{row.requests:,}"),
                _right(f"{row.tokens:,}"),
                _right(cost_cell(row.cost, row.tokens, row.requests, row.unpriced_requests)),
            )
        if not rows:
            table.add_row(Text("Nothing yet this month"), "", "", "")

    def action_close(self) -> None:
        self.dismiss(None)
