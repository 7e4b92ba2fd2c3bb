"""A word of one or two characters in a script without spaces (Chinese, Japanese, Thai) is
looked up — through the trigram index's vocabulary and the messages' last characters (m011) —
and not read for in every message; it finds exactly the conversations reading finds, in the
same order, in titles, tags and messages alike."""

from __future__ import annotations

import itertools
import re
import sqlite3
from pathlib import Path

import pytest
import sqlite_utils

from promptstudio_tui.store import conversations as conversations_module
from promptstudio_tui.store import open_store, search
from promptstudio_tui.store.conversations import Conversations
from promptstudio_tui.store.db import Store
from promptstudio_tui.store.messages import Messages
from promptstudio_tui.store.schema import migrations

# (title, tags, messages, status, starred): the word at the start, inside, at the very end, as
# the whole text, in the last but one character; in titles and tags only; with ASCII letters
# and digits beside it; next to a double quote; in four-byte ideographs and half-width kana.
CORPUS = [
    ("发布计划", [], ["我们明天发布新版本", "好的"], "active", 0),
    ("Release plan", ["发布"], ["docker 部署指南"], "active", 0),
    ("会議メモ", ["議事録"], ["来週の会議について", "議事録を共有します。"], "active", 1),
    ("Thai", [], ["ช่วยเขียนบันทึกประจำรุ่น", "ขอบคุณครับ"], "active", 0),
    ("one", [], ["好"], "active", 0),
    ("ends with it", [], ["我要发布"], "active", 0),
    ("last but one", [], ["请写。", "写"], "active", 0),
    ("stocks", [], ["今天A股大涨", "a股", "K股"], "active", 1),
    ("Kelvin", [], ["\u212a股 rose"], "active", 0),  # the trigram index folds the Kelvin sign to k, LIKE does not
    ("March", [], ["3月的计划", "计划3月"], "active", 0),
    ("quoted", [], ['他说"发布"了', '"发'], "active", 0),
    ("mixed", ["部署"], ["Docker 部署 in the 发布 pipeline"], "active", 0),
    ("latin only", ["release"], ["nothing here but release notes"], "active", 0),
    ("archived one", [], ["发布说明", "会議"], "archived", 0),
    ("starred one", [], ["会議室を予約"], "active", 1),
    ("apart", [], ["只有发布", "只有会議"], "active", 0),
    ("rare ideographs", [], ["𠀋𠀌𠀍", "ｶﾀｶﾅで書く"], "active", 0),
    ("ข", [], ["english words only"], "active", 0),
    ("", ["写"], ["title empty, tag short"], "active", 0),
    ("好的好的", [], [], "active", 0),
]
TEXTS = [text for title, tags, messages, *_ in CORPUS for text in (title, *tags, *messages)]


def build(store: Store) -> Conversations:
    conversations, messages = Conversations(store), Messages(store)
    for title, tags, texts, status, starred in CORPUS:
        conversation = conversations.create(title, tags=tags)
        for i, text in enumerate(texts):
            messages.add(conversation.id, "user" if i % 2 == 0 else "assistant", text)
        if status != "active" or starred:
            conversations.update(conversation.id, status=status, is_starred=starred)
    return conversations


def short_queries() -> list[str]:
    """Every one- and two-character piece of the corpus, each once, with case variants of its
    ASCII letters; and some found nowhere."""
    pieces = set()
    for text in TEXTS:
        for word in search.search_words(text):
            for size in (1, 2):
                for start in range(len(word) - size + 1):
                    piece = word[start : start + size]
                    if search.search_words(piece) == [piece] and search._no_spaces().search(piece):
                        pieces |= {"".join(v) for v in itertools.product(*({c.lower(), c.upper()} for c in piece))}
    return sorted(pieces | {"无无", "ญ", "k股", "𠀍x"})


# Several pieces at once: every one must be in the same message (or in the title and tags).
SEVERAL = ["发布 会議", "发布 写", "好 的", "会議 議", "A股 今天", "发布 布", "写 请"]


def like(text: str, piece: str) -> bool:
    """SQL's LIKE '%piece%': a substring, ASCII letters in either case."""
    fold = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
    return piece.translate(fold) in text.translate(fold)


def expected(store: Store, query: str, tab: str, order: str) -> list[str]:
    """The conversations reading every text finds, in list order (computed here, not by the store)."""
    pieces = search.search_words(query)
    tabs = {
        "all": "status = 'active'",
        "archived": "status = 'archived'",
        "starred": "status = 'active' AND is_starred",
    }
    rows = store.query(f"SELECT id, title, tags FROM conversations WHERE {tabs[tab]} ORDER BY {order}")
    found = []
    for row in rows:
        texts = [m[0] for m in store.query("SELECT content FROM messages WHERE conversation_id = ?", (row["id"],))]
        in_row = all(like(row["title"], p) or like(row["tags"], p) for p in pieces)
        if in_row or any(all(like(text, p) for p in pieces) for text in texts):
            found.append(row["id"])
    return found


ORDERS = {
    "recent": "last_message_at DESC, id DESC",
    "title": "title COLLATE NOCASE ASC, id DESC",
    "starred": "is_starred DESC, last_message_at DESC, id DESC",
}


def check(conversations: Conversations, query: str) -> None:
    store = conversations.store
    for tab in ("all", "archived", "starred"):
        want = expected(store, query, tab, ORDERS["recent"])
        assert conversations.count(tab, query) == len(want), (query, tab)
        assert [c.id for c in conversations.page(tab, "recent", query)] == want, (query, tab)
    for sort, order in ORDERS.items():
        want = expected(store, query, "all", order)
        # One row a page: the walk stops early or gives way to the lookup; every page agrees.
        paged = [c.id for offset in range(len(want) + 1) for c in conversations.page("all", sort, query, offset, 1)]
        assert paged == want, (query, sort)
        assert [c.id for c in conversations.page("all", sort, query, 0, 3)] == want[:3], (query, sort)


@pytest.fixture
def corpus(tmp_path: Path) -> Conversations:
    return build(open_store(tmp_path / "p.db"))


def test_the_store_looks_short_pieces_up(corpus: Conversations) -> None:
    probe = search.parse(corpus.store, "发布")
    assert probe is not None and probe.looks_up_short


@pytest.mark.parametrize("how", ["looked-up", "walked-then-looked-up", "read-for"])
def test_one_and_two_characters_find_what_reading_finds(
    corpus: Conversations, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    """Every one- and two-character piece of the corpus (and a few found nowhere), alone and
    several at once, in every tab, sort and page size: the same conversations, in the same
    order, whether the store looks the pieces up (at once, as it does for a rare piece, or
    after a walk of the newest conversations, as for a common one) or reads every text."""
    if how == "walked-then-looked-up":  # no piece is rare enough to be looked up at once
        monkeypatch.setattr(conversations_module, "SPARSE_MATCHES", 0)
    if how == "read-for":
        monkeypatch.setattr(search.Search, "looks_up_short", property(lambda self: False))
    queries = short_queries()
    assert {"发布", "好", "写", "A股", "a股", "3月", "ข", "𠀋", "ｶﾀ", "会議"} <= set(queries)
    for query in queries + SEVERAL:
        check(corpus, query)


def test_pieces_of_three_characters_and_words_beside_them_are_unchanged(corpus: Conversations) -> None:
    titles = {c.id: c.title for c in corpus.page(query="")} | {c.id: c.title for c in corpus.page("archived", query="")}

    def found(query: str, tab: str = "all") -> list[str]:
        return sorted(titles[c.id] for c in corpus.page(tab, query=query))

    assert found("发布说明", "archived") == ["archived one"]
    assert found("議事録") == ["会議メモ"]
    assert found("docker 部署") == ["Release plan", "mixed"]
    assert found("pipeline 发布") == ["mixed"]
    assert found("release 发布") == ["Release plan"]  # in the title and the tags: the conversation's own row
    assert found("release") == ["Release plan", "latin only"]


def test_the_lookup_reads_no_table_of_messages_through(corpus: Conversations, monkeypatch) -> None:
    """The plan of every statement the list runs for a short piece searches the messages
    (by index) and never scans them all; reading every message is what it replaces."""
    store = corpus.store
    statements: list[tuple[str, object]] = []

    def recording(original):
        def run(sql, params=()):
            statements.append((sql, params))
            return original(sql, params)

        return run

    for name in ("query", "rows"):
        monkeypatch.setattr(store, name, recording(getattr(store, name)))
    for query in ("张伟", "写", "会議", "A股", "发布 好"):
        corpus.count("all", query)
        corpus.page("all", "recent", query, 0, 1)
        corpus.page("all", "starred", query)
    plans = [
        row["detail"]
        for sql, params in statements
        if "messages" in sql
        for row in store.conn.execute(f"EXPLAIN QUERY PLAN {sql}", params)
    ]
    assert any(re.match(r"SEARCH (messages|m)\b", detail) for detail in plans)
    assert not [detail for detail in plans if re.match(r"SCAN (messages|m)\b", detail)]


def test_a_common_piece_is_read_for_in_a_short_walk_only(corpus: Conversations, monkeypatch) -> None:
    """When a piece is not rare, the newest conversations are read for it, four per row
    wanted, and then it is looked up: never is the whole list read."""
    monkeypatch.setattr(conversations_module, "SPARSE_MATCHES", 0)
    budgets = []
    walk = Conversations._walk

    def recording(self, tab, sort, search_, wanted, budget):
        budgets.append(budget)
        return walk(self, tab, sort, search_, wanted, budget)

    monkeypatch.setattr(Conversations, "_walk", recording)
    oldest = corpus.page("all", "recent", "计划")[-1]
    budgets.clear()
    assert [c.id for c in corpus.page("all", "recent", "计划", 1, 1)] == [oldest.id]  # past the walk
    assert budgets == [4 * 2]


def test_of_several_short_pieces_the_rarest_is_looked_up(corpus: Conversations) -> None:
    """The others are read for among the messages it finds: few when one piece is rare."""
    for query, rarest in (("的 𠀋", "𠀋"), ("𠀋 的", "𠀋"), ("发布 A股", "A股"), ("好", "好")):
        parsed = search.parse(corpus.store, query)
        assert parsed is not None
        chosen, _ = search.rarest_looked_up(corpus.store, parsed, 2_001)
        assert chosen.pieces[chosen.looked_up] == rarest


def test_edits_and_deletes_are_followed(corpus: Conversations) -> None:
    messages = Messages(corpus.store)
    conversation = corpus.create("edited")
    message = messages.add(conversation.id, "user", "今晚发布")
    assert conversation.id in [c.id for c in corpus.page(query="发布")]
    messages.save_partial(message.id, "now in English only")
    assert conversation.id not in [c.id for c in corpus.page(query="发布")]
    messages.save_partial(message.id, "最后是布")
    assert conversation.id in [c.id for c in corpus.page(query="是布")]
    corpus.delete(conversation.id)
    check(corpus, "是布")
    check(corpus, "发布")


def test_a_store_from_before_the_lookup_is_upgraded(tmp_path: Path) -> None:
    """Texts written before the upgrade — with the piece at their very end too — are found
    by the lookup the upgrade adds, exactly as reading them finds them."""
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)
    migrations.apply(sqlite_utils.Database(conn, execute_plugins=False), stop_before="m011_search_short_pieces")
    for n, (title, tags, texts, status, starred) in enumerate(CORPUS):
        conn.execute(
            "INSERT INTO conversations (id, title, tags, status, is_starred, created_at, updated_at, last_message_at)"
            " VALUES (?, ?, ?, ?, ?, 'x', 'x', ?)",
            (f"c{n:02}", title, str(tags).replace("'", '"'), status, starred, f"2024-01-{n + 1:02}"),
        )
        for i, text in enumerate(texts):
            conn.execute(
                "INSERT INTO messages (id, conversation_id, role, content, created_at, updated_at)"
                " VALUES (?, ?, 'user', ?, 'x', 'x')",
                (f"m{n:02}{i}", f"c{n:02}", text),
            )
    conn.commit()
    conn.close()
    store = open_store(path)
    names = {row[0] for row in store.query("SELECT name FROM sqlite_master")}
    assert {search.VOCABULARY, "idx_messages_last_two", "idx_messages_last_one"} <= names
    conversations = Conversations(store)
    for query in ("发布", "好", "写", "会議", "A股", "k股", "ข", "𠀍", "的"):
        check(conversations, query)


def test_without_a_trigram_index_short_pieces_are_read_for(tmp_path: Path, monkeypatch) -> None:
    """An SQLite too old for trigrams: the upgrade adds nothing, every piece is read for."""
    monkeypatch.setattr(search, "trigrams_supported", lambda: False)
    store = open_store(tmp_path / "p.db")
    conversations = build(store)
    names = {row[0] for row in store.query("SELECT name FROM sqlite_master")}
    assert search.VOCABULARY not in names and "idx_messages_last_two" not in names
    for query in ("发布", "好", "写", "A股", "会議", "議事録", "发布 会議"):
        check(conversations, query)
