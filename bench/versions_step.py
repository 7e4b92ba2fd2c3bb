#!/usr/bin/env python3
"""Stepping between two ~4,000-token versions in the prompt pane, to the frame (target ≤ 50 ms).

    .venv/bin/python bench/versions_step.py [--runs 21]

In-process (Textual Pilot, headless 160×48, so no terminal output: a lower bound): a
prompt with two versions, the pane focused; each run presses `[` or `]` and waits for the
screen's next refresh, timing key → refreshed; then the same for f4 (the word diff and
back). Median and worst of N, beside the floor: the same for a key bound to nothing, which
is what Pilot's own key delivery and frame wait cost. Numbers only: no assertion.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

SENTENCE = (
    "the model must always answer in French and keep each reply under 200 words; cite the source "
    "document by title, summarise {{ticket_text}} for a support lead, list risks, steps, owners."
)


def texts() -> tuple[str, str]:
    lines = [f"{i}. {SENTENCE}" if i % 9 else f"# Section {i}" for i in range(1, 220)]
    old = "\n".join(lines)
    new = "\n".join(line.replace("French", "German") if i % 5 == 0 else line for i, line in enumerate(lines))
    return old, new


async def measure(runs: int) -> dict[str, list[float]]:
    from promptstudio_tui.app import PromptStudioApp
    from promptstudio_tui.screens.main import StudioScreen
    from promptstudio_tui.studio import Studio

    studio = Studio.open()
    old, new = texts()
    prompt = studio.import_prompt(old, title="Bench")
    studio.edit_prompt(prompt.id, new)
    app = PromptStudioApp(studio=studio)
    times: dict[str, list[float]] = {"floor (unbound key)": [], "step [ or ]": [], "f4 diff or text": []}
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        screen = next(s for s in app.screen_stack if isinstance(s, StudioScreen))
        await screen.conversations.open(prompt.conversation_id)
        await pilot.pause()
        screen.query_one("#prompt-scroll").focus()
        for name, keys in (
            ("floor (unbound key)", ("x",)),  # what Pilot itself takes for a key and a frame
            ("step [ or ]", ("left_square_bracket", "right_square_bracket")),
            ("f4 diff or text", ("f4",)),
        ):
            for run in range(runs + 1):
                start = time.perf_counter()
                await pilot.press(keys[run % len(keys)])
                await pilot.wait_for_scheduled_animations()
                await pilot.pause()
                if run:  # the first is a warm-up
                    times[name].append((time.perf_counter() - start) * 1000)
    return times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=21)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as home:
        os.environ["PROMPTSTUDIO_HOME"] = home
        os.environ.setdefault("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")  # never asked: nothing is sent
        results = asyncio.run(measure(args.runs))
    for name, values in results.items():
        print(f"{name:18} median {statistics.median(values):6.1f} ms   worst {max(values):6.1f} ms   target ≤ 50 ms")


if __name__ == "__main__":
    main()
