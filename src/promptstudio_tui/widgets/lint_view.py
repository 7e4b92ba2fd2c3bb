"""Under the shown prompt: its `{{variables}}`, what lint found (severity, line:col, message),
its token count and what one request costs on a few models."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from rich.text import Text
from textual.widgets import Static

from promptstudio_tui.pricing import format_usd
from promptstudio_tui.sanitize import one_line
from promptstudio_tui.widgets.formatting import plural

if TYPE_CHECKING:
    from promptstudio_tui.workshop.lint import Finding, LintReport

MARKS = {"error": ("✗", "bold red"), "warning": ("⚠", "yellow"), "info": ("·", "dim")}
SHOWN_FINDINGS = 6  # the rest are counted; `promptstudio prompts lint` lists them all


def finding_line(finding: Finding) -> Text:
    mark, style = MARKS.get(finding.severity, ("·", ""))
    place = f"{finding.line}:{finding.column} " if finding.line is not None else ""
    return Text.assemble(
        (f"{mark} ", style),
        (place, "dim"),
        (one_line(finding.message), "bold" if finding.severity == "error" else ""),
    )


def lint_text(report: LintReport | None, names: Sequence[str]) -> Text:
    lines: list[Text] = []
    if names:
        lines.append(Text.assemble(("Variables ", "dim"), ", ".join(one_line(n) for n in names)))
    if report is not None:
        for finding in report.findings[:SHOWN_FINDINGS]:
            lines.append(finding_line(finding))
        more = len(report.findings) - SHOWN_FINDINGS
        if more > 0:
            lines.append(Text(f"+{more} more (promptstudio prompts lint lists them all)", style="dim"))
        approx = "≈" if report.tokens_estimated else ""
        cost = report.costs[0] if report.costs else None  # the configured model's, when it is priced
        tail = f" · {format_usd(cost.prompt_micros)}/request ({cost.model})" if cost else ""
        facts = f"{approx}{plural(report.tokens, 'token')}{tail}"
        if report.findings:
            lines.append(Text(facts, style="dim"))
        else:
            lines.append(Text.assemble(("✓ ", "green"), ("lint clean · ", "dim"), (facts, "dim")))
    return Text("\n").join(lines)


class LintView(Static):
    """The lint of the version on show; an error-level finding marks the whole view."""

    DEFAULT_CSS = """
    LintView {
        height: auto;
        max-height: 10;
        padding: 0 1;
        border-top: hkey $panel-lighten-2;
    }
    LintView.-error {
        border-top: hkey $error;
    }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(markup=False, **kwargs)
        self.report: LintReport | None = None

    def show(self, report: LintReport | None, names: Sequence[str] = ()) -> None:
        self.report = report
        self.update(lint_text(report, names))
        self.set_class(report is not None and report.has_errors, "-error")
        self.display = report is not None or bool(names)
