"""A prompt's tests: its cases, its evaluators (kept in the `.prompt.yml` shape), and the
variable values last used to fill it.

Evaluator specs are stored as the plain mappings of `workshop.evaluators.to_mapping`; the
store never interprets them (the service validates them with `from_mapping` before they
are written, and an exporter can write them to a file as they are).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from promptstudio_tui.ids import new_id, utc_now
from promptstudio_tui.store.db import Store
from promptstudio_tui.store.records import TestCase
from promptstudio_tui.store.repository import Repository

CASE_SOURCES = ("manual", "run", "proposed", "imported")


@dataclass(frozen=True)
class NewCase:
    """A case to add (`TestCases.add_many`, `replace`)."""

    vars: Mapping[str, Any]
    expected: str | None = None
    name: str = ""
    source: str = "manual"


class TestCases(Repository[TestCase]):
    __test__ = False  # not a pytest class, whatever its name

    table = "test_cases"
    record = staticmethod(TestCase.from_row)

    def add(
        self,
        prompt_id: str,
        vars: Mapping[str, Any],
        *,
        expected: str | None = None,
        name: str = "",
        source: str = "manual",
    ) -> TestCase:
        return self.add_many(prompt_id, [NewCase(vars, expected, name, source)])[0]

    def add_many(self, prompt_id: str, cases: Iterable[NewCase]) -> list[TestCase]:
        """All of them or none, in one transaction, in the order given."""
        ids = []
        with self.store.write():
            for case in cases:
                if case.source not in CASE_SOURCES:
                    raise ValueError(f"unknown case source {case.source!r}")
                case_id = self.insert_in_order(  # the order given, whoever adds more later
                    "prompt_id",
                    {
                        "prompt_id": prompt_id,
                        "name": case.name,
                        "vars": json.dumps(dict(case.vars), ensure_ascii=False),
                        "expected": case.expected,
                        "source": case.source,
                        "created_at": utc_now(),
                    },
                )
                ids.append(case_id)
        return [self.get(case_id) for case_id in ids]

    def replace(self, prompt_id: str, cases: Iterable[NewCase]) -> list[TestCase]:
        """The prompt's cases become exactly `cases` (an import), in one transaction.

        Runs of the removed cases are kept; their case_id becomes NULL.
        """
        with self.store.write() as db:
            db.execute("DELETE FROM test_cases WHERE prompt_id = ?", (prompt_id,))
            return self.add_many(prompt_id, cases)

    def for_prompt(self, prompt_id: str) -> list[TestCase]:
        """Oldest first (ids sort by creation)."""
        rows = self.store.query("SELECT * FROM test_cases WHERE prompt_id = ? ORDER BY id", (prompt_id,))
        return [TestCase.from_row(row) for row in rows]

    def count(self, prompt_id: str) -> int:
        return int(self.store.query("SELECT count(*) FROM test_cases WHERE prompt_id = ?", (prompt_id,))[0][0])

    def delete(self, case_id: str) -> bool:
        """False when there was no such case."""
        with self.store.write() as db:
            return db.execute("DELETE FROM test_cases WHERE id = ?", (case_id,)).rowcount > 0


class PromptEvaluators:
    """A prompt's evaluators, in order, as `.prompt.yml` evaluator mappings."""

    def __init__(self, store: Store):
        self.store = store

    def for_prompt(self, prompt_id: str) -> list[dict[str, Any]]:
        rows = self.store.query(
            "SELECT spec FROM prompt_evaluators WHERE prompt_id = ? ORDER BY position", (prompt_id,)
        )
        return [json.loads(row[0]) for row in rows]

    def replace(self, prompt_id: str, specs: Iterable[Mapping[str, Any]]) -> None:
        """The prompt's evaluators become exactly `specs`, in one transaction."""
        with self.store.write() as db:
            db.execute("DELETE FROM prompt_evaluators WHERE prompt_id = ?", (prompt_id,))
            for position, spec in enumerate(specs):
                self.store.insert(
                    "prompt_evaluators",
                    {
                        "id": new_id(),
                        "prompt_id": prompt_id,
                        "position": position,
                        "spec": json.dumps(dict(spec), ensure_ascii=False),
                    },
                )

    def append(self, prompt_id: str, specs: Iterable[Mapping[str, Any]]) -> None:
        """Add `specs` after the prompt's evaluators; joins the caller's transaction."""
        with self.store.write():
            (start,) = self.store.query(
                "SELECT coalesce(max(position), -1) + 1 FROM prompt_evaluators WHERE prompt_id = ?", (prompt_id,)
            )[0]
            for offset, spec in enumerate(specs):
                self.store.insert(
                    "prompt_evaluators",
                    {
                        "id": new_id(),
                        "prompt_id": prompt_id,
                        "position": start + offset,
                        "spec": json.dumps(dict(spec), ensure_ascii=False),
                    },
                )


class VariableValues:
    """The values last used to fill each prompt's variables."""

    def __init__(self, store: Store):
        self.store = store

    def get(self, prompt_id: str) -> dict[str, Any]:
        rows = self.store.query("SELECT vars FROM prompt_variable_values WHERE prompt_id = ?", (prompt_id,))
        if not rows:
            return {}
        try:
            found = json.loads(rows[0][0])
        except ValueError:
            return {}
        return found if isinstance(found, dict) else {}

    def remember(self, prompt_id: str, values: Mapping[str, Any]) -> None:
        """Merge `values` over what was remembered (a prompt's other variables keep theirs)."""
        with self.store.write() as db:
            merged = {**self.get(prompt_id), **values}
            db.execute(
                "INSERT INTO prompt_variable_values (prompt_id, vars, updated_at) VALUES (?, ?, ?)"
                " ON CONFLICT (prompt_id) DO UPDATE SET vars = excluded.vars, updated_at = excluded.updated_at",
                (prompt_id, json.dumps(merged, ensure_ascii=False), utc_now()),
            )
