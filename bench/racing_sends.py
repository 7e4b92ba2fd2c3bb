"""Many `promptstudio send` processes racing on one store: lock errors and lost messages.

    python bench/racing_sends.py                 # 50 sends, 6 rounds, each on a fresh store
    python bench/racing_sends.py --sends 24 --rounds 6

Prints per round: failed processes, lock errors, messages stored, wall time. The suite
keeps a smaller but still contended race (tests/test_concurrency.py); this is the full one.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from loopback import run_server
from racing import race_sends


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sends", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=6)
    args = parser.parse_args()
    print(f"{'round':>5} {'failed':>6} {'lock errors':>11} {'stored':>9} {'seconds':>7}")
    with run_server() as server:
        for round_ in range(1, args.rounds + 1):
            with tempfile.TemporaryDirectory() as tmp:
                texts = [f"racing message {i}" for i in range(args.sends)]
                start = time.monotonic()
                race = race_sends(Path(tmp) / "home", server.base_url, texts)
                seconds = time.monotonic() - start
            failed = sum(1 for code in race.codes if code)
            print(
                f"{round_:>5} {failed:>6} {race.lock_errors:>11} {len(race.stored):>4}/{args.sends:<4} {seconds:>7.1f}"
            )
            for error in race.errors[:1]:
                print("      first error:", error.strip().splitlines()[-1])


if __name__ == "__main__":
    main()
