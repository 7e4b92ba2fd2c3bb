#!/usr/bin/env python3
"""Lint of a ~4,000-token prompt: median time of N runs (target ≤ 20 ms).

    .venv/bin/python bench/lint.py [--runs 51] [--seed 7]

Three prompts of about 4,000 tokens (seeded, so runs compare): a markdown prompt with
sections, variables, a JSON skeleton in a fence, vague words and repeated lines (every
check has work to do); the same text as one paragraph without line breaks; and a text
dense with braces, JSON and template snippets. Each is linted with the built-in
estimate and with the exact count (tiktoken through `tokens.count`, as the service will
inject it; its first call per text is not cached). Numbers only: no assertion.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from promptstudio_tui import tokens
from promptstudio_tui.pricing import DEFAULT_PRICES
from promptstudio_tui.workshop.lint import lint

SENTENCES = [
    "Read the whole ticket, including any quoted logs or error messages.",
    "Identify the affected product and what the customer cannot do.",
    "Decide the urgency from the impact, not from the customer's tone.",
    "Never invent facts that are not in the ticket {{ticket_text}}.",
    "When the ticket does not say enough, choose P3 and name the missing facts.",
    "Write some notes for the on-call lead about various teams, etc.",
    "Use the plan {{plan}} only for the response target.",
    "Quote the customer's own words when you describe the problem.",
]
SKELETON = '```json\n{\n  "reasoning": "…",\n  "product": "…",\n  "urgency": "P1 | P2 | P3"\n}\n```'
SNIPPETS = [
    '{"a": {"b": {"c": 1}}}',
    "{{ customer.name }}",
    "\\{{literal}}",
    "{{ticket-id}}",
    "$\\frac{a}{b}}$",
    "`{{code}}`",
    "{{var_%d}}",
]


def markdown(rng: random.Random, target: int) -> str:
    lines: list[str] = ["You are a support triage assistant. Respond with one JSON object.", ""]
    while tokens.count("\n".join(lines)).tokens < target:
        roll = rng.random()
        if roll < 0.08:
            lines += ["", f"# Section {len(lines)}", ""]
        elif roll < 0.12:
            lines += ["", SKELETON, ""]
        else:
            lines.append(f"{rng.randint(1, 9)}. " + " ".join(rng.sample(SENTENCES, 2)))
    return "\n".join(lines)


def braces(rng: random.Random, target: int) -> str:
    parts: list[str] = ["Return JSON."]
    while tokens.count(" ".join(parts)).tokens < target:
        snippet = rng.choice(SNIPPETS)
        parts.append(snippet % rng.randint(0, 40) if "%d" in snippet else snippet)
        parts.append(rng.choice(SENTENCES))
    return "\n".join(parts)


def timed(runs: int, call: Callable[[], object]) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=51)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    text = markdown(rng, 4_000)
    texts = {
        "markdown prompt": text,
        "one paragraph": " ".join(line for line in text.splitlines() if line.strip()),
        "dense braces": braces(rng, 4_000),
    }
    prices = {
        m: (p.input_per_mtok, p.output_per_mtok)
        for m, p in DEFAULT_PRICES.items()
        if m in ("gpt-4o", "gpt-4o-mini", "gpt-4.1", "o3")
    }
    cases = [{"ticket_text": "Checkout is down", "plan": "Enterprise", "extra": "x"}] * 20
    print(f"lint, median of {args.runs} runs (target ≤ 20 ms)")
    for name, prompt in texts.items():
        exact = tokens.count(prompt).tokens
        options = {"cases": cases, "model": "gpt-4o", "window": 128_000, "prices": prices}
        estimate = timed(args.runs, partial(lint, prompt, **options))
        counted = timed(args.runs, partial(lint, prompt, **options, count_tokens=lambda t: tokens.count(t).tokens))
        report = lint(prompt, **options)
        print(
            f"  {name:<16} {exact:>5,} tokens {len(report.findings):>4} findings"
            f"   estimate {estimate:6.2f} ms   with tiktoken {counted:6.2f} ms"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
