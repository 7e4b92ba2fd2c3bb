"""Search finds words in scripts written without spaces (Chinese, Japanese, Thai), as
well as in those with spaces; esc in the search box empties it."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
import sqlite_utils
from textual.widgets import Input

from promptstudio_tui.app import PromptStudioApp
from promptstudio_tui.store import open_store, search
from promptstudio_tui.store.conversations import Conversations
from promptstudio_tui.store.messages import Messages
from promptstudio_tui.store.prompts import Prompts
from promptstudio_tui.store.schema import migrations
from repos import repos
from tui_fixtures import SIZE, frozen_clock, screen, wait_for

CHINESE = "我需要一个提示词来写发布说明"
JAPANESE = "リリースノートを書いてください"
THAI = "ช่วยเขียนบันทึกประจำรุ่น"


def seed(path: Path) -> tuple[Conversations, Prompts, dict[str, str]]:
    store = open_store(path)
    conversations, messages, prompts = Conversations(store), Messages(store), Prompts(store)
    ids = {}
    for title, text in (
        ("Chinese", CHINESE),
        ("Japanese", JAPANESE),
        ("Thai", THAI),
        ("English", "Help me write docker release notes"),
    ):
        conversation = conversations.create(title)
        messages.add(conversation.id, "user", text)
        ids[title] = conversation.id
    return conversations, prompts, ids


def found(conversations: Conversations, query: str) -> list[str]:
    titles = sorted(c.title for c in conversations.page(query=query))
    assert conversations.count(query=query) == len(titles)  # the count agrees with the page
    return titles


@pytest.mark.parametrize("trigrams", [True, False], ids=["trigram-index", "sqlite-without-trigrams"])
def test_words_inside_text_without_spaces_are_found(tmp_path: Path, monkeypatch, trigrams: bool) -> None:
    """Three characters or more come from the trigram index, shorter ones from the text;
    with an SQLite too old for trigrams every such word is looked for in the text."""
    monkeypatch.setattr(search, "trigrams_supported", lambda: trigrams)
    conversations, _, _ = seed(tmp_path / "p.db")
    assert found(conversations, "发布说明") == ["Chinese"]
    assert found(conversations, "提示词") == ["Chinese"]
    assert found(conversations, "说明") == ["Chinese"]  # two characters: no trigram
    assert found(conversations, "写") == ["Chinese"]
    assert found(conversations, "リリースノート") == ["Japanese"]
    assert found(conversations, "ノート") == ["Japanese"]
    assert found(conversations, "บันทึก") == ["Thai"]
    assert found(conversations, "说明书") == []
    # Words with spaces between them are still found by prefix, and every word must match.
    assert found(conversations, "releas") == ["English"]
    assert found(conversations, "docker 提示词") == []
    assert found(conversations, "%说明") == ["Chinese"]  # LIKE's wildcards are plain text


def test_mixed_scripts_in_one_text_and_in_titles(tmp_path: Path) -> None:
    conversations, _, ids = seed(tmp_path / "p.db")
    mixed = conversations.create("发布说明 for the CLI")
    Messages(conversations.store).add(mixed.id, "user", "Docker 部署指南")
    assert found(conversations, "docker 部署") == ["发布说明 for the CLI"]
    assert found(conversations, "部署指南 dock") == ["发布说明 for the CLI"]
    assert found(conversations, "CLI 说明") == ["发布说明 for the CLI"]
    assert found(conversations, "发布说明") == ["Chinese", "发布说明 for the CLI"]
    conversations.update(ids["Chinese"], title="Renamed")
    assert found(conversations, "发布说明") == ["Renamed", "发布说明 for the CLI"]


def test_the_trigram_index_follows_edits_and_deletes(tmp_path: Path) -> None:
    conversations, _, ids = seed(tmp_path / "p.db")
    messages = Messages(conversations.store)
    message = messages.add(ids["English"], "user", "部署在服务器上")
    assert found(conversations, "服务器") == ["English"]
    messages.save_partial(message.id, "now in English only")
    assert found(conversations, "服务器") == []
    messages.save_partial(message.id, "再次部署到服务器")
    assert found(conversations, "服务器") == ["English"]
    conversations.delete(ids["English"])
    assert found(conversations, "服务器") == []
    assert found(conversations, "发布说明") == ["Chinese"]


def test_prompts_are_found_the_same_way(tmp_path: Path) -> None:
    _, prompts, ids = seed(tmp_path / "p.db")
    prompt = prompts.add(title="リリースノート作成", content="你是一个发布说明写手", conversation_id=ids["Japanese"])
    prompts.add(title="Release notes writer", content="You write release notes", conversation_id=ids["English"])
    assert [p.id for p in prompts.list(query="リリース")] == [prompt.id]
    assert [p.id for p in prompts.list(query="说明")] == [prompt.id]
    assert [p.id for p in prompts.list(query="发布说明", conversation_id=ids["English"])] == []
    assert len(prompts.list(query="release")) == 1


def test_texts_stored_before_the_upgrade_are_indexed(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)
    migrations.apply(sqlite_utils.Database(conn, execute_plugins=False), stop_before="m007_search_trigram")
    conn.execute(
        "INSERT INTO conversations (id, title, created_at, updated_at, last_message_at)"
        " VALUES ('c1', 'old', 'x', 'x', 'x')"
    )
    conn.execute(
        "INSERT INTO messages (id, conversation_id, role, content, created_at, updated_at)"
        f" VALUES ('m1', 'c1', 'user', '{CHINESE}', 'x', 'x')"
    )
    conn.commit()
    conn.close()
    assert found(Conversations(open_store(path)), "发布说明") == ["old"]


async def test_the_search_box_finds_chinese_and_esc_clears_it(make_studio, endpoint) -> None:
    studio = make_studio()
    for title, text in (("Chinese", CHINESE), ("Japanese", JAPANESE), ("English", "release notes")):
        conversation = studio.new_conversation(title=title)
        repos(studio).messages.add(conversation.id, "user", text)
    everything = ["English", "Japanese", "Chinese"]
    app = PromptStudioApp(studio=studio, clock=frozen_clock)
    async with app.run_test(size=SIZE) as pilot:
        rows = screen(pilot).conversation_list
        await wait_for(pilot, lambda: [c.title for c in rows.rows] == everything)
        await pilot.press("ctrl+f")
        box = screen(pilot).query_one("#search", Input)
        box.insert_text_at_cursor("发布说明")  # as an input method delivers it: the word at once
        await wait_for(pilot, lambda: [c.title for c in rows.rows] == ["Chinese"])
        await pilot.press("escape")
        assert box.value == ""
        await wait_for(pilot, lambda: [c.title for c in rows.rows] == everything)
