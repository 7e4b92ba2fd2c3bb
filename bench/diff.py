#!/usr/bin/env python3
"""Word diff of two ~4,000-token prompt versions: median time of N runs (target ≤ 50 ms).

    .venv/bin/python bench/diff.py [--runs 21] [--seed 7]

Three pairs, from easy to worst: a few words changed across a markdown prompt (a
typical refine), every fifth line rewritten (a heavy refine), and one 4,000-token
paragraph with no line breaks and a tenth of its words changed (the word pass has to
do all of the work). The texts are seeded, so runs compare. Numbers only: no assertion.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from promptstudio_tui import tokens
from promptstudio_tui.workshop.diff import word_diff

# A small vocabulary on purpose: every word repeats, the hard case for a matcher.
SENTENCE = (
    "the model must always answer in French and keep each reply under 200 words; cite the source "
    "document by title, summarise {{ticket_text}} for a support lead, list risks, steps, owners, "
    "dates, and never invent facts that are not in the input; when unsure, ask one question"
)
WORDS = SENTENCE.split(" ")


def markdown(rng: random.Random, target_tokens: int) -> list[str]:
    lines: list[str] = []
    while tokens.count("\n".join(lines), "gpt-4o").tokens < target_tokens:
        if rng.random() < 0.1:
            lines.append(f"# {rng.choice(WORDS).title()} {rng.choice(WORDS)}")
        else:
            lines.append("- " + " ".join(rng.choice(WORDS) for _ in range(rng.randint(8, 20))))
    return lines


def reword(rng: random.Random, line: str, share: float) -> str:
    return " ".join(rng.choice(WORDS) if rng.random() < share else w for w in line.split(" "))


def pairs(seed: int) -> dict[str, tuple[str, str]]:
    rng = random.Random(seed)
    lines = markdown(rng, 4_000)
    few = list(lines)
    for index in rng.sample(range(len(few)), 5):
        few[index] = reword(rng, few[index], 0.2)
    heavy = [reword(rng, line, 0.5) if i % 5 == 0 else line for i, line in enumerate(lines)]
    paragraph = " ".join(line.lstrip("-# ") for line in lines)
    return {
        "few words changed": ("\n".join(lines), "\n".join(few)),
        "every 5th line rewritten": ("\n".join(lines), "\n".join(heavy)),
        "one paragraph, 10% of words": (paragraph, reword(rng, paragraph, 0.1)),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=21)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    print(f"word diff, median of {args.runs} runs (target ≤ 50 ms)")
    for name, (old, new) in pairs(args.seed).items():
        sizes = f"{tokens.count(old, 'gpt-4o').tokens:,}/{tokens.count(new, 'gpt-4o').tokens:,} tokens"
        times = []
        for _ in range(args.runs):
            start = time.perf_counter()
            diff = word_diff(old, new)
            times.append(time.perf_counter() - start)
        changed = f"+{diff.words_added} -{diff.words_removed} words"
        print(f"  {name:<28} {sizes:<20} {changed:<18} {statistics.median(times) * 1000:7.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
