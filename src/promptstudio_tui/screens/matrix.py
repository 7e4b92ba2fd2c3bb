"""What the Try view's matrix is of: its rows (inputs), columns (evaluators or sides) and
the outcomes as they arrive, and the words for a finished test or compare."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from promptstudio_tui.events import CaseOutcome, TestSummary
from promptstudio_tui.pricing import format_usd
from promptstudio_tui.sanitize import one_line
from promptstudio_tui.store.records import TestCase

ONE_INPUT = "input"  # the row key of a compare without cases


@dataclass
class Matrix:
    """What the Try view's table shows: rows are inputs, columns evaluators (test) or sides (compare)."""

    kind: Literal["test", "compare"]
    columns: list[str]
    cases: dict[str, TestCase | None]
    outcomes: dict[tuple[str, int], CaseOutcome] = field(default_factory=dict)
    done: int = 0
    total: int = 0


def row_key(case: TestCase | None) -> str:
    return case.id if case is not None else ONE_INPUT


def case_label(case: TestCase | None, index: int) -> str:
    if case is None:
        return "the last values"
    values = ", ".join(f"{k}={v}" for k, v in case.vars.items())
    return case.name or values or f"case {index + 1}"


def summary_words(summary: TestSummary) -> str:
    counts = [f"{summary.passed}/{summary.total} passed"]
    counts += [f"{summary.count(v)} {w}" for v, w in (("fail", "failed"), ("unclear", "unclear"), ("error", "errors"))
               if summary.count(v)]  # fmt: skip
    unpriced = f" (+{summary.unpriced} unpriced)" if summary.unpriced else ""
    facts = f"{summary.tokens:,} tok · {format_usd(summary.cost)}{unpriced} · {summary.latency_ms / 1000:.1f} s"
    return f"{one_line(summary.label)}: {', '.join(counts)} · {facts}"
