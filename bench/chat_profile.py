#!/usr/bin/env python3
"""In-process (Textual Pilot, headless 160x48) timings and profiles of the chat pane.

    .venv/bin/python bench/chat_profile.py open   [--profile FILE]   # open the 500-message conversation
    .venv/bin/python bench/chat_profile.py stream [--profile FILE]   # one 4,000-token reply

One measurement per process, so `open` is the first (cold) open of a process, as a
user gets it. No terminal output, so these are lower bounds of the tmux numbers in
bench/run.py; they exist to find where the time goes (cProfile, sorted by cumulative
time, with --profile). The event-loop lag while streaming (how late a 10 ms timer
fires) stands in for keypress latency.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import os
import pstats
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import run


def _profile_out(profiler: cProfile.Profile | None, path: str | None) -> None:
    if profiler is None or path is None:
        return
    profiler.dump_stats(path + ".pstats")  # for pstats' print_callers
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(60)
    Path(path).write_text(out.getvalue())


async def _open(args, info: dict) -> None:
    from promptstudio_tui.app import PromptStudioApp
    from promptstudio_tui.messages import OpenConversation

    app = PromptStudioApp()
    long_id = info["long_conversation_id"]
    async with app.run_test(size=(run.COLS, run.ROWS)) as pilot:
        while not app.screen.query("#conversation-list"):
            await asyncio.sleep(0.02)
        await asyncio.sleep(args.settle)  # start-up work (list page, warm-up thread) done
        newest = app.studio.history(long_id, limit=1)[-1].id
        screen = app.screen
        profiler = cProfile.Profile() if args.profile else None
        c0, t0 = time.process_time(), time.perf_counter()
        if profiler:
            profiler.enable()
        screen.post_message(OpenConversation(long_id))
        while not run._mounted(screen, newest):
            await asyncio.sleep(0.002)
        await pilot.pause()
        t1, c1 = time.perf_counter(), time.process_time()
        await pilot.pause(0.5)
        await pilot.wait_for_scheduled_animations()
        t2 = time.perf_counter()
        if profiler:
            profiler.disable()
        _profile_out(profiler, args.profile)
        print(
            f"open: newest mounted and refreshed {1000 * (t1 - t0):.0f} ms (CPU {1000 * (c1 - c0):.0f} ms); settled {1000 * (t2 - t0 - 0.5):.0f} ms"
        )


async def _stream(args, loopback) -> None:
    from promptstudio_tui.app import PromptStudioApp
    from promptstudio_tui.screens.main import StudioScreen

    app = PromptStudioApp()
    async with app.run_test(size=(run.COLS, run.ROWS)) as pilot:
        screen = app.screen
        assert isinstance(screen, StudioScreen)
        await asyncio.sleep(args.settle)
        lags: list[float] = []
        streaming = True

        async def probe() -> None:
            while streaming:
                t = time.perf_counter()
                await asyncio.sleep(0.01)
                lags.append(time.perf_counter() - t - 0.01)

        profiler = cProfile.Profile() if args.profile else None
        screen.composer.set_text("Write release notes for the bench")
        c0 = time.process_time()
        if profiler:
            profiler.enable()
        screen.composer.input.action_send()
        while screen.session.flight() is None:
            await asyncio.sleep(0.005)
        task = asyncio.create_task(probe())
        while screen.session.flight() is not None:
            await asyncio.sleep(0.002)
        await pilot.pause()
        t_done = time.monotonic()
        streaming = False
        await task
        if profiler:
            profiler.disable()
        cpu = time.process_time() - c0
        _profile_out(profiler, args.profile)
        stream = loopback.times()[-1]
        lags.sort()
        print(
            f"stream: {stream['chunks']} chunks over {stream['last'] - stream['first']:.2f} s; CPU {cpu:.2f} s; "
            f"last chunk -> settled {1000 * (t_done - stream['last']):.0f} ms; "
            f"loop lag median {1000 * lags[len(lags) // 2]:.0f} ms, p90 {1000 * lags[int(len(lags) * 0.9)]:.0f} ms, max {1000 * lags[-1]:.0f} ms"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("what", choices=["open", "stream"])
    parser.add_argument("--profile", help="write cProfile stats (cumulative) here")
    parser.add_argument("--settle", type=float, default=2.0, help="seconds to let start-up finish first")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="ps-chatprof-"))
    loopback = run.Loopback()
    try:
        seeded, info = run.ensure_seeded(10_000, print)
        home = run.make_home(work / "home", seeded if args.what == "open" else None)
        os.environ.update(PROMPTSTUDIO_HOME=str(home), OPENAI_BASE_URL=loopback.base_url, OPENAI_API_KEY=run.BENCH_KEY)
        if args.what == "open":
            asyncio.run(_open(args, info))
        else:
            from loopback import Scenario

            loopback.script(Scenario(reply=run.stream_reply(), chunk_size=8, delay=0.003), reset=True)
            asyncio.run(_stream(args, loopback))
    finally:
        loopback.close()
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
