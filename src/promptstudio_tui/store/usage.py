"""Usage rows, daily summaries and quota reservations."""

from __future__ import annotations

from datetime import datetime, timezone

from promptstudio_tui.ids import new_id, utc_now
from promptstudio_tui.store.db import Store
from promptstudio_tui.store.owner import is_gone, this_process
from promptstudio_tui.store.records import BreakdownRow, DayUsage, UsageTotals

REQUEST_TYPES = ("conversation", "prompt_optimization", "prompt_save", "prompt_test")
# Saving a prompt is tracked but is not an LLM request, so it never counts against limits.
LIMITED_TYPES = ("conversation", "prompt_optimization", "prompt_test")


def local_day(instant: datetime) -> str:
    """The summary key: the local calendar day of `instant`, as quota.month_window counts months."""
    return instant.astimezone().date().isoformat()


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
        """One usage row plus the day's summary upsert; joins the caller's transaction.

        The summaries are what the quota counts (`totals`), so they must add up to
        exactly the limited rows: a prompt save carries no tokens and no cost.
        """
        if request_type not in REQUEST_TYPES:
            raise ValueError(f"unknown request type {request_type!r}")
        limited = request_type in LIMITED_TYPES
        if not limited and (prompt_tokens or completion_tokens or cost):
            raise ValueError(f"a {request_type} is not an LLM request and has no tokens or cost")
        row_id = new_id()
        # One instant for the row and its day key, so the two can never straddle midnight.
        now = datetime.now(timezone.utc)
        created_at = now.isoformat(timespec="microseconds")
        with self.store.write() as db:
            db.execute(
                "INSERT INTO usage_tracking (id, request_type, prompt_tokens, completion_tokens, cost, model,"
                " conversation_id, prompt_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    row_id,
                    request_type,
                    prompt_tokens,
                    completion_tokens,
                    cost,
                    model,
                    conversation_id,
                    prompt_id,
                    created_at,
                ),
            )
            db.execute(
                f"""INSERT INTO usage_summaries (summary_date, total_tokens, total_requests, total_cost,
                        unpriced_requests, {request_type}_requests, updated_at)
                    VALUES (?, ?, ?, ?, ?, 1, ?)
                    ON CONFLICT (summary_date) DO UPDATE SET
                        total_tokens = total_tokens + excluded.total_tokens,
                        total_requests = total_requests + excluded.total_requests,
                        total_cost = total_cost + excluded.total_cost,
                        unpriced_requests = unpriced_requests + excluded.unpriced_requests,
                        {request_type}_requests = {request_type}_requests + 1,
                        updated_at = excluded.updated_at""",
                (
                    local_day(now),
                    prompt_tokens + completion_tokens,
                    int(limited),
                    cost or 0,
                    int(limited and cost is None),
                    created_at,
                ),
            )
        return row_id

    def totals(self, first_day: str, last_day: str) -> UsageTotals:
        """The limited requests of these local days (inclusive), from the daily summaries:
        one row per day however many requests (the quota check runs before every request)."""
        row = self.store.query(
            "SELECT coalesce(sum(total_tokens), 0), coalesce(sum(total_requests), 0), coalesce(sum(total_cost), 0),"
            " coalesce(sum(unpriced_requests), 0) FROM usage_summaries WHERE summary_date BETWEEN ? AND ?",
            (first_day, last_day),
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
            owner = this_process(self.store.path)
            # The lock token rides in the host column, after the host: "host/token".
            host = "/".join(str(owner[k]) for k in ("host", "lock") if k in owner)
            db.execute(
                "INSERT INTO quota_reservations (id, tokens, pid, host, created_at) VALUES (?, ?, ?, ?, ?)",
                (reservation_id, tokens, owner["pid"], host, utc_now()),
            )
        return reservation_id

    def release(self, reservation_id: str) -> None:
        with self.store.write() as db:
            db.execute("DELETE FROM quota_reservations WHERE id = ?", (reservation_id,))

    def drop_stale_reservations(self, older_than_utc: str) -> None:
        """Reservations of processes that ended (see store/owner.py) or that are very old."""
        with self.store.write() as db:
            for row in self.store.query("SELECT id, pid, host, created_at FROM quota_reservations"):
                host, _, lock = row["host"].partition("/")
                owner = {"pid": row["pid"], "host": host} | ({"lock": lock} if lock else {})
                if is_gone(owner, self.store.path) or row["created_at"] < older_than_utc:
                    db.execute("DELETE FROM quota_reservations WHERE id = ?", (row["id"],))
