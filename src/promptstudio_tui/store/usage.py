"""Usage rows, daily summaries and quota reservations."""

from __future__ import annotations

from datetime import datetime

from promptstudio_tui.ids import new_id, utc_now
from promptstudio_tui.store.db import Store
from promptstudio_tui.store.owner import is_gone, this_process
from promptstudio_tui.store.records import BreakdownRow, DayUsage, UsageTotals

REQUEST_TYPES = ("conversation", "prompt_optimization", "prompt_save")
# Saving a prompt is tracked but is not an LLM request, so it never counts against limits.
LIMITED_TYPES = ("conversation", "prompt_optimization")


class Usage:
    def __init__(self, store: Store):
        self.store = store

    def record(
        self,
        request_type: str,
        *,
        prompt_tokens: int = 0,
        completion_tokens: int = 0,
        cost: int | None = None,
        model: str | None = None,
        conversation_id: str | None = None,
        prompt_id: str | None = None,
    ) -> str:
        """One usage row plus the day's summary upsert; joins the caller's transaction."""
        if request_type not in REQUEST_TYPES:
            raise ValueError(f"unknown request type {request_type!r}")
        row_id = new_id()
        tokens = prompt_tokens + completion_tokens
        limited = 1 if request_type in LIMITED_TYPES else 0
        local_day = datetime.now().astimezone().date().isoformat()
        with self.store.write() as db:
            db["usage_tracking"].insert(
                {
                    "id": row_id,
                    "request_type": request_type,
                    "prompt_tokens": prompt_tokens,
                    "completion_tokens": completion_tokens,
                    "cost": cost,
                    "model": model,
                    "conversation_id": conversation_id,
                    "prompt_id": prompt_id,
                    "created_at": utc_now(),
                }
            )
            db.execute(
                f"""INSERT INTO usage_summaries (summary_date, total_tokens, total_requests, total_cost,
                        {request_type}_requests, updated_at)
                    VALUES (?, ?, ?, ?, 1, ?)
                    ON CONFLICT (summary_date) DO UPDATE SET
                        total_tokens = total_tokens + excluded.total_tokens,
                        total_requests = total_requests + excluded.total_requests,
                        total_cost = total_cost + excluded.total_cost,
                        {request_type}_requests = {request_type}_requests + 1,
                        updated_at = excluded.updated_at""",
                (local_day, tokens, limited, cost or 0, utc_now()),
            )
        return row_id

    def totals(self, start_utc: str, end_utc: str) -> UsageTotals:
        placeholders = ", ".join("?" for _ in LIMITED_TYPES)
        row = self.store.query(
            f"""SELECT coalesce(sum(prompt_tokens + completion_tokens), 0),
                       count(*),
                       coalesce(sum(cost), 0),
                       coalesce(sum(cost IS NULL), 0)
                FROM usage_tracking
                WHERE created_at >= ? AND created_at < ? AND request_type IN ({placeholders})""",
            (start_utc, end_utc, *LIMITED_TYPES),
        )[0]
        return UsageTotals(tokens=row[0], requests=row[1], cost=row[2], unpriced_requests=row[3])

    def days(self, first_day: str, last_day: str) -> list[DayUsage]:
        rows = self.store.query(
            "SELECT summary_date, total_tokens, total_requests, total_cost FROM usage_summaries"
            " WHERE summary_date BETWEEN ? AND ? ORDER BY summary_date",
            (first_day, last_day),
        )
        return [DayUsage(*r) for r in rows]

    def breakdown(self, start_utc: str, end_utc: str, by: str) -> list[BreakdownRow]:
        column = {"type": "request_type", "model": "coalesce(model, 'unknown')"}[by]
        rows = self.store.query(
            f"""SELECT {column}, coalesce(sum(prompt_tokens + completion_tokens), 0), count(*), coalesce(sum(cost), 0),
                       coalesce(sum(cost IS NULL AND prompt_tokens + completion_tokens > 0), 0)
                FROM usage_tracking WHERE created_at >= ? AND created_at < ?
                GROUP BY 1 ORDER BY 2 DESC, 1""",
            (start_utc, end_utc),
        )
        return [BreakdownRow(*r) for r in rows]

    # -- reservations: in-flight requests count against the limits ------------

    def reserved(self) -> tuple[int, int]:
        row = self.store.query("SELECT coalesce(sum(tokens), 0), count(*) FROM quota_reservations")[0]
        return row[0], row[1]

    def add_reservation(self, tokens: int) -> str:
        reservation_id = new_id()
        with self.store.write() as db:
            db["quota_reservations"].insert({"id": reservation_id, "tokens": tokens, **this_process(), "created_at": utc_now()})
        return reservation_id

    def release(self, reservation_id: str) -> None:
        with self.store.write() as db:
            db.execute("DELETE FROM quota_reservations WHERE id = ?", (reservation_id,))

    def drop_stale_reservations(self, older_than_utc: str) -> None:
        """Reservations of processes that died (same host) or that are very old."""
        with self.store.write() as db:
            for row in self.store.query("SELECT id, pid, host, created_at FROM quota_reservations"):
                owner = {"pid": row["pid"], "host": row["host"]}
                if is_gone(owner) or row["created_at"] < older_than_utc:
                    db.execute("DELETE FROM quota_reservations WHERE id = ?", (row["id"],))
