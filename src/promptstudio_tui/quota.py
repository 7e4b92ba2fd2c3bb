"""Plan tiers and the monthly window: atomic check-and-reserve before every request."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from promptstudio_tui.config import PlanLimits
from promptstudio_tui.store.db import Store
from promptstudio_tui.store.records import UsageTotals
from promptstudio_tui.store.usage import Usage

# A reservation older than this belongs to a request that can no longer be
# running (the longest timeout plus retries is far shorter).
STALE_AFTER = timedelta(hours=1)


@dataclass(frozen=True)
class Window:
    """The calendar month in local time: local days (the usage summaries' keys) and UTC bounds (usage rows)."""

    month: str  # "2026-11"
    first_day: str  # local dates, inclusive
    last_day: str
    start_utc: str
    end_utc: str
    resets_on: str  # human date the next window starts, e.g. "1 December 2026"


def month_window(now: datetime | None = None) -> Window:
    local = (now or datetime.now()).astimezone()
    start = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    nxt = (start + timedelta(days=32)).replace(day=1)
    # Re-resolve the offsets: a DST change can fall inside the month.
    start, nxt = (datetime(d.year, d.month, 1).astimezone() for d in (start, nxt))
    last = nxt - timedelta(days=1)
    return Window(
        month=start.strftime("%Y-%m"),
        first_day=start.date().isoformat(),
        last_day=last.date().isoformat(),
        start_utc=start.astimezone(timezone.utc).isoformat(timespec="microseconds"),
        end_utc=nxt.astimezone(timezone.utc).isoformat(timespec="microseconds"),
        resets_on=f"{nxt.day} {nxt.strftime('%B %Y')}",
    )


@dataclass(frozen=True)
class QuotaStatus:
    plan: str
    limits: PlanLimits
    window: Window
    used: UsageTotals
    reserved_tokens: int = 0
    reserved_requests: int = 0

    @property
    def tokens_left(self) -> int:
        return max(0, self.limits.tokens_limit - self.used.tokens - self.reserved_tokens)

    @property
    def requests_left(self) -> int:
        return max(0, self.limits.requests_limit - self.used.requests - self.reserved_requests)


class QuotaExceeded(Exception):
    """Refusal that names the limit and when it resets."""


class Quota:
    def __init__(self, store: Store):
        self.store = store
        self.usage = Usage(store)

    def status(self, plan: str, limits: PlanLimits, now: datetime | None = None) -> QuotaStatus:
        window = month_window(now)
        reserved_tokens, reserved_requests = self.usage.reserved()
        used = self.usage.totals(window.first_day, window.last_day)
        return QuotaStatus(plan, limits, window, used, reserved_tokens, reserved_requests)

    def reserve(self, plan: str, limits: PlanLimits, tokens: int, now: datetime | None = None) -> str:
        """Check the limits and hold `tokens` and one request, atomically across processes.

        The IMMEDIATE transaction serialises every instance of this user: the
        check sees all committed usage and every other in-flight reservation.
        """
        stale = (datetime.now(timezone.utc) - STALE_AFTER).isoformat(timespec="microseconds")
        with self.store.write():
            self.usage.drop_stale_reservations(stale)
            status = self.status(plan, limits, now)
            if status.requests_left < 1:
                raise QuotaExceeded(
                    f"The {plan} plan's limit of {limits.requests_limit:,} requests this month is reached; "
                    f"it resets on {status.window.resets_on}. Change plan with --plan or in Settings (F2)."
                )
            if tokens > status.tokens_left:
                raise QuotaExceeded(
                    f"This request may use up to {tokens:,} tokens but only {status.tokens_left:,} of the {plan} plan's "
                    f"{limits.tokens_limit:,} monthly tokens are left; it resets on {status.window.resets_on}. "
                    f"Change plan with --plan or in Settings (F2)."
                )
            return self.usage.add_reservation(tokens)

    def release(self, reservation_id: str) -> None:
        self.usage.release(reservation_id)
