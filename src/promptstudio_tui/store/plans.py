"""The plan history: one active row mirroring the configured tier and its limits."""

from __future__ import annotations

from datetime import date

from promptstudio_tui.config import PlanLimits
from promptstudio_tui.store.db import Store


class Plans:
    def __init__(self, store: Store):
        self.store = store

    def sync(self, plan: str, limits: PlanLimits) -> None:
        """Record a change of tier or limits; an unchanged plan writes nothing."""
        rows = self.store.query("SELECT plan_name, tokens_limit, requests_limit FROM user_plans WHERE is_active = 1")
        if rows and tuple(rows[0]) == (plan, limits.tokens_limit, limits.requests_limit):
            return
        with self.store.write() as db:
            db.execute("UPDATE user_plans SET is_active = 0 WHERE is_active = 1")
            db.table("user_plans").insert(
                {
                    "plan_name": plan,
                    "tokens_limit": limits.tokens_limit,
                    "requests_limit": limits.requests_limit,
                    "plan_start_date": date.today().isoformat(),
                    "is_active": 1,
                }
            )
