#!/usr/bin/env python3
"""Prompt Studio benchmarks: one command, one table (`python3 dev.py bench`).

    python3 dev.py bench [--conversations 10000] [--reps 5] [--only first_frame,search,...]
                         [--json results.json] [--profile DIR]

Sections (see bench/README.md for what each one measures and why it is honest):
  first_frame   tmux 160x48, process start -> conversation list on screen; ratios to a
                minimal Textual app measured in the same run (median of --reps)
  long          open the 500-message conversation: newest messages on screen, then
                scrolled to the oldest one (tmux, real keys)
  streaming     a 4,000-token reply at ~500 tokens/s from the loopback endpoint: last
                chunk sent -> on screen / screen settled; keypress -> screen while streaming
  search        Conversations.page(query=...) over the big store, ten typical queries
  memory        peak RSS (VmHWM) of the TUI with the big store after browsing
  client        per-request time of LLMClient and Studio.send above a raw openai SDK call
                to the same loopback endpoint, same request

Seeded stores are cached in ~/.cache/promptstudio-bench/<N>/ (seeded on first use,
seeding time printed); every run works on a fresh copy. Numbers only: no assertion.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
VENV_PY = ROOT / ".venv" / "bin" / "python"
PROMPTSTUDIO = ROOT / ".venv" / "bin" / "promptstudio"
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(ROOT / "tests"))

SEED_VERSION = 5  # bump when bench/seed.py changes what it writes
COLS, ROWS = 160, 48
CLK_TCK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
PILOT_LOAD_BUDGET = 20.0  # seconds of 'load earlier' paging in the Pilot measure
BENCH_KEY = "sk-bench-0123456789abcdef"

# -- what the TUI shows, for polling the screen (kept in one place) ----------------------
TUI = {
    # Text on screen once the conversation list is drawn.
    "empty_ready": "No conversations yet",  # the empty store's list placeholder
    "big_ready": "Bench: long conversation",  # the newest conversation's title (seed.LONG_TITLE)
    # From the first frame (composer focused): ctrl+f focuses the search box, Enter there
    # moves focus to the list; Enter on the list opens the highlighted conversation.
    "focus_list": ["C-f", "Enter"],
    "open": ["Enter"],
    # From the composer, shift+tab focuses the chat log; Home scrolls it to the top of
    # what is loaded, where the "Load earlier messages" button sits.
    "focus_chat": ["BTab"],
    "to_top": ["Home"],
    "top_text": "Load earlier messages",
    # The chat header's state once a reply has finished.
    "idle_text": "idle",
    "send": ["Enter"],
    "list_down": "Down",
}

TARGETS = {
    "first_empty": 1.5,
    "first_big": 2.0,
    "long_newest_ms": 250,
    "stream_final_ms": 100,
    "key_ms": 50,
    "search_median_ms": 50,
    "rss_mb": 200,
    "client_ms": 5,
}

SEARCH_QUERIES = [
    "python",
    "docker compose",
    "release notes",
    "sql index",
    "regex email",
    "kubernetes deploy",
    "unit tests pytest",
    "customer support ticket",
    "landing page headline",
    "lesson plan",
]
AS_YOU_TYPE = ["p", "py", "pyt", "d", "do", "doc"]


@dataclass
class Row:
    section: str
    measure: str
    value: str
    target: str = ""
    verdict: str = "info"  # ok | MISS | info | n/a | error
    raw: dict = field(default_factory=dict)


def verdict(value: float, limit: float) -> str:
    return "ok" if value <= limit else "MISS"


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms" if seconds >= 0.01 else f"{seconds * 1000:.2f} ms"


# -- environment ---------------------------------------------------------------------


def machine() -> dict[str, str]:
    cpu = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem = ""
    with contextlib.suppress(OSError):
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f"{kb / 1024 / 1024:.0f} GiB"
    tmux = (
        subprocess.run(["tmux", "-V"], capture_output=True, text=True).stdout.strip()
        if shutil.which("tmux")
        else "none"
    )
    import sqlite3

    import textual

    return {
        "cpus": str(os.cpu_count()),
        "cpu": cpu,
        "memory": mem,
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "textual": textual.__version__,
        "os": f"{platform.system()} {platform.release()}",
        "tmux": tmux,
    }


def tui_available() -> str | None:
    """None when the studio TUI can be started, else why not."""
    if not (ROOT / "src" / "promptstudio_tui" / "app.py").exists():
        return "n/a: TUI not available (src/promptstudio_tui/app.py does not exist yet)"
    probe = subprocess.run(
        [str(VENV_PY), "-c", "import promptstudio_tui.app"], capture_output=True, text=True, cwd=ROOT
    )
    if probe.returncode != 0:
        last = (probe.stderr.strip().splitlines() or ["?"])[-1]
        return f"n/a: TUI not available (import promptstudio_tui.app failed: {last})"
    if not shutil.which("tmux"):
        return "n/a: tmux is not installed"
    return None


def cache_root() -> Path:
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "promptstudio-bench"


def ensure_seeded(conversations: int, log) -> tuple[Path, dict]:
    """The cached seeded store for this size (seeding it now if missing or stale)."""
    import seed

    home = cache_root() / f"{conversations}-v{SEED_VERSION}"
    info_file = home / "bench.json"
    if info_file.exists() and (home / "promptstudio.db").exists():
        info = json.loads(info_file.read_text())
        info["cached"] = True
        return home, info
    log(f"seeding {conversations:,} conversations into {home} (once; cached for later runs) ...")
    info = seed.seed(home, conversations)
    c, s = info["counts"], info["seconds"]
    log(
        f"  seeded {c['conversations']:,} conversations, {c['messages']:,} messages, {c['prompts']:,} prompts, "
        f"{c['usage_tracking']:,} usage rows in {s['total']:.1f} s ({info['db_bytes'] / 1e6:.0f} MB)"
    )
    info["cached"] = False
    return home, info


BENCH_CONFIG = """\
# Written by bench/run.py: limits high enough that the seeded year of usage never refuses.
model = "gpt-4o-mini"
plan = "enterprise"
# Room for the streaming section's reply (~5,000 tokens): a reply past twice max_tokens
# comes from a server that ignores the limit, and the studio stops reading it.
max_tokens = 6000

[plans.enterprise]
tokens_limit = 1000000000000
requests_limit = 1000000000
"""


def make_home(path: Path, source: Path | None) -> Path:
    path.mkdir(parents=True, mode=0o700)
    os.chmod(path, 0o700)
    if source is not None:
        shutil.copyfile(source / "promptstudio.db", path / "promptstudio.db")
        os.chmod(path / "promptstudio.db", 0o600)
    (path / "config.toml").write_text(BENCH_CONFIG)
    os.chmod(path / "config.toml", 0o600)
    return path


class Loopback:
    """bench/timed_loopback.py in its own process (so it never shares our GIL)."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            [str(VENV_PY), str(BENCH / "timed_loopback.py"), "--port", "0", "--print-url"],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        self.base_url = self.proc.stdout.readline().strip()
        if not self.base_url.startswith("http"):
            raise RuntimeError("the loopback server did not start")

    def script(self, *scenarios, **settings) -> None:
        from loopback import remote_script

        remote_script(self.base_url, *scenarios, **settings)

    def times(self) -> list[dict]:
        import timed_loopback

        return timed_loopback.times(self.base_url)

    def close(self) -> None:
        self.proc.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(5)


# -- tmux ------------------------------------------------------------------------------


class Term:
    """A private tmux server (own socket) with one 160x48 pane whose program we replace."""

    def __init__(self) -> None:
        self.socket = f"psbench-{os.getpid()}"
        self._tmux(
            "-f", "/dev/null", "new-session", "-d", "-s", "bench", "-x", str(COLS), "-y", str(ROWS), "sleep 100000"
        )
        self._tmux("set-option", "-g", "remain-on-exit", "on")
        self._tmux("set-option", "-g", "status", "off")
        self._tmux("resize-window", "-t", "bench", "-x", str(COLS), "-y", str(ROWS))

    def _tmux(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run(["tmux", "-L", self.socket, *args], capture_output=True, text=True, check=check)

    def start(self, argv: list[str], env: dict[str, str]) -> float:
        """Replace the pane's program; returns the monotonic time just before the spawn."""
        assignments = [f"{k}={v}" for k, v in env.items()]
        command = "exec env " + shlex.join([*assignments, *argv])
        t0 = time.monotonic()
        self._tmux("respawn-pane", "-k", "-t", "bench", "-c", str(ROOT), command)
        return t0

    def stop(self) -> None:
        self._tmux("respawn-pane", "-k", "-t", "bench", "sleep 100000", check=False)
        time.sleep(0.2)  # let the killed program's exit settle before the next measure

    def screen(self) -> str:
        return self._tmux("capture-pane", "-p", "-t", "bench").stdout

    def pid(self) -> int:
        return int(self._tmux("display-message", "-p", "-t", "bench", "#{pane_pid}").stdout.strip())

    def cpu(self) -> float | None:
        """CPU seconds (user + system) the pane's program has used so far."""
        try:
            fields = Path(f"/proc/{self.pid()}/stat").read_text().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / CLK_TCK
        except (OSError, ValueError, IndexError):
            return None

    def keys(self, *keys: str, literal: bool = False) -> float:
        t0 = time.monotonic()
        self._tmux("send-keys", "-t", "bench", *(["-l"] if literal else []), *keys)
        return t0

    def wait_for(
        self, text: str, timeout: float = 15.0, interval: float = 0.005, since: float | None = None
    ) -> float | None:
        """Monotonic time of the first screen capture that shows `text` (None on timeout)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in self.screen():
                return time.monotonic()
            time.sleep(interval)
        return None

    def wait_settled(self, quiet: float = 0.5, timeout: float = 15.0, interval: float = 0.005) -> float:
        """Monotonic time of the last screen change before `quiet` seconds without one."""
        last_text, last_change = self.screen(), time.monotonic()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            time.sleep(interval)
            text = self.screen()
            now = time.monotonic()
            if text != last_text:
                last_text, last_change = text, now
            elif now - last_change >= quiet:
                break
        return last_change

    def close(self) -> None:
        self._tmux("kill-server", check=False)


@dataclass
class Ctx:
    args: argparse.Namespace
    info: dict
    seeded: Path
    work: Path
    tui: str | None
    loopback: Loopback
    log: object
    term: Term | None = None

    def home(self, name: str, big: bool) -> Path:
        return make_home(self.work / name, self.seeded if big else None)

    def app_env(self, home: Path) -> dict[str, str]:
        return {
            "PROMPTSTUDIO_HOME": str(home),
            "OPENAI_BASE_URL": self.loopback.base_url,
            "OPENAI_API_KEY": BENCH_KEY,
        }

    def app_argv(self) -> list[str]:
        if self.args.whatif:
            return [str(VENV_PY), str(BENCH / "whatif.py"), self.args.whatif]
        return [str(PROMPTSTUDIO)]

    def get_term(self) -> Term:
        if self.term is None:
            self.term = Term()
        return self.term


def med(values: list[float]) -> float:
    return statistics.median(values)


# -- sections ----------------------------------------------------------------------------


def first_frame(ctx: Ctx) -> list[Row]:
    if not shutil.which("tmux"):
        return [Row("first frame", "all", "n/a: tmux is not installed", verdict="n/a")]
    term = ctx.get_term()
    import minimal_app

    runs: list[tuple[str, list[str], dict[str, str], str]] = [
        ("minimal", [str(VENV_PY), str(BENCH / "minimal_app.py")], {}, minimal_app.READY_TEXT)
    ]
    if ctx.tui is None:
        empty = ctx.home("first-empty", big=False)
        big = ctx.home("first-big", big=True)
        runs += [
            ("empty", ctx.app_argv(), ctx.app_env(empty), TUI["empty_ready"]),
            ("big", ctx.app_argv(), ctx.app_env(big), TUI["big_ready"]),
        ]
    results: dict[str, list[float]] = {name: [] for name, *_ in runs}
    misses: dict[str, int] = {name: 0 for name, *_ in runs}
    cpu: dict[str, list[float]] = {name: [] for name, *_ in runs}
    failures: dict[str, str] = {}
    for rep in range(ctx.args.reps + 1):  # the first round warms caches (and creates the empty db)
        for name, argv, env, ready in runs:
            if misses[name] >= 2:  # twice not drawn: stop trying, report the screen
                continue
            t0 = term.start(argv, env)
            t1 = term.wait_for(ready, timeout=30)
            if t1 is None:
                misses[name] += 1
                failures[name] = term.screen()
            elif rep:
                results[name].append(t1 - t0)
                used = term.cpu()
                if used is not None:
                    cpu[name].append(used)
            term.stop()
    rows = []
    base = med(results["minimal"]) if results["minimal"] else None
    spread = lambda v: f"min {ms(min(v))}, max {ms(max(v))}"  # noqa: E731
    if base is None:
        return [Row("first frame", "minimal Textual app", "error: never drawn", verdict="error")]
    base_cpu = med(cpu["minimal"]) if cpu["minimal"] else None

    def cpu_note(name: str) -> str:
        if not cpu[name]:
            return ""
        ratio = f" = {med(cpu[name]) / base_cpu:.2f} ×" if base_cpu and name != "minimal" else ""
        return f"; CPU {ms(med(cpu[name]))}{ratio}"

    rows.append(
        Row(
            "first frame",
            "minimal Textual app (Header, Static, Footer)",
            f"{ms(base)} ({spread(results['minimal'])}){cpu_note('minimal')}",
            raw={"median_s": base, "runs": results["minimal"], "cpu": cpu["minimal"]},
        )
    )
    for name, label, key in (
        ("empty", "promptstudio, empty store", "first_empty"),
        ("big", "promptstudio, big store", "first_big"),
    ):
        if ctx.tui is not None:
            rows.append(Row("first frame", label, ctx.tui, f"≤ {TARGETS[key]} ×", "n/a"))
            continue
        if not results[name]:
            last = " | ".join(line.strip() for line in failures[name].splitlines()[:12] if line.strip())[:600]
            rows.append(
                Row(
                    "first frame",
                    label,
                    f"error: {TUI[name + '_ready']!r} never drawn; screen: {last}",
                    f"≤ {TARGETS[key]} ×",
                    "error",
                )
            )
            continue
        value = med(results[name])
        ratio = value / base
        rows.append(
            Row(
                "first frame",
                label,
                f"{ms(value)} = {ratio:.2f} × minimal ({spread(results[name])}){cpu_note(name)}",
                f"≤ {TARGETS[key]} ×",
                verdict(ratio, TARGETS[key]),
                {"median_s": value, "ratio": ratio, "runs": results[name], "cpu": cpu[name]},
            )
        )
    return rows


def long_conversation(ctx: Ctx) -> list[Row]:
    label_newest = "open 500-message conversation: newest messages on screen"
    label_settled = "… open: screen settled"
    label_top = "… Home in the chat: top of the loaded history on screen"
    if ctx.tui is not None:
        return [
            Row("long conversation", label_newest, ctx.tui, f"≤ {TARGETS['long_newest_ms']} ms", "n/a"),
            Row("long conversation", label_top, ctx.tui, verdict="n/a"),
        ]
    term = ctx.get_term()
    newest, settled, top, open_cpu = [], [], [], []
    errors = []
    for rep in range(min(3, ctx.args.reps)):
        home = ctx.home(f"long-{rep}", big=True)
        term.start(ctx.app_argv(), ctx.app_env(home))
        if term.wait_for(TUI["big_ready"], timeout=30) is None:
            errors.append("list never drawn")
            term.stop()
            continue
        term.wait_settled(quiet=0.3)
        term.keys(*TUI["focus_list"][:1])
        time.sleep(0.2)
        term.keys(*TUI["focus_list"][1:])
        time.sleep(0.3)
        c0 = term.cpu()
        t0 = term.keys(*TUI["open"])
        t1 = term.wait_for(ctx.info["newest_marker"], timeout=60)
        if t1 is None:
            lines = [x[37:117].strip() for x in term.screen().splitlines()]
            errors.append("newest message never shown; chat pane: " + " | ".join(x for x in lines if x)[:400])
            term.stop()
            continue
        newest.append(t1 - t0)
        c1 = term.cpu()
        if c0 is not None and c1 is not None:
            open_cpu.append(c1 - c0)
        settled.append(term.wait_settled(quiet=0.5) - t0)
        term.keys(*TUI["focus_chat"])
        time.sleep(0.3)
        t2 = term.keys(*TUI["to_top"])
        t3 = term.wait_for(TUI["top_text"], timeout=30)
        if t3 is not None:
            top.append(t3 - t2)
        else:
            errors.append("top of the history never shown after " + "+".join(TUI["to_top"]))
        term.stop()
        shutil.rmtree(home, ignore_errors=True)
    rows = []
    target = f"≤ {TARGETS['long_newest_ms']} ms"
    if newest:
        v = med(newest)
        cpu_text = f"; app CPU {ms(med(open_cpu))}" if open_cpu else ""
        if errors:
            cpu_text += f"; {len(errors)} run(s) failed: {errors[0][:160]}"
        rows.append(
            Row(
                "long conversation",
                label_newest,
                f"{ms(v)} (min {ms(min(newest))}, max {ms(max(newest))}){cpu_text}",
                target,
                verdict(v * 1000, TARGETS["long_newest_ms"]),
                {"median_s": v, "runs": newest, "cpu": open_cpu},
            )
        )
        rows.append(Row("long conversation", label_settled, ms(med(settled)), raw={"runs": settled}))
    else:
        rows.append(Row("long conversation", label_newest, f"error: {errors[:1]}", target, "error"))
    if top:
        v = med(top)
        rows.append(
            Row(
                "long conversation",
                label_top,
                f"{ms(v)} (min {ms(min(top))}, max {ms(max(top))})",
                raw={"median_s": v, "runs": top},
            )
        )
    else:
        rows.append(Row("long conversation", label_top, f"error: {errors[-1:] or 'not measured'}", verdict="error"))
    if ctx.args.pilot:
        rows += _pilot_long(ctx)
    return rows


def _pilot_long(ctx: Ctx) -> list[Row]:
    """In-process (Textual Pilot, headless 160x48): open, then load earlier pages until
    the oldest message is mounted. No terminal output, so a lower bound of the tmux path;
    used for the per-page cost and for profiles."""
    label = "… oldest message reachable: 'Load earlier' pages (Pilot, in-process)"
    home = ctx.home("long-pilot", big=True)
    env = ctx.app_env(home)
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        result = asyncio.run(_pilot_long_run(ctx))
    except Exception as exc:  # noqa: BLE001 - the TUI changes under us; say what broke
        return [Row("long conversation", label, f"error: {type(exc).__name__}: {exc}", verdict="error")]
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    if result is None:
        return [Row("long conversation", label, "error: oldest message never mounted", verdict="error")]
    opened, loads, total, reached = result
    pages = -(-(ctx.info["long_conversation_messages"] - 40) // 40)
    if reached:
        value = f"{len(loads)} pages, {ms(med(loads))} each (max {ms(max(loads))}), {total:.2f} s in all"
    else:
        value = f"stopped after {len(loads)} of {pages} pages ({total:.1f} s budget): {ms(med(loads))} each, last {ms(loads[-1])}"
    return [
        Row(
            "long conversation",
            "… open, in-process (Pilot): newest messages mounted",
            ms(opened),
            raw={"open_s": opened},
        ),
        Row("long conversation", label, value, raw={"loads": loads, "reached": reached}),
    ]


def _mounted(screen, message_id: str) -> bool:
    """Is a view of this message mounted? (any widget whose `.message` is that row)."""
    return any(getattr(getattr(w, "message", None), "id", None) == message_id for w in screen.query("*"))


async def _pilot_long_run(ctx: Ctx):
    from promptstudio_tui.app import PromptStudioApp
    from promptstudio_tui.messages import OpenConversation
    from promptstudio_tui.store import open_store

    profiler = None
    if ctx.args.profile is not None:
        from pyinstrument import Profiler

        profiler = Profiler(async_mode="enabled", interval=0.001)
    app = PromptStudioApp()
    long_id = ctx.info["long_conversation_id"]
    async with app.run_test(size=(COLS, ROWS)) as pilot:
        for _ in range(500):
            await asyncio.sleep(0.02)
            if app.screen.query("#conversation-list"):
                break
        oldest = app.studio.history(long_id, limit=1, before=None)  # newest; the oldest comes from the store:
        with contextlib.closing(open_store(app.studio.paths.database)) as store:
            oldest_id = store.query(
                "SELECT id FROM messages WHERE conversation_id = ? ORDER BY id LIMIT 1", (long_id,)
            )[0][0]
        newest_id = oldest[-1].id
        screen = app.screen
        if profiler:
            profiler.start()
        t0 = time.perf_counter()
        screen.post_message(OpenConversation(long_id))
        deadline = time.perf_counter() + 120
        while not _mounted(screen, newest_id):
            if time.perf_counter() > deadline:
                raise TimeoutError(
                    f"the newest message was not mounted within 120 s (screen {type(app.screen).__name__})"
                )
            await asyncio.sleep(0.002)
        await pilot.pause()
        opened = time.perf_counter() - t0
        if profiler:
            profiler.stop()
            ctx.args.profile.mkdir(parents=True, exist_ok=True)
            (ctx.args.profile / "tui_open_long.txt").write_text(profiler.output_text(unicode=True))
            (ctx.args.profile / "tui_open_long.html").write_text(profiler.output_html())
        loads = []
        t_all = time.perf_counter()
        reached = False
        # Bounded: at most PILOT_LOAD_BUDGET seconds of paging (the rest is extrapolated).
        while time.perf_counter() - t_all < PILOT_LOAD_BUDGET and len(loads) < 40:
            if _mounted(screen, oldest_id):
                reached = True
                break
            t = time.perf_counter()
            await app.run_action("screen.load_earlier")
            await pilot.pause()
            loads.append(time.perf_counter() - t)
        if not loads:
            return None
        return opened, loads, time.perf_counter() - t_all, reached


STREAM_END = "STREAMENDMARKER"
PROBE = "zqxjprobe"


def stream_reply(tokens: int = 4000) -> str:
    """~tokens*4 characters of markdown (the loopback counts 4 characters per token)."""
    import random

    import seed

    text = seed.Text(random.Random(99), size=3000)
    text.pools(4000, 400)
    out = ""
    while len(out) < tokens * 4 - 40:
        out += text.assistant_message() + "\n\n"
    return out[: tokens * 4 - 40].rstrip() + f"\n\nDone. {STREAM_END}"


def streaming(ctx: Ctx) -> list[Row]:
    labels = (
        "streaming: last chunk → end of reply on screen",
        "streaming: last chunk → final frame (reply shown as finished)",
        "streaming: keypress → screen while streaming",
    )
    if ctx.tui is not None:
        return [
            Row("streaming", labels[0], ctx.tui, verdict="n/a"),
            Row("streaming", labels[1], ctx.tui, f"≤ {TARGETS['stream_final_ms']} ms", "n/a"),
            Row("streaming", labels[2], ctx.tui, f"≤ {TARGETS['key_ms']} ms", "n/a"),
        ]
    from loopback import Scenario

    term = ctx.get_term()
    reply = stream_reply()
    # 8 characters (2 tokens) per chunk; 3 ms apart plus the server's own per-chunk
    # work comes out near 500 tokens/s here (the served rate is printed).
    scenario = Scenario(reply=reply, chunk_size=8, delay=0.003)
    on_screen, final, settled, keys, rates, stream_cpu = [], [], [], [], [], []
    floor = tmux_echo_floor(term)
    errors = []
    for rep in range(min(2, ctx.args.reps)):
        home = ctx.home(f"stream-{rep}", big=False)
        ctx.loopback.script(scenario, reset=True)
        before = len(ctx.loopback.times())
        term.start(ctx.app_argv(), ctx.app_env(home))
        if term.wait_for(TUI["empty_ready"], timeout=30) is None:
            errors.append(
                "app never drawn; screen: "
                + " | ".join(x.strip() for x in term.screen().splitlines() if x.strip())[:300]
            )
            term.stop()
            continue
        term.wait_settled(quiet=0.3)
        term.keys("Write release notes for the bench", literal=True)
        time.sleep(0.2)
        term.keys(*TUI["send"])
        # Wait until the stream is under way, then probe keys while it runs.
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and not (
            len(ctx.loopback.times()) > before and ctx.loopback.times()[before]["chunks"]
        ):
            time.sleep(0.01)
        time.sleep(1.0)
        c_stream, t_c_stream = term.cpu(), time.monotonic()
        t0 = term.keys(PROBE[:4], literal=True)
        t1 = term.wait_for(PROBE[:4], timeout=60, interval=0.002)
        if t1 is None:
            errors.append("typed text never appeared while streaming (is the composer focused?)")
        else:
            keys.append(t1 - t0)  # the first probe counts too: a stalled loop shows here
            shown = PROBE[:4]
            for ch in PROBE[4:] if t1 - t0 < 2 else ():
                shown += ch
                t0 = term.keys(ch, literal=True)
                t1 = term.wait_for(shown, timeout=30, interval=0.002)
                if t1 is not None:
                    keys.append(t1 - t0)
                time.sleep(0.2)
        # The last chunk: wait for the server to have sent all of them, then poll the screen hard.
        stream = None
        deadline = time.monotonic() + 60
        n_chunks = (len(reply) + 7) // 8
        while time.monotonic() < deadline:
            streams = ctx.loopback.times()
            if len(streams) > before and streams[before]["chunks"] >= n_chunks:
                stream = streams[before]
                break
            time.sleep(0.005)
        if stream is None:
            errors.append("stream never finished")
            term.stop()
            continue
        t_marker = t_final = None
        limit = time.monotonic() + 120
        while time.monotonic() < limit and t_final is None:
            screen = term.screen()
            now = time.monotonic()
            if t_marker is None and STREAM_END in screen:
                t_marker = now
            header = screen.splitlines()[0] if screen else ""
            if t_marker is not None and TUI["idle_text"] in header:
                t_final = now
            time.sleep(0.003)
        if t_marker is None:
            errors.append("end of reply never on screen (does the chat follow the stream?)")
        else:
            on_screen.append(t_marker - stream["last"])
        if t_final is not None:
            final.append(t_final - stream["last"])
        settled.append(term.wait_settled(quiet=0.5, interval=0.003) - stream["last"])
        c_end = term.cpu()
        if c_stream is not None and c_end is not None:
            stream_cpu.append((c_end - c_stream) / max(1e-6, time.monotonic() - t_c_stream))
        rates.append(len(reply) / 4 / max(1e-6, stream["last"] - stream["first"]))
        term.stop()
        shutil.rmtree(home, ignore_errors=True)
    rows = []
    rate = f"; served at {med(rates):.0f} tokens/s" if rates else ""
    if stream_cpu:
        rate += f"; app busy {100 * med(stream_cpu):.0f}% of a core while it streamed"
    rows.append(
        Row(
            "streaming",
            labels[0],
            f"{ms(med(on_screen))} (max {ms(max(on_screen))}){rate}" if on_screen else f"error: {errors[:1]}",
            verdict="info" if on_screen else "error",
            raw={"runs": on_screen, "rates": rates},
        )
    )
    if final:
        v = med(final)
        rows.append(
            Row(
                "streaming",
                labels[1],
                f"{ms(v)} (max {ms(max(final))}); screen settled after {ms(med(settled))}",
                f"≤ {TARGETS['stream_final_ms']} ms",
                verdict(v * 1000, TARGETS["stream_final_ms"]),
                {"runs": final, "settled": settled},
            )
        )
    else:
        rows.append(
            Row(
                "streaming",
                labels[1],
                f"error: {errors[:1] or 'header never idle'}",
                f"≤ {TARGETS['stream_final_ms']} ms",
                "error",
            )
        )
    if keys:
        v = med(keys)
        rows.append(
            Row(
                "streaming",
                labels[2],
                f"{ms(v)} median, {ms(max(keys))} worst of {len(keys)}; tmux echo floor {ms(floor)}",
                f"≤ {TARGETS['key_ms']} ms",
                verdict(v * 1000, TARGETS["key_ms"]),
                {"runs": keys, "floor_s": floor},
            )
        )
    else:
        rows.append(Row("streaming", labels[2], f"error: {errors[:1]}", f"≤ {TARGETS['key_ms']} ms", "error"))
    return rows


def tmux_echo_floor(term: Term) -> float:
    """Keypress -> screen through tmux for a program that echoes at once (`cat`)."""
    term.start(["cat"], {})
    time.sleep(0.3)
    shown, times = "", []
    for ch in PROBE:
        shown += ch
        t0 = term.keys(ch, literal=True)
        t1 = term.wait_for(shown, timeout=5, interval=0.002)
        if t1 is not None:
            times.append(t1 - t0)
        time.sleep(0.05)
    term.stop()
    return med(times) if times else float("nan")


def search(ctx: Ctx) -> list[Row]:
    from promptstudio_tui.store import open_store
    from promptstudio_tui.store.conversations import Conversations

    home = ctx.home("search", big=True)
    store = open_store(home / "promptstudio.db")
    conversations = Conversations(store)
    per_query: dict[str, list[float]] = {}
    counts: dict[str, list[float]] = {}
    hits: dict[str, int] = {}
    reps = max(5, ctx.args.reps)
    for _rep in range(reps):
        for q in SEARCH_QUERIES + AS_YOU_TYPE:
            t0 = time.perf_counter()
            page = conversations.page(query=q, limit=100)
            t1 = time.perf_counter()
            n = conversations.count(query=q)
            t2 = time.perf_counter()
            per_query.setdefault(q, []).append(t1 - t0)
            counts.setdefault(q, []).append(t2 - t1)
            hits[q] = n
            assert len(page) <= 100
    store.close()
    medians = {q: med(per_query[q]) for q in SEARCH_QUERIES}
    worst_q = max(SEARCH_QUERIES, key=lambda q: max(per_query[q]))
    worst = max(per_query[worst_q])
    overall = med(list(medians.values()))
    typing_worst_q = max(AS_YOU_TYPE, key=lambda q: med(per_query[q]))
    count_median = med([med(counts[q]) for q in SEARCH_QUERIES])
    detail = {
        q: {
            "median_ms": round(med(per_query[q]) * 1000, 2),
            "max_ms": round(max(per_query[q]) * 1000, 2),
            "count_median_ms": round(med(counts[q]) * 1000, 2),
            "matches": hits[q],
        }
        for q in SEARCH_QUERIES + AS_YOU_TYPE
    }
    return [
        Row(
            "search",
            "Conversations.page(query), 10 typical queries: median",
            ms(overall),
            f"≤ {TARGETS['search_median_ms']} ms",
            verdict(overall * 1000, TARGETS["search_median_ms"]),
            {"queries": detail},
        ),
        Row("search", "… worst query (worst run)", f"{ms(worst)} ({worst_q!r}, {hits[worst_q]:,} matches)"),
        Row("search", "… Conversations.count(query) alongside: median", ms(count_median)),
        Row(
            "search",
            "as-you-type prefix (p, py, pyt, d, do, doc): worst median",
            f"{ms(med(per_query[typing_worst_q]))} ({typing_worst_q!r}, {hits[typing_worst_q]:,} matches)",
        ),
    ]


def memory(ctx: Ctx) -> list[Row]:
    label = "peak RSS, big store open after browsing"
    if ctx.tui is not None:
        return [Row("memory", label, ctx.tui, f"≤ {TARGETS['rss_mb']} MB", "n/a")]
    term = ctx.get_term()
    home = ctx.home("memory", big=True)
    term.start(ctx.app_argv(), ctx.app_env(home))
    if term.wait_for(TUI["big_ready"], timeout=60) is None:
        term.stop()
        return [Row("memory", label, "error: list never drawn", f"≤ {TARGETS['rss_mb']} MB", "error")]
    pid = term.pid()
    term.wait_settled(quiet=0.3)
    rss_start = _proc_status(pid)

    def focus_list() -> None:
        term.keys(TUI["focus_list"][0])
        time.sleep(0.15)
        term.keys(*TUI["focus_list"][1:])
        time.sleep(0.15)

    # Browse: open the long conversation and go to its top; walk 300 rows down the list
    # (three pages are fetched) opening every 30th; run three searches.
    focus_list()
    term.keys(*TUI["open"])
    term.wait_for(ctx.info["newest_marker"], timeout=30)
    term.keys(*TUI["focus_chat"])
    time.sleep(0.2)
    term.keys(*TUI["to_top"])
    term.wait_for(TUI["top_text"], timeout=20)
    for _ in range(10):
        focus_list()
        term.keys(*[TUI["list_down"]] * 30)
        time.sleep(0.1)
        term.keys(*TUI["open"])
        time.sleep(0.4)
    for query in ("python", "docker compose", "release notes"):
        term.keys(TUI["focus_list"][0])
        time.sleep(0.1)
        term.keys("C-a", "C-k")
        term.keys(query, literal=True)
        time.sleep(0.8)
    term.wait_settled(quiet=0.5, timeout=30)
    status = _proc_status(pid)
    term.stop()
    hwm = status.get("VmHWM", 0) / 1024
    return [
        Row(
            "memory",
            label,
            f"{hwm:.0f} MB peak (now {status.get('VmRSS', 0) / 1024:.0f} MB; {rss_start.get('VmRSS', 0) / 1024:.0f} MB at first frame)",
            f"≤ {TARGETS['rss_mb']} MB",
            verdict(hwm, TARGETS["rss_mb"]),
            {
                "VmHWM_kb": status.get("VmHWM"),
                "VmRSS_kb": status.get("VmRSS"),
                "first_frame_kb": rss_start.get("VmRSS"),
            },
        )
    ]


def _proc_status(pid: int) -> dict[str, int]:
    out = {}
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(("VmHWM", "VmRSS")):
                key, value = line.split(":", 1)
                out[key] = int(value.split()[0])
    return out


def client(ctx: Ctx) -> list[Row]:
    home = ctx.home("client", big=True)
    ctx.loopback.script(reset=True)  # the default reply: ~80 characters in 8-character chunks
    os.environ.update(ctx.app_env(home))
    runs = ctx.args.client_runs
    result = asyncio.run(_client_runs(home, ctx.loopback.base_url, runs, ctx.args.profile))
    rows = []
    for label, key in (("LLMClient.stream_chat", "llm"), ("Studio.send (persist, quota, context, usage)", "studio")):
        over = result[key]["overhead"]
        rows.append(
            Row(
                "client",
                f"overhead above raw openai SDK: {label}, 20-message conversations",
                f"{ms(over)} (CPU {ms(result[key]['cpu_overhead'])}; raw {ms(result['raw']['median'])}, with {ms(result[key]['median'])}; median of {runs})",
                f"≤ {TARGETS['client_ms']} ms",
                verdict(over * 1000, TARGETS["client_ms"]),
                result[key],
            )
        )
    long = result["long"]
    rows.append(
        Row(
            "client",
            "… Studio.send in the 500-message conversation",
            f"{ms(long['overhead'])} (CPU {ms(long['cpu_overhead'])}; raw {ms(long['raw'])}, with {ms(long['median'])})",
            f"≤ {TARGETS['client_ms']} ms",
            verdict(long["overhead"] * 1000, TARGETS["client_ms"]),
            long,
        )
    )
    rows.append(Row("client", "… first Studio.send of a process (loads the token encoding)", ms(result["first_send"])))
    return rows


async def _client_runs(home: Path, base_url: str, runs: int, profile_dir: Path | None) -> dict:
    """Each round: Studio.send first; the loopback records the exact request it sent,
    which is then replayed through the raw SDK and through LLMClient (same messages,
    same options), so the three paths carry identical payloads."""
    import openai

    from loopback import remote_requests, remote_script
    from promptstudio_tui.llm import LLMClient
    from promptstudio_tui.store import open_store
    from promptstudio_tui.studio import Studio

    studio = Studio.open({"base_url": base_url, "model": "gpt-4o-mini", "plan": "enterprise"})
    store = open_store(studio.paths.database)  # the bench picks its conversations beside the studio
    picks = [
        r[0]
        for r in store.query(
            "SELECT c.id FROM conversations c WHERE c.status = 'active' AND"
            " (SELECT count(*) FROM messages m WHERE m.conversation_id = c.id) BETWEEN 18 AND 22 LIMIT ?",
            (runs + 10,),
        )
    ]
    long_id = store.query("SELECT id FROM conversations WHERE title LIKE 'Bench: long%'")[0][0]
    store.close()
    raw = openai.AsyncOpenAI(base_url=base_url, api_key=BENCH_KEY, max_retries=2)
    llm = LLMClient(base_url, BENCH_KEY)
    cpu: dict[str, list[float]] = {"raw": [], "llm": [], "studio": []}

    def sent() -> dict:
        """The chat request the studio just made (then forget it on the server)."""
        body = [r for r in remote_requests(base_url) if r["path"].rstrip("/").endswith("/chat/completions")][-1]["body"]
        remote_script(base_url, reset=True)
        return body

    async def run_raw(body) -> float:
        c0 = time.process_time()
        t0 = time.perf_counter()
        stream = await raw.chat.completions.create(
            model=body["model"],
            messages=body["messages"],
            stream=True,
            stream_options={"include_usage": True},
            temperature=body.get("temperature"),
            max_tokens=body.get("max_tokens"),
        )
        async with stream:
            async for _chunk in stream:
                pass
        cpu["raw"].append(time.process_time() - c0)
        return time.perf_counter() - t0

    async def run_llm(body) -> float:
        c0 = time.process_time()
        t0 = time.perf_counter()
        async for _event in llm.stream_chat(
            body["messages"],
            model=body["model"],
            temperature=body.get("temperature"),
            max_tokens=body.get("max_tokens"),
        ):
            pass
        cpu["llm"].append(time.process_time() - c0)
        return time.perf_counter() - t0

    async def run_studio(cid: str) -> float:
        c0 = time.process_time()
        t0 = time.perf_counter()
        async for _event in studio.send(cid, QUESTION):
            pass
        cpu["studio"].append(time.process_time() - c0)
        return time.perf_counter() - t0

    remote_script(base_url, reset=True)
    first_send = await run_studio(picks[-1])
    sent()
    for cid in picks[-10:-1]:  # warm-up: connections, SDK lazy imports, caches
        await run_studio(cid)
        body = sent()
        await run_raw(body)
        await run_llm(body)
    for values in cpu.values():
        values.clear()  # warm-up excluded

    def profiler():
        if profile_dir is None:
            return None
        from pyinstrument import Profiler

        return Profiler(async_mode="enabled", interval=0.0005)

    # A short pause between paths: back-to-back requests on two keep-alive connections
    # to the loopback sometimes wait ~40 ms (a delayed-ACK artefact), whichever goes second.
    async def rounds(ids: list[str], prof) -> tuple[list[float], list[float], list[float]]:
        t_raw, t_llm, t_studio = [], [], []
        for cid in ids:
            if prof:
                prof.start()
            t_studio.append(await run_studio(cid))
            if prof:
                prof.stop()
            body = sent()
            await asyncio.sleep(0.01)
            t_raw.append(await run_raw(body))
            await asyncio.sleep(0.01)
            t_llm.append(await run_llm(body))
            await asyncio.sleep(0.01)
        return t_raw, t_llm, t_studio

    prof = profiler()
    t_raw, t_llm, t_studio = await rounds(picks[:runs], prof)
    if prof:
        profile_dir.mkdir(parents=True, exist_ok=True)
        (profile_dir / "client_studio_send.txt").write_text(prof.output_text(unicode=True, show_all=False))
    short_cpu = {k: list(v) for k, v in cpu.items()}
    for values in cpu.values():
        values.clear()
    prof = profiler()
    long_raw, _long_llm, long_studio = await rounds([long_id] * max(3, runs // 10), prof)
    if prof:
        (profile_dir / "client_studio_send_long.txt").write_text(prof.output_text(unicode=True, show_all=False))
    await raw.close()
    await llm.aclose()
    await studio.aclose()
    paired = lambda a, b: med([y - x for x, y in zip(a, b, strict=False)])  # noqa: E731
    return {
        "raw": {"median": med(t_raw)},
        "llm": {
            "median": med(t_llm),
            "overhead": paired(t_raw, t_llm),
            "cpu_overhead": paired(short_cpu["raw"], short_cpu["llm"]),
        },
        "studio": {
            "median": med(t_studio),
            "overhead": paired(t_raw, t_studio),
            "cpu_overhead": paired(short_cpu["raw"], short_cpu["studio"]),
        },
        "long": {
            "raw": med(long_raw),
            "median": med(long_studio),
            "overhead": paired(long_raw, long_studio),
            "cpu_overhead": paired(cpu["raw"], cpu["studio"]),
        },
        "first_send": first_send,
    }


QUESTION = "Can you make it shorter and keep the python example?"

SECTIONS = {
    "first_frame": first_frame,
    "long": long_conversation,
    "streaming": streaming,
    "search": search,
    "memory": memory,
    "client": client,
}


def print_table(rows: list[Row], out=sys.stdout) -> None:
    headers = ("measure", "result", "target", "")
    cells = [
        (
            f"{r.section}: {r.measure}" if not r.measure.startswith("…") else f"  {r.measure}",
            r.value,
            r.target,
            r.verdict,
        )
        for r in rows
    ]
    widths = [min(78, max(len(h), *(len(c[i]) for c in cells))) for i, h in enumerate(headers)]
    line = "  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=False))
    print(line, file=out)
    print("  ".join("-" * w for w in widths), file=out)
    for c in cells:
        print("  ".join(v.ljust(w) for v, w in zip(c, widths, strict=False)).rstrip(), file=out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Prompt Studio benchmarks (prints a table).")
    parser.add_argument("--conversations", type=int, default=10_000, help="size of the big store (1000, 10000, 100000)")
    parser.add_argument("--reps", type=int, default=5, help="repetitions per timed measure (median reported)")
    parser.add_argument("--client-runs", type=int, default=100, help="requests per client-overhead path")
    parser.add_argument("--only", default="", help=f"comma-separated sections: {','.join(SECTIONS)}")
    parser.add_argument("--json", type=Path, help="also write the results as JSON here")
    parser.add_argument("--profile", type=Path, help="write pyinstrument profiles of in-process sections here")
    parser.add_argument("--keep", action="store_true", help="keep the work directory (copied stores)")
    parser.add_argument(
        "--pilot",
        action="store_true",
        help="also the in-process (Pilot) open and 'load earlier' paging of the long conversation (slow)",
    )
    parser.add_argument(
        "--whatif",
        default="",
        help="run the studio with candidate fixes patched in (bench/whatif.py), e.g. nolastchild,history:8",
    )
    args = parser.parse_args(argv)
    in_venv = Path(sys.prefix).resolve() == (ROOT / ".venv").resolve()
    if not in_venv and VENV_PY.exists() and "PSBENCH_REEXEC" not in os.environ:
        os.environ["PSBENCH_REEXEC"] = "1"
        os.execv(str(VENV_PY), [str(VENV_PY), __file__, *(argv if argv is not None else sys.argv[1:])])
    if args.profile is not None:
        try:
            import pyinstrument  # noqa: F401
        except ImportError:
            parser.error("--profile needs pyinstrument: .venv/bin/pip install pyinstrument (a bench-only tool)")

    def log(text: str) -> None:
        print(text, file=sys.stderr, flush=True)

    started = time.monotonic()
    load_start = os.getloadavg()[0]
    sections = [s for s in args.only.split(",") if s] or list(SECTIONS)
    unknown = set(sections) - set(SECTIONS)
    if unknown:
        parser.error(f"unknown sections: {', '.join(sorted(unknown))}")
    if args.whatif:
        import whatif

        whatif.apply(args.whatif)  # the in-process (Pilot) measures see the same patches
        log(f"what-if patches: {args.whatif}")
    info = machine()
    log("machine: " + ", ".join(f"{k} {v}" for k, v in info.items()))
    seeded, seed_info = ensure_seeded(args.conversations, log)
    c = seed_info["counts"]
    log(
        f"big store: {c['conversations']:,} conversations, {c['messages']:,} messages, {c['prompts']:,} prompts, "
        f"{c['usage_tracking']:,} usage rows ({seed_info['db_bytes'] / 1e6:.0f} MB; seeded in {seed_info['seconds']['total']:.1f} s"
        f"{', cached' if seed_info.get('cached') else ''})"
    )
    tui = tui_available()
    if tui:
        log(tui)
    work = Path(tempfile.mkdtemp(prefix="psbench-"))
    loopback = Loopback()
    ctx = Ctx(args, seed_info, seeded, work, tui, loopback, log)
    rows: list[Row] = []
    try:
        for name in sections:
            log(f"running {name} ...")
            t = time.monotonic()
            try:
                rows += SECTIONS[name](ctx)
            except Exception as exc:  # noqa: BLE001 - one broken section must not hide the others
                import traceback

                traceback.print_exc()
                rows.append(Row(name, "section failed", f"error: {type(exc).__name__}: {exc}", verdict="error"))
            log(f"  {name} took {time.monotonic() - t:.1f} s")
    finally:
        if ctx.term:
            ctx.term.close()
        loopback.close()
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    print()
    if args.whatif:
        print(f"WHAT-IF run: studio patched with {args.whatif} (bench/whatif.py), not the code in src/")
    print(
        f"Prompt Studio bench — {c['conversations']:,} conversations / {c['messages']:,} messages; "
        f"{info['cpus']} × {info['cpu']}, Python {info['python']}, SQLite {info['sqlite']}, Textual {info['textual']}"
    )
    print_table(rows)
    load_end = os.getloadavg()[0]
    print(
        f"\n(total {time.monotonic() - started:.0f} s; load average {load_start:.1f} at start, {load_end:.1f} at end"
        f"{' — other work was running: expect noise' if max(load_start, load_end) > 1.5 else ''})"
    )
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "machine": info,
                    "store": seed_info,
                    "whatif": args.whatif,
                    "load": [load_start, os.getloadavg()[0]],
                    "rows": [r.__dict__ for r in rows],
                },
                indent=2,
                default=str,
            )
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
