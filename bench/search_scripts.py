#!/usr/bin/env python3
"""Search in scripts written without spaces: the conversation list's query per keystroke.

    .venv/bin/python bench/search_scripts.py [--reps 5] [--shapes some,most] [--before REV] [--work DIR]

On copies of the bench's cached 10k store (bench/seed.py, ~200,000 messages, nearly all
Latin), two shapes of store, written through the product's own store API (`Messages.add`,
`Messages.save_partial`), so the word and trigram index triggers run:

- some: every tenth conversation (list order) gets a user message and a reply in Chinese,
  Japanese or Thai — a bilingual user's store;
- most: every message is rewritten in Chinese, Japanese or Thai (by conversation, same
  length in characters, at most 4,000) — the store of a user who writes in those scripts.

In both, 张伟 and 佐藤 (names: two characters, rare) are in a handful of conversations.
For each query it times `Conversations.page(query, limit=100)` (what the list shows) and
`Conversations.count(query)` (the total above it): the two calls the list makes per
keystroke. Median of `--reps` rounds, each in a fresh process per code version.

`--before REV` also measures the code of that commit (`git archive REV src`) on the same
stores, rounds interleaved with the current code's, so both columns come from one run
and share the machine's load. Numbers only: no assertion.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
sys.path.insert(0, str(BENCH))


def words(text: str) -> list[str]:
    return text.split()


# (label, query): 1, 2 and 3+ characters in each script, rare and common, and Latin.
QUERIES = [
    ("zh 1 char", "写"),
    ("zh 2 chars, common", "发布"),
    ("zh 2 chars, rare", "张伟"),
    ("zh 4 chars", "发布说明"),
    ("ja 1 char", "議"),
    ("ja 2 chars, common", "会議"),
    ("ja 2 chars, rare", "佐藤"),
    ("ja 3 chars", "議事録"),
    ("th 1 char", "ข"),
    ("th 2 chars", "ขอ"),
    ("th 4 chars", "ระบบ"),
    ("zh rare + common", "张伟 发布"),
    ("zh 2 + Latin word", "发布 python"),
    ("Latin word", "python"),
]

ZH = [
    *words(
        "我们 需要 一个 发布 说明 提示 模型 数据 用户 系统 问题 代码 测试 部署 服务器 文档 版本 功能 性能 优化 接口"
        " 设计 团队 项目 客户 会议 时间 今天 明天 报告 分析 结果 方案 产品 市场 翻译 总结 邮件 合同 学习 请 帮 我 写"
        " 的 了 是 在 和 这个 那个 可以 应该 如何 为什么 因为 所以 但是 如果 已经 还是 发布说明 更新 日志 修复 错误"
    ),
    " Python ",  # Latin words stand apart, as people write them
    " API ",
]
JA = words(
    "会議 資料 確認 お願い します リリース ノート 議事録 予定 来週 担当 対応 修正 検討 共有 作成 ください です"
    " ます について の を に は が で と 新しい 機能 説明 顧客 問題 解決 報告 書 テスト 環境 本番 設定"
)
TH = words(
    "ช่วย เขียน บันทึก ประชุม รายงาน ข้อมูล ระบบ ลูกค้า โครงการ สรุป ขอ ให้ และ ของ ที่ ใน การ ทำ ได้ แล้ว ใหม่ ปัญหา แก้ไข ทดสอบ เอกสาร"
)
SCRIPTS = {"zh": (ZH, "。"), "ja": (JA, "。"), "th": (TH, " ")}
RARE = {"zh": "张伟", "ja": "佐藤", "th": "สมชาย"}


def med(values: list[float]) -> float:
    return statistics.median(values)


class Writer:
    """Sentences of Zipf-weighted words, deterministic for a seed."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.weights = {lang: [1 / (i + 1) for i in range(len(words))] for lang, (words, _) in SCRIPTS.items()}

    def text(self, lang: str, chars: int) -> str:
        words, stop = SCRIPTS[lang]
        out: list[str] = []
        size = 0
        while size < chars:
            sentence = "".join(self.rng.choices(words, self.weights[lang], k=self.rng.randint(4, 12))) + stop
            out.append(sentence)
            size += len(sentence)
        return "".join(out)[:chars]


def prepare(shape: str, seeded: Path, work: Path, log) -> Path:
    """A copy of the seeded store, written into as the shape says; kept in `work` for reuse."""
    home = work / shape
    db = home / "promptstudio.db"
    if (home / "ready").exists():
        return home
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir(parents=True, mode=0o700)
    shutil.copyfile(seeded / "promptstudio.db", db)
    sys.path.insert(0, str(ROOT / "src"))
    from promptstudio_tui.store import open_store
    from promptstudio_tui.store.messages import Messages

    t0 = time.perf_counter()
    store = open_store(db)
    messages = Messages(store)
    rng = random.Random(11)
    writer = Writer(rng)
    ids = [r[0] for r in store.query("SELECT id FROM conversations ORDER BY last_message_at DESC, id DESC")]
    langs = {cid: rng.choices(("zh", "ja", "th"), (6, 3, 1))[0] for cid in ids}
    chosen = ids[::10] if shape == "some" else ids
    rare = {lang: set(rng.sample([c for c in chosen if langs[c] == lang], 6)) for lang in RARE}
    with store.write():  # one transaction; every row still goes through the index triggers
        if shape == "some":
            for cid in chosen:
                lang = langs[cid]
                question = writer.text(lang, rng.randint(20, 120))
                if cid in rare[lang]:
                    question = f"{RARE[lang]}{question}"
                messages.add(cid, "user", question)
                messages.add(cid, "assistant", writer.text(lang, rng.randint(200, 1500)))
        else:
            rows = store.query("SELECT id, conversation_id, length(content) FROM messages ORDER BY rowid")
            first = {}
            for message_id, cid, length in rows:
                first.setdefault(cid, message_id)
                text = writer.text(langs[cid], max(1, min(4000, length)))
                if cid in rare.get(langs[cid], ()) and first[cid] == message_id:
                    text = f"{RARE[langs[cid]]}{text}"
                messages.save_partial(message_id, text)
    store.conn.execute("PRAGMA optimize")
    store.close()
    (home / "ready").write_text("")
    log(f"  {shape}: written in {time.perf_counter() - t0:.1f} s ({db.stat().st_size / 1e6:.0f} MB)")
    return home


def measure(db: Path, rounds: int) -> dict[str, dict[str, list[float] | int]]:
    """In this process (its own `promptstudio_tui` on sys.path): every query, `rounds` times."""
    from promptstudio_tui.store import open_store
    from promptstudio_tui.store.conversations import Conversations

    store = open_store(db)
    conversations = Conversations(store)
    out: dict[str, dict] = {}
    for _label, q in QUERIES:  # warm: the first call pays for statements and pages
        conversations.page(query=q, limit=100)
    for _ in range(rounds):
        for _label, q in QUERIES:
            t0 = time.perf_counter()
            page = conversations.page(query=q, limit=100)
            t1 = time.perf_counter()
            n = conversations.count(query=q)
            t2 = time.perf_counter()
            entry = out.setdefault(q, {"page": [], "count": [], "ids": [c.id for c in page], "n": n})
            entry["page"].append(t1 - t0)
            entry["count"].append(t2 - t1)
    store.close()
    return out


def run_version(src: Path, db: Path, rounds: int) -> dict:
    env = {**os.environ, "PYTHONPATH": str(src)}
    argv = [sys.executable, __file__, "--measure", str(db), "--rounds", str(rounds)]
    done = subprocess.run(argv, env=env, capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reps", type=int, default=5, help="rounds per version (median reported)")
    parser.add_argument("--shapes", default="some,most", help="some, most or both (comma-separated)")
    parser.add_argument("--before", help="also measure this commit's code (e.g. HEAD~1), interleaved")
    parser.add_argument("--work", type=Path, help="keep the prepared stores here and reuse them")
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--rounds", type=int, default=1, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.measure:
        print(json.dumps(measure(args.measure, args.rounds)))
        return 0

    def log(text: str) -> None:
        print(text, file=sys.stderr, flush=True)

    import run

    seeded, _info = run.ensure_seeded(10_000, log)
    work = args.work or Path(tempfile.mkdtemp(prefix="psbench-scripts-"))
    work.mkdir(parents=True, exist_ok=True)
    versions = {"now": ROOT / "src"}
    if args.before:
        before = work / "before"
        shutil.rmtree(before, ignore_errors=True)
        before.mkdir()
        archive = subprocess.run(
            ["git", "-C", str(ROOT), "archive", args.before, "src"], capture_output=True, check=True
        )
        subprocess.run(["tar", "-x", "-C", str(before)], input=archive.stdout, check=True)
        versions = {f"before ({args.before})": before / "src", **versions}
    load_start = os.getloadavg()[0]
    try:
        for shape in [s for s in args.shapes.split(",") if s]:
            log(f"preparing {shape} ...")
            home = prepare(shape, seeded, work, log)
            results: dict[str, dict] = {v: {} for v in versions}
            for _ in range(args.reps):  # interleaved: both versions see the same load
                for version, src in versions.items():
                    for q, entry in run_version(src, home / "promptstudio.db", 1).items():
                        into = results[version].setdefault(q, {**entry, "page": [], "count": []})
                        into["page"] += entry["page"]
                        into["count"] += entry["count"]
            report(shape, results)
    finally:
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)
    print(f"\n(load average {load_start:.1f} at start, {os.getloadavg()[0]:.1f} at end)")
    return 0


def report(shape: str, results: dict[str, dict]) -> None:
    names = list(results)
    print(f"\nshape {shape!r}: median ms of page(query, limit=100) + count(query) — " + " | ".join(names))
    header = f"{'query':<22}{'':<12}{'matches':>8}"
    header += f"  {'page':>7}{'count':>7}{'sum':>7}" * len(names)
    print(header)
    for label, q in QUERIES:
        first = results[names[0]][q]
        line = f"{label:<22}{q:<12}{first['n']:>8,}"
        for name in names:
            entry = results[name][q]
            page, count = med(entry["page"]) * 1000, med(entry["count"]) * 1000
            line += f"  {page:>7.1f}{count:>7.1f}{page + count:>7.1f}"
        same = all(results[n][q]["ids"] == first["ids"] and results[n][q]["n"] == first["n"] for n in names)
        print(line + ("" if same else "   <- results differ between versions"))


if __name__ == "__main__":
    sys.exit(main())
