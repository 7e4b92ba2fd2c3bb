#!/usr/bin/env python3
"""A 20-case prompt test: the studio's time per case above the endpoint's own (target ≤ 5 ms).

    .venv/bin/python bench/test_run.py [--cases 20] [--reps 7] [--reply-chars 400]

The loopback endpoint (tests/loopback.py, in-process, real HTTP and SSE) answers every
case the same reply. "The endpoint's own time" is a bare openai SDK streaming call with
the same filled prompt to the same server, read to its end: median of `reps` × `cases`
calls. The studio's time is `Studio.test` over all cases (fill, reserve quota, stream,
count tokens, price, store the run and its usage, two pure checks, store the verdict),
median of `reps` runs, divided by the number of cases. No judge: a judge is a second
request, measured by the same number. SQLite is a real file (WAL) in a temporary home.
Numbers only: no assertion.
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

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "tests"))

from loopback import Scenario, run_server  # noqa: E402

KEY = "sk-bench-0123456789abcdef"
PROMPT = "Sort this support ticket into one queue (billing, bugs, accounts) and say why: {{ticket}}"


async def raw_calls(base_url: str, texts: list[str]) -> list[float]:
    """Seconds per bare SDK streaming call, read to the end."""
    import openai

    client = openai.AsyncOpenAI(base_url=base_url, api_key=KEY, max_retries=0)
    times = []
    try:
        for text in texts:
            started = time.perf_counter()
            stream = await client.chat.completions.create(
                model="gpt-4o-mini",
                messages=[{"role": "user", "content": text}],
                stream=True,
                stream_options={"include_usage": True},
            )
            async with stream:
                async for _ in stream:
                    pass
            times.append(time.perf_counter() - started)
    finally:
        await client.close()
    return times


async def studio_runs(studio, prompt_id: str, reps: int) -> list[float]:
    from promptstudio_tui.events import TestDone

    times = []
    for _ in range(reps):
        started = time.perf_counter()
        async for event in studio.test(prompt_id):
            if isinstance(event, TestDone):
                assert event.summary.passed == event.summary.total, event.summary
        times.append(time.perf_counter() - started)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=20)
    parser.add_argument("--reps", type=int, default=7)
    parser.add_argument("--reply-chars", type=int, default=400)
    args = parser.parse_args()

    reply = ("The ticket goes to billing because it asks for money back. " * 20)[: args.reply_chars]
    with tempfile.TemporaryDirectory() as home, run_server(default=Scenario(reply=reply)) as server:
        os.environ.update(PROMPTSTUDIO_HOME=home, OPENAI_API_KEY=KEY)
        from promptstudio_tui.studio import Studio
        from promptstudio_tui.workshop.evaluators import RegexCheck, StringCheck

        studio = Studio.open({"base_url": server.base_url, "model": "gpt-4o-mini", "plan": "enterprise"})
        prompt_id = studio.import_prompt(PROMPT, title="Bench triage").id
        tickets = [f"Ticket {n}: I was charged twice for order {1000 + n}, please refund." for n in range(args.cases)]
        for ticket in tickets:
            studio.add_case(prompt_id, {"ticket": ticket})
        studio.set_evaluators(prompt_id, [StringCheck("queue", "contains", "billing"), RegexCheck("why", r"because")])
        texts = [PROMPT.replace("{{ticket}}", t) for t in tickets]

        async def measure() -> tuple[list[float], list[float]]:
            await raw_calls(server.base_url, texts[:3])  # warm: imports, connections
            await studio_runs(studio, prompt_id, 1)
            raw, ours = [], []
            for _ in range(args.reps):  # interleaved, so both see the same machine load
                raw += await raw_calls(server.base_url, texts)
                ours += await studio_runs(studio, prompt_id, 1)
            await studio.aclose()
            return raw, ours

        raw, ours = asyncio.run(measure())

    endpoint_ms = statistics.median(raw) * 1000
    per_case_ms = statistics.median(ours) * 1000 / args.cases
    print(f"cases per run:            {args.cases} (reply {len(reply)} chars, {args.reps} runs)")
    print(f"endpoint's own time:      {endpoint_ms:7.2f} ms per request (bare SDK, median)")
    print(f"studio's time:            {per_case_ms:7.2f} ms per case (Studio.test, median run / cases)")
    print(f"overhead above endpoint:  {per_case_ms - endpoint_ms:7.2f} ms per case (target ≤ 5 ms)")


if __name__ == "__main__":
    main()
