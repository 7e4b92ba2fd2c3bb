#!/usr/bin/env python3
"""Seed a Prompt Studio store realistically and fast, for benchmarks.

    .venv/bin/python bench/seed.py DIR [--conversations 10000] [--seed 7]

Creates DIR/promptstudio.db through the real `open_store` (so the schema, the
migrations and the FTS5 triggers are the shipped ones) and bulk-inserts with
`executemany` inside one transaction per table; the FTS triggers still fire for
every row. Content is deterministic for a given seed:

- N conversations (default 10,000) over the past year, ~20 messages each, markdown
  with headings, lists and fenced code blocks over a Zipf-distributed vocabulary
  of ~6,000 words (a few hundred real topic words, the rest synthetic);
- one extra conversation of 500 messages / ~300k characters, the most recent one,
  whose first and last messages carry the markers OLDEST_MARKER / NEWEST_MARKER;
- 5,000 prompts (scaled with N: N/2), a usage row per reply, per generated prompt
  and per saved prompt, and the matching daily summaries.

Writes DIR/bench.json with what the benchmark needs (long conversation id, counts).
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import random
import sys
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from promptstudio_tui.catalog import CATEGORIES  # noqa: E402
from promptstudio_tui.store import open_store  # noqa: E402

OLDEST_MARKER = "BENCHOLDESTMARKER"
NEWEST_MARKER = "BENCHNEWESTMARKER"
LONG_TITLE = "Bench: long conversation (500 messages)"
MODELS = ("gpt-4o-mini", "gpt-4o", "gpt-4.1-mini", "llama3.1")

# Real words people search for; they get high Zipf ranks so queries hit realistically.
TOPIC_WORDS = [
    "python",
    "javascript",
    "typescript",
    "rust",
    "golang",
    "java",
    "kotlin",
    "swift",
    "sql",
    "postgres",
    "sqlite",
    "mysql",
    "redis",
    "docker",
    "kubernetes",
    "compose",
    "helm",
    "terraform",
    "ansible",
    "nginx",
    "linux",
    "bash",
    "shell",
    "regex",
    "json",
    "yaml",
    "api",
    "rest",
    "graphql",
    "endpoint",
    "webhook",
    "oauth",
    "token",
    "auth",
    "login",
    "password",
    "session",
    "cookie",
    "cache",
    "database",
    "index",
    "query",
    "migration",
    "schema",
    "table",
    "column",
    "join",
    "transaction",
    "backup",
    "restore",
    "react",
    "vue",
    "svelte",
    "css",
    "html",
    "layout",
    "component",
    "state",
    "hook",
    "router",
    "server",
    "client",
    "async",
    "await",
    "thread",
    "process",
    "queue",
    "worker",
    "cron",
    "schedule",
    "deploy",
    "release",
    "notes",
    "changelog",
    "version",
    "semver",
    "test",
    "tests",
    "pytest",
    "unit",
    "integration",
    "coverage",
    "mock",
    "fixture",
    "benchmark",
    "performance",
    "latency",
    "memory",
    "profile",
    "optimize",
    "refactor",
    "bug",
    "error",
    "exception",
    "stack",
    "trace",
    "logging",
    "monitoring",
    "email",
    "newsletter",
    "marketing",
    "campaign",
    "audience",
    "customer",
    "support",
    "ticket",
    "onboarding",
    "pricing",
    "landing",
    "page",
    "headline",
    "copy",
    "slogan",
    "brand",
    "tone",
    "voice",
    "persona",
    "story",
    "blog",
    "article",
    "essay",
    "summary",
    "outline",
    "structure",
    "draft",
    "edit",
    "proofread",
    "grammar",
    "translate",
    "spanish",
    "french",
    "german",
    "research",
    "paper",
    "abstract",
    "citation",
    "literature",
    "review",
    "hypothesis",
    "experiment",
    "dataset",
    "survey",
    "analysis",
    "statistics",
    "regression",
    "chart",
    "dashboard",
    "report",
    "metrics",
    "revenue",
    "forecast",
    "budget",
    "sales",
    "pitch",
    "proposal",
    "contract",
    "meeting",
    "agenda",
    "interview",
    "resume",
    "cover",
    "letter",
    "feedback",
    "lesson",
    "plan",
    "quiz",
    "students",
    "curriculum",
    "exercise",
    "homework",
    "tutorial",
    "explain",
    "beginner",
    "advanced",
    "poem",
    "lyrics",
    "character",
    "plot",
    "dialogue",
    "scene",
    "fantasy",
    "mystery",
    "novel",
    "screenplay",
    "worldbuilding",
    "prompt",
    "model",
    "context",
    "instructions",
    "examples",
    "constraints",
    "format",
    "output",
    "input",
    "role",
    "system",
    "llm",
    "gpt",
    "assistant",
    "chatbot",
    "agent",
    "tool",
    "function",
    "schema",
    "validation",
    "retry",
    "timeout",
    "stream",
]

SYLLABLES = [
    "ba",
    "be",
    "bi",
    "bo",
    "bu",
    "ca",
    "ce",
    "ci",
    "co",
    "cu",
    "da",
    "de",
    "di",
    "do",
    "du",
    "fa",
    "fe",
    "fi",
    "fo",
    "ga",
    "ge",
    "gi",
    "go",
    "ka",
    "ke",
    "ki",
    "ko",
    "la",
    "le",
    "li",
    "lo",
    "lu",
    "ma",
    "me",
    "mi",
    "mo",
    "mu",
    "na",
    "ne",
    "ni",
    "no",
    "nu",
    "pa",
    "pe",
    "pi",
    "po",
    "pu",
    "ra",
    "re",
    "ri",
    "ro",
    "ru",
    "sa",
    "se",
    "si",
    "so",
    "su",
    "ta",
    "te",
    "ti",
    "to",
    "tu",
    "va",
    "ve",
    "vi",
    "vo",
    "za",
    "ze",
    "zi",
    "zo",
    "ar",
    "er",
    "ir",
    "or",
    "ur",
    "an",
    "en",
    "in",
    "on",
    "un",
    "al",
    "el",
    "il",
    "ol",
    "ul",
    "as",
    "es",
    "is",
    "os",
    "us",
    "ex",
    "ix",
    "ox",
    "st",
    "tr",
    "pr",
    "gr",
    "ch",
    "sh",
    "th",
]
STOP = [
    "the",
    "a",
    "of",
    "to",
    "and",
    "in",
    "is",
    "it",
    "that",
    "for",
    "on",
    "with",
    "as",
    "this",
    "be",
    "are",
    "you",
    "can",
    "your",
    "we",
    "an",
    "or",
    "by",
    "at",
    "from",
]


class Text:
    """Deterministic markdown generator over a Zipf vocabulary."""

    def __init__(self, rng: random.Random, size: int = 6000):
        self.rng = rng
        words: list[str] = []
        seen = set(TOPIC_WORDS) | set(STOP)
        while len(words) < size - len(TOPIC_WORDS):
            w = "".join(rng.choice(SYLLABLES) for _ in range(rng.choice((2, 2, 3, 3, 4))))
            if w not in seen:
                seen.add(w)
                words.append(w)
        # Interleave topic words into the upper ranks so they are common but not stop-words.
        vocab = list(STOP)
        topics = list(TOPIC_WORDS)
        rng.shuffle(topics)
        synth = iter(words)
        for i, t in enumerate(topics):
            vocab.append(t)
            vocab.extend(itertools.islice(synth, 1 + i // 20))
        vocab.extend(synth)
        self.vocab = vocab
        self.cum = list(itertools.accumulate(1.0 / (r + 2) ** 1.05 for r in range(len(vocab))))
        self.topics = topics

    def words(self, n: int) -> list[str]:
        return self.rng.choices(self.vocab, cum_weights=self.cum, k=n)

    def _sentence(self) -> str:
        w = self.words(self.rng.randint(6, 18))
        w[0] = w[0].capitalize()
        if self.rng.random() < 0.15:
            w[self.rng.randrange(len(w))] = f"`{self.rng.choice(self.topics)}`"
        elif self.rng.random() < 0.1:
            w[self.rng.randrange(len(w))] = f"**{w[-1]}**"
        return " ".join(w) + self.rng.choice(".....?!")

    def _code(self) -> str:
        rng = self.rng
        lang = rng.choice(("python", "sql", "bash", "javascript", "json", "yaml"))
        lines = []
        for _ in range(rng.randint(3, 14)):
            a, b, c = self.words(3)
            lines.append(
                rng.choice(
                    (
                        f"def {a}_{b}({c}):",
                        f"    return {a}.{b}({c}, timeout=30)",
                        f"SELECT {a}, {b} FROM {c} WHERE id = ?;",
                        f"{a}_{b} = {rng.randint(0, 999)}  # {c}",
                        f"if {a} is not None:",
                        f"docker run --rm {a}/{b}:{rng.randint(1, 9)}",
                        f'"{a}": "{b} {c}",',
                        f"const {a} = await {b}.{c}();",
                    )
                )
            )
        return f"```{lang}\n" + "\n".join(lines) + "\n```"

    def pools(self, sentences: int = 60_000, codes: int = 6_000) -> None:
        """Pre-generate sentences and code blocks; messages are drawn from these pools
        (generating every word afresh would dominate the seeding time)."""
        self._sentences = [self._sentence() for _ in range(sentences)]
        self._codes = [self._code() for _ in range(codes)]

    def sentence(self) -> str:
        return self._sentences[int(self.rng.random() * len(self._sentences))]

    def paragraph(self) -> str:
        return " ".join(self.rng.choices(self._sentences, k=self.rng.randint(1, 4)))

    def code(self) -> str:
        return self._codes[int(self.rng.random() * len(self._codes))]

    def user_message(self) -> str:
        parts = [self.paragraph()]
        if self.rng.random() < 0.3:
            parts.append(self.paragraph())
        if self.rng.random() < 0.1:
            parts.append(self.code())
        return "\n\n".join(parts)

    def assistant_message(self, target_chars: int = 0) -> str:
        rng = self.rng
        parts: list[str] = []
        if rng.random() < 0.3:
            parts.append("## " + " ".join(self.words(rng.randint(2, 5))).capitalize())
        parts.append(self.paragraph())
        blocks = rng.randint(1, 4)
        for _ in range(blocks):
            kind = rng.random()
            if kind < 0.35:
                parts.append(self.code())
            elif kind < 0.6:
                parts.append("\n".join(f"- {self.sentence()}" for _ in range(rng.randint(2, 6))))
            else:
                parts.append(self.paragraph())
        text = "\n\n".join(parts)
        while target_chars and len(text) < target_chars:
            text += "\n\n" + (self.code() if rng.random() < 0.3 else self.paragraph())
        return text

    def title(self) -> str:
        w = [self.rng.choice(self.topics), *self.words(self.rng.randint(1, 4))]
        return " ".join(w).capitalize()[:60]


def uuid7(ms: int, rng: random.Random) -> str:
    """A UUIDv7 with the given millisecond timestamp (ids sort like created_at, as in ids.new_id)."""
    value = (ms & ((1 << 48) - 1)) << 80 | 0x7 << 76 | rng.getrandbits(12) << 64 | 0b10 << 62 | rng.getrandbits(62)
    return str(uuid.UUID(int=value))


def iso(dt: datetime) -> str:
    return dt.isoformat(timespec="microseconds")


def seed(
    home: Path,
    conversations: int = 10_000,
    messages_per: int = 20,
    prompts: int | None = None,
    long_messages: int = 500,
    long_chars: int = 300_000,
    rng_seed: int = 7,
    quiet: bool = False,
) -> dict:
    started = time.perf_counter()
    home.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(home, 0o700)
    db_path = home / "promptstudio.db"
    for suffix in ("", "-wal", "-shm"):
        Path(str(db_path) + suffix).unlink(missing_ok=True)
    store = open_store(db_path)
    conn = store.db.conn
    conn.execute("PRAGMA synchronous = OFF")
    conn.execute("PRAGMA cache_size = -200000")  # 200 MB page cache while seeding only
    rng = random.Random(rng_seed)
    text = Text(rng)
    text.pools()
    if prompts is None:
        prompts = max(1, conversations // 2)

    now = datetime.now(timezone.utc).replace(microsecond=0)
    year_ago = now - timedelta(days=365)
    span = (now - year_ago).total_seconds() - 86400

    conv_rows, msg_rows, usage_rows = [], [], []
    conv_ids = []
    conv_times = []

    def add_conversation(title, category, start, n_msgs, status="active", starred=0, long_target=0, markers=False):
        cid = uuid7(int(start.timestamp() * 1000), rng)
        t = start
        last_preview = ""
        parent = None  # one branch: each message follows the one before, the newest is the head
        for i in range(n_msgs):
            t = t + timedelta(seconds=rng.randint(20, 600), microseconds=rng.randint(0, 999_999))
            role = "user" if i % 2 == 0 else "assistant"
            content = text.user_message() if role == "user" else text.assistant_message(long_target)
            if markers and i == 0:
                content = f"{OLDEST_MARKER} {content}"
            if markers and i == n_msgs - 1:  # at the end: the list's preview shows the start
                content = f"{content}\n\nLast words: {NEWEST_MARKER}"
            mid = uuid7(int(t.timestamp() * 1000), rng)
            ts = iso(t)
            model = rng.choice(MODELS) if role == "assistant" else None
            pt = ct = 0
            cost = None
            if role == "assistant":
                pt, ct = rng.randint(200, 6000), max(1, len(content) // 4)
                cost = None if model == "llama3.1" else (pt * 15 + ct * 60) // 100
                usage_rows.append(
                    (uuid7(int(t.timestamp() * 1000), rng), "conversation", pt, ct, cost, model, cid, None, ts)
                )
            msg_rows.append((mid, cid, role, content, "complete", None, model, pt, ct, cost, 0, "{}", ts, ts, parent))
            parent = mid
            last_preview = content
        tags = json.dumps(rng.sample(text.topics, rng.randint(0, 3)))
        preview = " ".join(last_preview.split())[:120]
        conv_rows.append(
            (
                cid,
                title,
                category,
                status,
                starred,
                tags,
                "{}",
                preview,
                rng.choice((0,) * 9 + (1,)),
                iso(start),
                iso(t),
                iso(t),
                parent,
            )
        )
        conv_ids.append(cid)
        conv_times.append(t)
        return cid

    # Messages land in the FTS index through the real triggers, table by table.
    insert_conv = (
        "INSERT INTO conversations (id, title, category, status, is_starred, tags, metadata, preview,"
        " unread_count, created_at, updated_at, last_message_at, head_id) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)"
    )
    insert_msg = (
        "INSERT INTO messages (id, conversation_id, role, content, state, error, model, prompt_tokens,"
        " completion_tokens, cost, is_starred, metadata, created_at, updated_at, parent_id)"
        " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
    )
    insert_usage = (
        "INSERT INTO usage_tracking (id, request_type, prompt_tokens, completion_tokens, cost, model,"
        " conversation_id, prompt_id, created_at) VALUES (?,?,?,?,?,?,?,?,?)"
    )

    def flush():
        conn.executemany(insert_conv, conv_rows)
        conn.executemany(insert_msg, msg_rows)
        conv_rows.clear()
        msg_rows.clear()

    gen_time = 0.0
    t0 = time.perf_counter()
    conn.execute("BEGIN")
    starts = sorted(year_ago + timedelta(seconds=rng.random() * span) for _ in range(conversations))
    for n, start in enumerate(starts):
        g = time.perf_counter()
        status = rng.choices(("active", "archived", "deleted"), (90, 8, 2))[0]
        n_msgs = max(2, min(60, round(rng.gauss(messages_per, 6) / 2) * 2))
        add_conversation(text.title(), rng.choice(CATEGORIES), start, n_msgs, status, int(rng.random() < 0.06))
        gen_time += time.perf_counter() - g
        if len(msg_rows) >= 20_000:
            flush()
        if not quiet and n and n % 10_000 == 0:
            print(f"  {n:,} conversations ({time.perf_counter() - t0:.1f} s)", file=sys.stderr, flush=True)
    # The long conversation: 500 messages, ~300k characters, most recent activity.
    g = time.perf_counter()
    long_start = now - timedelta(seconds=long_messages * 600 + 3600)
    per_reply = max(0, (long_chars * 2 // max(1, long_messages)) - 250)
    long_id = add_conversation(
        LONG_TITLE, "Code Generation", long_start, long_messages, long_target=per_reply, markers=True
    )
    gen_time += time.perf_counter() - g
    flush()
    long_chars_actual = conn.execute(
        "SELECT sum(length(content)) FROM messages WHERE conversation_id = ?", (long_id,)
    ).fetchone()[0]
    # The long conversation must be the most recent one (top of the list).
    conn.execute(
        "UPDATE conversations SET last_message_at = ?, updated_at = ? WHERE id = ?", (iso(now), iso(now), long_id)
    )
    conn.execute("COMMIT")
    t_conv = time.perf_counter() - t0

    # Prompts: generated from random conversations, some saved (edited) later.
    t1 = time.perf_counter()
    prompt_rows = []
    save_rows = []
    for _ in range(prompts):
        k = rng.randrange(len(conv_ids))
        cid, t = conv_ids[k], conv_times[k] + timedelta(seconds=rng.randint(5, 3600))
        t = min(t, now)
        pid = uuid7(int(t.timestamp() * 1000), rng)
        content = "# Role\n\n" + text.paragraph() + "\n\n## Task\n\n" + text.assistant_message(1200)
        model = rng.choice(MODELS)
        ts = iso(t)
        cost = None if model == "llama3.1" else rng.randint(100, 9000)
        tags = json.dumps(rng.sample(text.topics, rng.randint(0, 3)))
        prompt_rows.append(
            (
                pid,
                cid,
                text.title(),
                content,
                rng.choice(CATEGORIES),
                tags,
                int(rng.random() < 0.1),
                model,
                len(content) // 4,
                cost,
                "{}",
                ts,
                ts,
            )
        )
        usage_rows.append(
            (
                uuid7(int(t.timestamp() * 1000), rng),
                "prompt_optimization",
                rng.randint(500, 8000),
                len(content) // 4,
                cost,
                model,
                cid,
                pid,
                ts,
            )
        )
        if rng.random() < 0.3:
            save_rows.append(
                (
                    uuid7(int(t.timestamp() * 1000) + 1, rng),
                    "prompt_save",
                    0,
                    0,
                    None,
                    None,
                    cid,
                    pid,
                    iso(t + timedelta(milliseconds=1)),
                )
            )
    usage_rows.extend(save_rows)
    conn.execute("BEGIN")
    conn.executemany(
        "INSERT INTO prompts (id, conversation_id, title, content, category, tags, is_favorite, model,"
        " tokens_used, cost, metadata, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
        prompt_rows,
    )
    conn.execute("COMMIT")
    t_prompts = time.perf_counter() - t1

    # Usage rows and the daily summaries derived from them (local days, as usage.record does).
    t2 = time.perf_counter()
    usage_rows.sort(key=lambda r: r[0])
    tz = datetime.now().astimezone().tzinfo
    days: dict[str, list[int]] = {}
    limited = {"conversation", "prompt_optimization"}
    for row in usage_rows:
        day = datetime.fromisoformat(row[8]).astimezone(tz).date().isoformat()
        d = days.setdefault(day, [0, 0, 0, 0, 0, 0, 0])
        d[0] += row[2] + row[3]
        d[1] += row[1] in limited
        d[2] += row[4] or 0
        d[3 + ("conversation", "prompt_optimization", "prompt_save").index(row[1])] += 1
        d[6] += row[1] in limited and row[4] is None  # requests at an unknown price
    conn.execute("BEGIN")
    conn.executemany(insert_usage, usage_rows)
    conn.executemany(
        "INSERT INTO usage_summaries (summary_date, total_tokens, total_requests, total_cost, conversation_requests,"
        " prompt_optimization_requests, prompt_save_requests, unpriced_requests, updated_at)"
        " VALUES (?,?,?,?,?,?,?,?,?)",
        [(day, *v, iso(now)) for day, v in sorted(days.items())],
    )
    conn.execute("COMMIT")
    t_usage = time.perf_counter() - t2

    t3 = time.perf_counter()
    conn.execute("PRAGMA optimize")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    t_finish = time.perf_counter() - t3
    counts = {
        table: conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
        for table in ("conversations", "messages", "prompts", "usage_tracking", "usage_summaries")
    }
    store.close()
    os.chmod(db_path, 0o600)
    info = {
        "conversations_requested": conversations,
        "counts": counts,
        "long_conversation_id": long_id,
        "long_conversation_messages": long_messages,
        "long_conversation_chars": long_chars_actual,
        "oldest_marker": OLDEST_MARKER,
        "newest_marker": NEWEST_MARKER,
        "db_bytes": db_path.stat().st_size,
        "seconds": {
            "conversations_and_messages": round(t_conv, 2),
            "of_which_text_generation": round(gen_time, 2),
            "prompts": round(t_prompts, 2),
            "usage": round(t_usage, 2),
            "optimize_checkpoint": round(t_finish, 2),
            "total": round(time.perf_counter() - started, 2),
        },
        "seed": rng_seed,
    }
    (home / "bench.json").write_text(json.dumps(info, indent=2))
    return info


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "home", type=Path, help="directory to seed (used as PROMPTSTUDIO_HOME); its database is replaced"
    )
    parser.add_argument("--conversations", type=int, default=10_000)
    parser.add_argument("--messages-per", type=int, default=20, help="average messages per conversation")
    parser.add_argument("--prompts", type=int, default=None, help="default: conversations / 2 (5,000 at 10k)")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    info = seed(args.home, args.conversations, args.messages_per, args.prompts, rng_seed=args.seed)
    c, s = info["counts"], info["seconds"]
    print(
        f"seeded {args.home / 'promptstudio.db'}: {c['conversations']:,} conversations, {c['messages']:,} messages, "
        f"{c['prompts']:,} prompts, {c['usage_tracking']:,} usage rows, {c['usage_summaries']} days; "
        f"{info['db_bytes'] / 1e6:.0f} MB in {s['total']:.1f} s "
        f"(text generation {s['of_which_text_generation']:.1f} s)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
