#!/usr/bin/env python3
"""Reading the newest page of a conversation's branch: `Studio.history(conversation, limit=40)`,
what opening a conversation reads before it draws (target ≤ 50 ms with the rest of the open).

    .venv/bin/python bench/open_history.py [--conversations 1000] [--runs 21]

Seeds a store (bench/seed.py: ~20 messages per conversation plus one of 500 messages and
~300k characters) in a temporary home, then times the read in-process, warm, for the
500-message conversation and for an ordinary one. Median and worst of N; numbers only.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))


def timed(read, runs: int) -> tuple[float, float, int]:
    times, count = [], 0
    for _ in range(runs):
        start = time.perf_counter()
        count = len(read())
        times.append(time.perf_counter() - start)
    return statistics.median(times), max(times), count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--conversations", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=21)
    args = parser.parse_args()

    import seed

    with tempfile.TemporaryDirectory() as home:
        info = seed.seed(Path(home), args.conversations, quiet=True)
        os.environ["PROMPTSTUDIO_HOME"] = home
        from promptstudio_tui.studio import Studio

        studio = Studio.open()
        long_id = info["long_conversation_id"]
        with sqlite3.connect(Path(home) / "promptstudio.db") as db:
            (ordinary,) = db.execute("SELECT id FROM conversations WHERE id <> ? LIMIT 1", (long_id,)).fetchone()
        messages = info["counts"]["messages"]
        for label, conversation in (("500-message conversation", long_id), ("ordinary conversation", ordinary)):
            median, worst, count = timed(lambda c=conversation: studio.history(c, limit=40), args.runs)
            print(
                f"history(limit=40), {label}, store of {messages:,} messages: "
                f"median {median * 1000:.2f} ms, worst {worst * 1000:.2f} ms ({count} messages read)"
            )
        studio.close()


if __name__ == "__main__":
    main()
