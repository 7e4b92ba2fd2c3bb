"""Plan quota: limits at and across the edge, month windows, and racing processes."""

from __future__ import annotations

import multiprocessing
import sqlite3
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import sqlite_utils

from promptstudio_tui.config import PlanLimits
from promptstudio_tui.quota import Quota, QuotaExceeded, month_window
from promptstudio_tui.store import open_store, usage
from promptstudio_tui.store.schema import migrations

LIMITS = PlanLimits(tokens_limit=1_000, requests_limit=3)


@pytest.fixture
def quota(tmp_path: Path) -> Quota:
    return Quota(open_store(tmp_path / "q.db"))


class _Clock:
    instant: datetime | None = None

    def set(self, when: datetime) -> None:
        self.instant = when


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> _Clock:
    """Usage.record's idea of now (the row's time and its summary's local day)."""
    frozen = _Clock()

    class FrozenDatetime(datetime):
        @classmethod
        def now(cls, tz=None):
            return frozen.instant.astimezone(tz) if frozen.instant else datetime.now(tz)

    monkeypatch.setattr(usage, "datetime", FrozenDatetime)
    return frozen


@pytest.fixture
def local_zone(monkeypatch: pytest.MonkeyPatch):
    """Run the test in another local time zone (the process's, as the app sees it)."""

    def use(zone: str) -> None:
        monkeypatch.setenv("TZ", zone)
        time.tzset()

    yield use
    monkeypatch.undo()
    time.tzset()


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
    row = quota.store.query(
        "SELECT total_tokens, total_requests, total_cost, conversation_requests FROM usage_summaries"
    )[0]
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


def test_usage_from_last_month_does_not_count(quota: Quota, clock) -> None:
    clock.set(datetime(2026, 10, 15, 12).astimezone())
    quota.usage.record("conversation", prompt_tokens=900, completion_tokens=100)
    assert quota.status("free", LIMITS, datetime(2026, 11, 2).astimezone()).used.tokens == 0
    assert quota.status("free", LIMITS, datetime(2026, 10, 20).astimezone()).used.tokens == 1000


def _totals_from_rows(quota: Quota, when: datetime) -> tuple[int, int, int, int]:
    """What the month's totals mean: the limited usage rows inside the window's UTC bounds."""
    window = month_window(when)
    row = quota.store.query(
        "SELECT coalesce(sum(prompt_tokens + completion_tokens), 0), count(*), coalesce(sum(cost), 0),"
        " coalesce(sum(cost IS NULL), 0) FROM usage_tracking WHERE created_at >= ? AND created_at < ?"
        " AND request_type IN ('conversation', 'prompt_optimization')",
        (window.start_utc, window.end_utc),
    )[0]
    return tuple(row)


@pytest.mark.parametrize("zone", ["America/New_York", "Asia/Kolkata", "Pacific/Chatham", "UTC"])
def test_month_totals_from_summaries_match_the_usage_rows_across_a_rollover(
    quota: Quota, clock, local_zone, zone
) -> None:
    local_zone(zone)
    # Around local midnight at the end of October 2026 (New York also leaves DST on 1 November).
    october_end, november_end = datetime(2026, 11, 1).astimezone(), datetime(2026, 12, 1).astimezone()
    spends = [
        (october_end - timedelta(hours=30), 11, 1),
        (october_end - timedelta(microseconds=1), 22, None),  # last instant of October: unpriced
        (october_end, 33, 3),  # first instant of November
        (october_end + timedelta(hours=3), 44, None),
        (november_end - timedelta(microseconds=1), 55, 5),  # last instant of November
        (november_end, 66, 6),  # December
    ]
    for when, tokens, cost in spends:
        clock.set(when)
        quota.usage.record("conversation", prompt_tokens=tokens, cost=cost, model="m")
        quota.usage.record("prompt_save")  # tracked, never counted
    clock.set(october_end + timedelta(hours=1))
    quota.usage.record("prompt_optimization", prompt_tokens=7, completion_tokens=3, cost=None)
    expected = {10: (33, 2, 1, 1), 11: (33 + 44 + 55 + 10, 4, 8, 2), 12: (66, 1, 6, 0)}
    for month, totals in expected.items():
        when = datetime(2026, month, 15).astimezone()
        used = quota.status("free", LIMITS, when).used
        assert (used.tokens, used.requests, used.cost, used.unpriced_requests) == totals
        assert _totals_from_rows(quota, when) == totals


def test_prompt_saves_cannot_carry_tokens_or_cost(quota: Quota) -> None:
    for spend in ({"prompt_tokens": 1}, {"completion_tokens": 1}, {"cost": 1}):
        with pytest.raises(ValueError, match="not an LLM request"):
            quota.usage.record("prompt_save", **spend)
    assert quota.store.query("SELECT count(*) FROM usage_tracking")[0][0] == 0


def test_upgrade_counts_unpriced_requests_recorded_before_it(tmp_path: Path, clock) -> None:
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)
    migrations.apply(
        sqlite_utils.Database(conn, execute_plugins=False), stop_before="m003_unpriced_requests_in_summaries"
    )
    day = datetime(2026, 11, 10, 12).astimezone()
    for i, cost in enumerate((None, 5, None)):  # as the previous version recorded them
        conn.execute(
            "INSERT INTO usage_tracking (id, request_type, prompt_tokens, cost, created_at) VALUES (?, 'conversation', 10, ?, ?)",
            (f"u{i}", cost, day.astimezone(timezone.utc).isoformat(timespec="microseconds")),
        )
    conn.execute(
        "INSERT INTO usage_summaries (summary_date, total_tokens, total_requests, total_cost, conversation_requests, updated_at)"
        " VALUES (?, 30, 3, 5, 3, 'x')",
        (day.date().isoformat(),),
    )
    conn.commit()
    conn.close()
    quota = Quota(open_store(path))
    used = quota.status("free", LIMITS, day).used
    assert (used.tokens, used.requests, used.cost, used.unpriced_requests) == (30, 3, 5, 2)
    assert _totals_from_rows(quota, day) == (30, 3, 5, 2)
    clock.set(day)
    quota.usage.record("conversation", prompt_tokens=1, cost=None)
    assert quota.status("free", PlanLimits(10_000, 50), day).used.unpriced_requests == 3


def test_reservations_of_dead_processes_are_dropped(quota: Quota) -> None:
    for _ in range(3):
        quota.reserve("free", LIMITS, 10)
    with quota.store.write() as db:
        # As rows were recorded before the owner's lock token ("host/token"): pid and host only, the pid gone.
        db.execute("UPDATE quota_reservations SET pid = 999999999, host = substr(host, 1, instr(host, '/') - 1)")
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
