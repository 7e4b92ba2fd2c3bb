#!/usr/bin/env python3
"""What loads on the way to the studio's first frame, and what it costs to import.

    .venv/bin/python bench/first_imports.py [--top 20] [--list]

Starts the studio in a child `python -X importtime` (Pilot, headless 160×48, an empty
store in a temporary home, the warm-up held back), stops at the first frame, and prints
the total import time, the product's modules by cumulative time, and with --list every
module imported (to diff two checkouts). Import times move with the machine's load; the
module list does not. Numbers only: no assertion.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
from pathlib import Path

SRC = Path(__file__).resolve().parent.parent / "src"
PRODUCT = "promptstudio_tui"


async def first_frame() -> None:
    from promptstudio_tui.app import PromptStudioApp

    app = PromptStudioApp(pause=lambda quiet, at_most, cancelled: False)  # no warm-up loads
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()


def child() -> None:
    sys.path.insert(0, str(SRC))
    with tempfile.TemporaryDirectory() as home:
        os.environ["PROMPTSTUDIO_HOME"] = home
        os.environ.setdefault("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")  # never asked: nothing is sent
        asyncio.run(first_frame())


def parse(stderr: str) -> list[tuple[str, int, int]]:
    """(module, self µs, cumulative µs) per `-X importtime` line."""
    rows = []
    for line in stderr.splitlines():
        if line.startswith("import time:") and "|" in line and "self [us]" not in line:
            own, total, name = line.removeprefix("import time:").split("|")
            rows.append((name.strip(), int(own), int(total)))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--top", type=int, default=20)
    parser.add_argument("--list", action="store_true", help="print every module imported, sorted")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child()
        return
    done = subprocess.run(
        [sys.executable, "-X", "importtime", __file__, "--child"], capture_output=True, text=True, check=True
    )
    rows = parse(done.stderr)
    if args.list:
        print("\n".join(sorted(name for name, _, _ in rows)))
        return
    product = [row for row in rows if row[0].split(".")[0] == PRODUCT]
    print(f"from {SRC}")
    print(f"all imports:     {len(rows):4} modules, {sum(own for _, own, _ in rows) / 1000:6.1f} ms")
    print(f"{PRODUCT}: {len(product):4} modules, {sum(own for _, own, _ in product) / 1000:6.1f} ms (own code)")
    for name, own, total in sorted(product, key=lambda row: -row[2])[: args.top]:
        print(f"  {total / 1000:6.1f} ms cumulative  {own / 1000:5.1f} own  {name}")


if __name__ == "__main__":
    main()
