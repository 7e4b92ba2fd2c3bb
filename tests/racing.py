"""Many `promptstudio send` processes at once on one store, as a shell loop with `&` would start them."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

from clitools import PROMPTSTUDIO, cli_env, query
from conftest import TEST_KEY

LOCK_ERROR = "too long; try again"  # at open ("held it too long") or at a write ("held the database too long")


@dataclass(frozen=True)
class Race:
    codes: list[int]
    errors: list[str]  # each failed process's stderr
    stored: set[str]  # the sent texts found as user messages afterwards

    @property
    def lock_errors(self) -> int:
        return sum(LOCK_ERROR in error for error in self.errors)


def race_sends(home: Path, base_url: str, texts: list[str], *args: str) -> Race:
    """Start one `send` per text, all before any finishes (`args` go before the text)."""
    home.mkdir(parents=True, exist_ok=True)
    config = home / "config.toml"
    if not config.exists():
        config.write_text('plan = "pro"\n')  # the free plan's 50 requests a month would refuse some
    env = cli_env(home, base_url, TEST_KEY)
    procs = [
        subprocess.Popen(
            [PROMPTSTUDIO, "send", *args, text],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for text in texts
    ]
    codes, errors = [], []
    try:
        for proc in procs:
            _, stderr = proc.communicate(timeout=600)
            codes.append(proc.returncode)
            if proc.returncode:
                errors.append(stderr)
    finally:  # none left running when the race is given up
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    rows = query(home / "promptstudio.db", "SELECT content FROM messages WHERE role = 'user'")
    return Race(codes, errors, {content for (content,) in rows} & set(texts))
