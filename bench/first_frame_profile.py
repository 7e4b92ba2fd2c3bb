#!/usr/bin/env python3
"""Where the studio's time goes on the way to its first frame: a pyinstrument profile.

    .venv/bin/python bench/first_frame_profile.py [HOME]

HOME is a PROMPTSTUDIO_HOME to start on (default: a temporary copy of the cached 10k
bench store that `bench/run.py` seeds). Runs the app headless (Pilot, 160×48) until its
first frame, prints the profile. Numbers only: no assertion.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
import tempfile
from pathlib import Path


def bench_store_copy() -> Path:
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "promptstudio-bench"
    stores = sorted(cache.glob("10000-v*/promptstudio.db"))
    if not stores:
        sys.exit("no cached bench store: run `python3 dev.py bench --only first_frame` once")
    home = Path(tempfile.mkdtemp(prefix="promptstudio-profile-"))
    shutil.copy(stores[-1], home / "promptstudio.db")
    return home


def main() -> None:
    home = Path(sys.argv[1]) if len(sys.argv) > 1 else bench_store_copy()
    os.environ["PROMPTSTUDIO_HOME"] = str(home)
    os.environ.setdefault("OPENAI_API_KEY", "sk-profile")
    try:
        from pyinstrument import Profiler
    except ImportError:
        sys.exit("needs pyinstrument: .venv/bin/pip install pyinstrument")

    profiler = Profiler(interval=0.001)
    profiler.start()
    from promptstudio_tui.app import PromptStudioApp

    async def first_frame() -> None:
        async with PromptStudioApp().run_test(size=(160, 48)) as pilot:
            await pilot.pause()

    asyncio.run(first_frame())
    profiler.stop()
    print(profiler.output_text(unicode=True, color=False))


if __name__ == "__main__":
    main()
