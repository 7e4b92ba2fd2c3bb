"""Plan quota: limits at and across the edge, month windows, and racing processes."""

from __future__ import annotations

import multiprocessing
from datetime import datetime, timezone
from pathlib import Path

import pytest

from promptstudio_tui.config import PlanLimits
from promptstudio_tui.quota import Quota, QuotaExceeded, month_window
from promptstudio_tui.store import open_store

LIMITS = PlanLimits(tokens_limit=1_000, requests_limit=3)


@pytest.fixture
def quota(tmp_path: Path) -> Quota:
    return Quota(open_store(tmp_path / "q.db"))


def test_requests_limit_is_exact(quota: Quota) -> None:
    for _ in range(3):
        reservation = quota.reserve("free", LIMITS, 10)
        with quota.store.write():
            quota.usage.record("conversation", prompt_tokens=5, completion_tokens=5)
            quota.release(reservation)
    with pytest.raises(QuotaExceeded, match=r"limit of 3 requests.*resets on 1 "):
        quota.reserve("free", LIMITS, 10)


def test_token_limit_counts_the_whole_estimate(quota: Quota) -> None:
    quota.usage.record("conversation", prompt_tokens=600, completion_tokens=100)
    assert quota.status("free", LIMITS).tokens_left == 300
    quota.release(quota.reserve("free", LIMITS, 300))  # exactly at the limit passes
    with pytest.raises(QuotaExceeded, match=r"up to 301 tokens but only 300"):
        quota.reserve("free", LIMITS, 301)


def test_in_flight_reservations_count_until_released(quota: Quota) -> None:
    held = [quota.reserve("free", LIMITS, 100) for _ in range(3)]
    with pytest.raises(QuotaExceeded):
        quota.reserve("free", LIMITS, 1)
    quota.release(held[0])
    quota.release(quota.reserve("free", LIMITS, 1))


def test_prompt_saves_are_tracked_but_not_limited(quota: Quota) -> None:
    for _ in range(10):
        quota.usage.record("prompt_save")
    status = quota.status("free", LIMITS)
    assert status.used.requests == 0 and status.requests_left == 3
    summary = quota.store.query("SELECT prompt_save_requests, total_requests FROM usage_summaries")[0]
    assert tuple(summary) == (10, 0)


def test_summaries_add_up_and_money_is_exact(quota: Quota) -> None:
    for cost in (1, 2, 3, 100_000):  # micro-dollars; float sums would drift
        quota.usage.record("conversation", prompt_tokens=1, completion_tokens=2, cost=cost, model="gpt-4o")
    quota.usage.record("prompt_optimization", prompt_tokens=10, completion_tokens=20, cost=None, model="local")
    row = quota.store.query("SELECT total_tokens, total_requests, total_cost, conversation_requests FROM usage_summaries")[0]
    assert tuple(row) == (42, 5, 100_006, 4)
    totals = quota.status("free", PlanLimits(10_000, 50)).used
    assert (totals.tokens, totals.requests, totals.cost, totals.unpriced_requests) == (42, 5, 100_006, 1)


def test_month_window_rolls_over_in_local_time() -> None:
    november = month_window(datetime(2026, 11, 30, 23, 59).astimezone())
    december = month_window(datetime(2026, 12, 1, 0, 0).astimezone())
    assert (november.month, november.first_day, november.last_day) == ("2026-11", "2026-11-01", "2026-11-30")
    assert november.resets_on == "1 December 2026"
    assert november.end_utc == december.start_utc
    assert month_window(datetime(2026, 12, 31, 12).astimezone()).resets_on == "1 January 2027"
    assert month_window(datetime(2028, 2, 10).astimezone()).last_day == "2028-02-29"


def test_usage_from_last_month_does_not_count(quota: Quota) -> None:
    last_month = month_window(datetime(2026, 10, 15).astimezone())
    quota.usage.record("conversation", prompt_tokens=900, completion_tokens=100)
    with quota.store.write() as db:
        db.execute("UPDATE usage_tracking SET created_at = ?", (last_month.start_utc,))
    assert quota.status("free", LIMITS, datetime(2026, 11, 2).astimezone()).used.tokens == 0
    assert quota.status("free", LIMITS, datetime(2026, 10, 20).astimezone()).used.tokens == 1000


def test_reservations_of_dead_processes_are_dropped(quota: Quota) -> None:
    for _ in range(3):
        quota.reserve("free", LIMITS, 10)
    with quota.store.write() as db:
        db.execute("UPDATE quota_reservations SET pid = 999999999")
    quota.release(quota.reserve("free", LIMITS, 10))
    old = datetime(2020, 1, 1, tzinfo=timezone.utc).isoformat()
    quota.reserve("free", LIMITS, 10)
    with quota.store.write() as db:
        db.execute("UPDATE quota_reservations SET host = 'elsewhere', created_at = ?", (old,))
    assert quota.status("free", LIMITS).reserved_requests == 1
    quota.release(quota.reserve("free", LIMITS, 10))
    assert quota.status("free", LIMITS).reserved_requests == 0


def _race(path: str, start, results) -> None:
    quota = Quota(open_store(Path(path)))
    start.wait()
    try:
        reservation = quota.reserve("free", PlanLimits(1_000_000, 5), 10)
    except QuotaExceeded:
        results.put("refused")
        return
    with quota.store.write():
        quota.usage.record("conversation", prompt_tokens=4, completion_tokens=6)
        quota.release(reservation)
    results.put("ok")


def test_processes_racing_for_the_last_requests(tmp_path: Path) -> None:
    path = tmp_path / "race.db"
    quota = Quota(open_store(path))
    quota.usage.record("conversation", prompt_tokens=1, completion_tokens=1)
    quota.usage.record("conversation", prompt_tokens=1, completion_tokens=1)  # 3 of 5 left
    ctx = multiprocessing.get_context("spawn")
    start, results = ctx.Barrier(12), ctx.Queue()
    procs = [ctx.Process(target=_race, args=(str(path), start, results)) for _ in range(12)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    outcomes = sorted(results.get(timeout=5) for _ in procs)
    assert outcomes.count("ok") == 3 and outcomes.count("refused") == 9
    assert quota.status("free", PlanLimits(1_000_000, 5)).used.requests == 5
