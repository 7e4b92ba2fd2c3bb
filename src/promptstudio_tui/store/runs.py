"""Runs: every request the workshop makes (a try, a test case, a judge's grading), kept with
its output, final state, tokens, cost and latency."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from promptstudio_tui.ids import utc_now
from promptstudio_tui.store.records import Reason, Run
from promptstudio_tui.store.repository import Repository

KINDS = ("try", "test", "judge")
STATES = ("complete", "interrupted", "error")


class Runs(Repository[Run]):
    table = "runs"
    record = staticmethod(Run.from_row)

    def add(
        self,
        prompt_id: str,
        *,
        version: int,
        kind: str,
        model: str,
        vars: Mapping[str, Any],
        output: str,
        state: str,
        error: str | None = None,
        case_id: str | None = None,
        prompt_tokens: int = 0,
        completion_tokens: int = 0,
        cost: int | None = None,
        latency_ms: int = 0,
        verdict: str | None = None,
        reasons: Sequence[Reason] = (),
    ) -> Run:
        """One settled run; joins the caller's transaction (usage is recorded with it)."""
        if kind not in KINDS:
            raise ValueError(f"unknown run kind {kind!r}")
        if state not in STATES:
            raise ValueError(f"unknown run state {state!r}")
        run_id = self.insert_in_order(  # newest first must not depend on the clock
            "prompt_id",
            {
                "prompt_id": prompt_id,
                "version": version,
                "kind": kind,
                "case_id": case_id,
                "vars": json.dumps(dict(vars), ensure_ascii=False),
                "model": model,
                "output": output,
                "state": state,
                "error": error,
                "prompt_tokens": prompt_tokens,
                "completion_tokens": completion_tokens,
                "cost": cost,
                "latency_ms": latency_ms,
                "verdict": verdict,
                "reasons": _reasons_json(reasons),
                "created_at": utc_now(),
            },
        )
        return self.get(run_id)

    def grade(self, run_id: str, verdict: str, reasons: Sequence[Reason]) -> Run:
        """A test run's verdict and each evaluator's reason, once its checks are done."""
        with self.store.write() as db:
            db.execute(
                "UPDATE runs SET verdict = ?, reasons = ? WHERE id = ?", (verdict, _reasons_json(reasons), run_id)
            )
        return self.get(run_id)

    def for_prompt(self, prompt_id: str, *, kind: str | None = None, limit: int = 200) -> list[Run]:
        """Newest first."""
        if kind is None:
            rows = self.store.query(
                "SELECT * FROM runs WHERE prompt_id = ? ORDER BY id DESC LIMIT ?", (prompt_id, limit)
            )
        else:
            rows = self.store.query(
                "SELECT * FROM runs WHERE prompt_id = ? AND kind = ? ORDER BY id DESC LIMIT ?",
                (prompt_id, kind, limit),
            )
        return [Run.from_row(row) for row in rows]


def _reasons_json(reasons: Sequence[Reason]) -> str:
    return json.dumps(
        [{"evaluator": r.evaluator, "verdict": r.verdict, "reason": r.reason} for r in reasons], ensure_ascii=False
    )
