"""The prompt library, a conversation's tags and its model: through the studio and the installed CLI."""

from __future__ import annotations

import json

import pytest

from promptstudio_tui.events import StudioError
from promptstudio_tui.library import MAX_TAGS, TAG_CHARS, split_tags


def _library(studio):
    notes = studio.import_prompt(
        "---\ntitle: Release notes\ntags: [发布, Email]\n---\nWrite 发布说明 for {{product}}.\n"
    )
    support = studio.import_prompt("Answer support emails kindly.", title="Support replies")
    studio.save_prompt(support.id, title=support.title, category="Business", tags=["email", "support"])
    studio.favourite_prompt(support.id, True)
    poem = studio.import_prompt("A haiku about autumn.", title="autumn haiku")
    return notes, support, poem


def _titles(prompts) -> list[str]:
    return [p.title for p in prompts]


def test_search_filter_and_sort(studio) -> None:
    _library(studio)
    assert _titles(studio.find_prompts()) == ["autumn haiku", "Support replies", "Release notes"]
    assert _titles(studio.find_prompts(sort="title")) == ["autumn haiku", "Release notes", "Support replies"]
    assert _titles(studio.find_prompts(search="support kind")) == ["Support replies"]
    assert _titles(studio.find_prompts(search="发布")) == ["Release notes"]  # a tag (and text) in Chinese
    assert _titles(studio.find_prompts(tag="EMAIL", sort="title")) == ["Release notes", "Support replies"]
    assert _titles(studio.find_prompts(tag="发布")) == ["Release notes"]
    assert _titles(studio.find_prompts(category="business")) == ["Support replies"]
    assert _titles(studio.find_prompts(favourites=True)) == ["Support replies"]
    assert _titles(studio.find_prompts(tag="email", favourites=True, search="release")) == []
    assert studio.prompt_tags() == ["Email", "support", "发布"]
    assert "Business" in studio.prompt_categories()


def test_tags_are_stored_as_typed(studio) -> None:
    import sqlite3

    conversation = studio.new_conversation()
    studio.tag_conversation(conversation.id, ["发布"])
    with sqlite3.connect(studio.paths.database) as db:
        (tags,) = db.execute("SELECT tags FROM conversations WHERE id = ?", (conversation.id,)).fetchone()
    assert tags == '["发布"]'


def test_conversation_tags_are_cleaned_and_found(studio) -> None:
    conversation = studio.new_conversation(title="Launch plan")
    studio.new_conversation(title="Other")
    typed = f" rocket ,Rocket, 发布说明 ,, {'x' * 100}, a\nb"
    tagged = studio.tag_conversation(conversation.id, split_tags(typed))
    assert tagged.tags == ["rocket", "发布说明", "x" * (TAG_CHARS - 1) + "…", "a b"]
    for words in ("rock", "发布", "发布说明"):
        rows, total = studio.conversation_page("all", "recent", words, 0, 10)
        assert ([r.title for r in rows], total) == (["Launch plan"], 1), words
    assert len(studio.tag_conversation(conversation.id, [f"t{i}" for i in range(50)]).tags) == MAX_TAGS
    assert studio.tag_conversation(conversation.id, []).tags == []
    assert studio.conversation_page("all", "recent", "rocket", 0, 10)[1] == 0


def test_a_conversation_keeps_its_model(studio) -> None:
    conversation = studio.new_conversation()
    assert conversation.model is None
    assert studio.model_of(conversation) == "gpt-4o-mini"  # the configured default
    chosen = studio.set_conversation_model(conversation.id, "gpt-4.1")
    assert studio.model_of(studio.conversation(conversation.id)) == "gpt-4.1" == chosen.model
    assert studio.model_of(studio.new_conversation()) == "gpt-4o-mini"
    with pytest.raises(StudioError):
        studio.set_conversation_model(conversation.id, "  ")


def test_cli_list_flags(run, studio) -> None:
    _library(studio)

    def titles(*flags: str) -> list[str]:
        return [line.partition(" tok  ")[2] for line in run("prompts", "list", *flags).stdout.splitlines()]

    assert titles() == ["autumn haiku", "Support replies", "Release notes"]
    assert titles("--search", "support", "emails") == ["Support replies"]
    assert titles("--search", "发布") == ["Release notes"]
    assert titles("--tag", "email", "--sort", "a-z") == ["Release notes", "Support replies"]
    assert titles("--favourite") == ["Support replies"]
    assert titles("--category", "Business", "--favourite") == ["Support replies"]
    listed = json.loads(run("prompts", "list", "--json", "--tag", "support").stdout)
    assert [p["title"] for p in listed] == ["Support replies"]
    assert "--favourite" in run("prompts", "list", "--help").stdout


def test_a_configured_category_is_one_the_cli_takes(run, config_file, endpoint) -> None:
    assert "Unknown category 'legal'" in run("send", "--category", "legal", "x", check=1).stderr
    config_file.write_text('categories = ["Legal"]\n', encoding="utf-8")
    run("send", "--category", "legal", "A prompt for contract reviews")
    listing = json.loads(run("conversations", "list", "--json").stdout)
    assert [c["category"] for c in listing] == ["Legal"]
