"""Prompt versions through the service over real HTTP: generate, refine, edit, restore, diff, import."""

from __future__ import annotations

import pytest

from loopback import Scenario
from promptstudio_tui import tokens
from promptstudio_tui.events import PromptDelta, PromptReady, StudioError
from promptstudio_tui.studio import Studio
from repos import repos


async def collect(events):
    return [event async for event in events]


def sent_text(endpoint) -> str:
    """Everything the last request carried, every message joined."""
    return "\n".join(m["content"] for m in endpoint.requests[-1].body["messages"])


async def chat(studio: Studio, endpoint, conversation_id: str, text: str, reply: str) -> None:
    endpoint.script(Scenario(reply=reply))
    await collect(studio.send(conversation_id, text))


async def generate(studio: Studio, endpoint, conversation_id: str, text: str) -> PromptReady:
    endpoint.script(Scenario(reply=text))
    ready = (await collect(studio.generate(conversation_id)))[-1]
    assert isinstance(ready, PromptReady)
    return ready


async def test_generate_again_refines_the_latest_version_with_only_the_newer_turns(studio: Studio, endpoint) -> None:
    conv = studio.new_conversation()
    await chat(studio, endpoint, conv.id, "EARLY-REQUIREMENT answers in French", "EARLY-REPLY noted")
    first = await generate(studio, endpoint, conv.id, "You answer in French. FIRST-VERSION")
    assert (first.version.number, first.version.source, first.prompt.version) == (1, "generated", 1)

    await chat(studio, endpoint, conv.id, "LATER-REQUIREMENT also keep it short", "LATER-REPLY sure")
    second = await generate(studio, endpoint, conv.id, "You answer in French, briefly. SECOND-VERSION")

    sent = sent_text(endpoint)
    assert "FIRST-VERSION" in sent  # the current version is revised …
    assert "LATER-REQUIREMENT" in sent and "LATER-REPLY" in sent  # … with the turns since it was made
    assert "EARLY-REQUIREMENT" not in sent and "EARLY-REPLY" not in sent  # … and only those
    assert second.prompt.id == first.prompt.id  # the conversation's one prompt, not a new one
    assert (second.version.number, second.version.source) == (2, "refined")
    assert second.prompt.content == second.version.content == "You answer in French, briefly. SECOND-VERSION"
    assert [p.id for p in studio.prompts_for(conv.id)] == [first.prompt.id]
    assert studio.prompt_of(conv.id) == second.prompt
    assert [v.content for v in studio.versions(first.prompt.id)] == [first.version.content, second.version.content]
    assert [r.key for r in studio.usage_report().by_type if r.key == "prompt_optimization"] == ["prompt_optimization"]
    assert studio.quota_status().used.requests == 4  # two replies, two generations


async def test_generate_with_nothing_new_is_refused_before_any_request(studio: Studio, endpoint) -> None:
    conv = studio.new_conversation()
    await chat(studio, endpoint, conv.id, "a prompt for haiku", "About what?")
    await generate(studio, endpoint, conv.id, "Write haiku.")
    before = len(endpoint.requests)
    with pytest.raises(StudioError, match=r"Nothing was said since v1 was made: .* press ctrl\+g again"):
        await collect(studio.generate(conv.id))
    assert len(endpoint.requests) == before
    assert studio.quota_status().reserved_requests == 0


async def test_refine_by_instruction_makes_the_next_version_and_leaves_newer_turns_for_later(
    studio: Studio, endpoint
) -> None:
    conv = studio.new_conversation()
    await chat(studio, endpoint, conv.id, "OLD-TURN a prompt for tweets", "OLD-REPLY ok")
    first = await generate(studio, endpoint, conv.id, "Write a tweet about {{topic}}.")
    await chat(studio, endpoint, conv.id, "PENDING-TURN add hashtags", "PENDING-REPLY will do")

    endpoint.script(Scenario(reply="Write a short tweet about {{topic}}."))
    events = await collect(studio.refine(first.prompt.id, "  make it shorter "))
    assert any(isinstance(e, PromptDelta) for e in events)
    refined = events[-1]
    assert isinstance(refined, PromptReady)
    sent = sent_text(endpoint)
    assert "make it shorter" in sent and "Write a tweet about {{topic}}." in sent
    assert (refined.version.number, refined.version.source) == (2, "refined")
    assert refined.version.metadata["instruction"] == "make it shorter"

    # The talk since v1 was not part of the instruction: the next ctrl+g still takes it in.
    await generate(studio, endpoint, conv.id, "Write a short tweet about {{topic}} #tag.")
    sent = sent_text(endpoint)
    assert "PENDING-TURN" in sent and "Write a short tweet about {{topic}}." in sent and "OLD-TURN" not in sent

    with pytest.raises(StudioError, match="Say what should change"):
        await collect(studio.refine(first.prompt.id, "   "))


async def test_a_refine_that_fails_makes_no_version_and_settles_its_quota(studio: Studio, endpoint) -> None:
    conv = studio.new_conversation()
    await chat(studio, endpoint, conv.id, "a prompt", "sure")
    first = await generate(studio, endpoint, conv.id, "Version one.")
    endpoint.script(Scenario(reply="Version two, cut", cut_off_after_chars=7))
    with pytest.raises(StudioError, match="No new version"):
        await collect(studio.refine(first.prompt.id, "shorter"))
    assert [v.number for v in studio.versions(first.prompt.id)] == [1]
    assert studio.prompt(first.prompt.id).content == "Version one."
    assert studio.quota_status().reserved_requests == 0
    assert studio.quota_status().used.requests == 3  # the cut-off request spent tokens: counted


async def test_versions_diff_restore_and_bad_numbers(studio: Studio, endpoint) -> None:
    conv = studio.new_conversation()
    await chat(studio, endpoint, conv.id, "a prompt for summaries", "ok")
    prompt = (await generate(studio, endpoint, conv.id, "Summarise the text in three bullets.")).prompt
    with pytest.raises(StudioError, match="only one version"):
        studio.diff(prompt.id)
    await chat(studio, endpoint, conv.id, "five bullets please", "ok")
    await generate(studio, endpoint, conv.id, "Summarise the text in five bullets.")

    diff = studio.diff(prompt.id)
    assert (diff.old.number, diff.new.number) == (1, 2)
    assert diff.words.plain() == "Summarise the text in [-three-]{+five+} bullets."

    restored = studio.restore(prompt.id, 1)
    assert (restored.number, restored.source, restored.content) == (
        3,
        "restored",
        "Summarise the text in three bullets.",
    )
    assert restored.metadata["restored_from"] == 1
    # History is never rewritten: v1 and v2 are exactly as they were.
    assert [(v.number, v.source, v.content) for v in studio.versions(prompt.id)] == [
        (1, "generated", "Summarise the text in three bullets."),
        (2, "refined", "Summarise the text in five bullets."),
        (3, "restored", "Summarise the text in three bullets."),
    ]
    assert studio.prompt(prompt.id).content == restored.content
    assert not studio.diff(prompt.id, 1).words.changed  # v1 against the latest (v3): no changes
    assert studio.diff(prompt.id, 3, 2).words.plain() == "Summarise the text in [-three-]{+five+} bullets."
    assert studio.version(prompt.id, 2).content == "Summarise the text in five bullets."
    assert studio.version(prompt.id).number == 3

    with pytest.raises(StudioError, match=rf"^Prompt {prompt.id} has no version 7 \(it has 1–3\)\.$"):
        studio.version(prompt.id, 7)
    with pytest.raises(StudioError, match="has no version 0"):
        studio.diff(prompt.id, 0)
    with pytest.raises(StudioError, match="same text as the latest version, v3: nothing to restore"):
        studio.restore(prompt.id, 1)
    assert len(studio.versions(prompt.id)) == 3


async def test_edit_makes_a_version_only_for_a_changed_text(studio: Studio, endpoint) -> None:
    conv = studio.new_conversation()
    await chat(studio, endpoint, conv.id, "a prompt", "ok")
    prompt = (await generate(studio, endpoint, conv.id, "Answer politely.")).prompt

    assert studio.edit_prompt(prompt.id, "Answer politely.\n") is None  # an editor's final newline is no change
    with pytest.raises(StudioError, match="empty prompt cannot be saved"):
        studio.edit_prompt(prompt.id, " \n\t ")
    assert [v.number for v in studio.versions(prompt.id)] == [1]

    edited = studio.edit_prompt(prompt.id, "Answer politely and briefly.\n")
    assert edited is not None
    assert (edited.number, edited.source, edited.content, edited.model) == (
        2,
        "edited",
        "Answer politely and briefly.",
        None,
    )
    assert edited.tokens > 0
    assert studio.prompt(prompt.id).content == "Answer politely and briefly."
    assert studio.quota_status().used.requests == 2  # an edit is no request


async def test_import_seeds_a_conversation_and_generate_improves_the_imported_text(studio: Studio, endpoint) -> None:
    text = "---\ntitle: Code reviewer\ntags: [python, review]\n---\nYou review pull requests.\nBe kind.\n"
    prompt = studio.import_prompt(text)
    assert (prompt.title, prompt.tags, prompt.content, prompt.version) == (
        "Code reviewer",
        ["python", "review"],
        "You review pull requests.\nBe kind.",
        1,
    )
    [v1] = studio.versions(prompt.id)
    assert (v1.source, v1.content) == ("imported", "You review pull requests.\nBe kind.")
    assert prompt.conversation_id is not None
    conversation = studio.conversation(prompt.conversation_id)
    assert conversation.title == "Code reviewer"
    [seed] = studio.history(conversation.id)
    assert seed.role == "user" and "You review pull requests." in seed.content
    assert studio.prompt_of(conversation.id) == prompt

    # Talk about what it lacks, then ctrl+g: an improvement of the imported text, as v2.
    await chat(studio, endpoint, conversation.id, "IT-LACKS a checklist", "A checklist of what?")
    improved = await generate(
        studio, endpoint, conversation.id, "You review pull requests.\nBe kind.\nUse a checklist."
    )
    sent = sent_text(endpoint)
    assert "You review pull requests." in sent and "IT-LACKS" in sent
    assert (improved.prompt.id, improved.version.number, improved.version.source) == (prompt.id, 2, "generated")
    assert studio.diff(prompt.id).words.plain() == "You review pull requests.\nBe kind.{+\nUse a checklist.+}"


async def test_import_without_talk_improves_at_once_and_titles_from_the_first_line(studio: Studio, endpoint) -> None:
    prompt = studio.import_prompt("# Release notes writer\n\nWrite release notes from {{commits}}.")
    assert (prompt.title, prompt.tags) == ("Release notes writer", [])
    assert studio.import_prompt("Plain text.", title="From file").title == "From file"
    assert prompt.conversation_id is not None
    improved = await generate(studio, endpoint, prompt.conversation_id, "Better release notes from {{commits}}.")
    assert "Write release notes from {{commits}}." in sent_text(endpoint)
    assert improved.version.number == 2


async def test_import_refuses_bad_input_and_creates_nothing(studio: Studio, endpoint) -> None:
    studio.settings = studio.settings.with_values(context_window=4000)
    too_big = "Explain every detail carefully. " * 600  # fits alone, not with room for the answer
    with pytest.raises(StudioError) as refused:
        studio.import_prompt(too_big)
    message = str(refused.value)
    counted = tokens.count(too_big.strip(), "gpt-4o-mini").tokens
    assert 2500 < counted < 4000
    assert message.startswith(f"The prompt is {counted:,} tokens:")
    assert "window of 4,000 tokens (set in config.toml)" in message and "\n" not in message
    with pytest.raises(StudioError, match="no prompt text to import"):
        studio.import_prompt("---\ntitle: Empty\n---\n  \n")
    with pytest.raises(StudioError, match="Front matter line 2"):
        studio.import_prompt("---\nnot a key value line\n---\nbody")
    assert studio.prompts_for(None) == []
    assert studio.conversation_page("all", "recent", "", 0, 10)[0] == []
    assert endpoint.requests == []


async def test_a_prompt_deleted_while_refining_keeps_usage_and_makes_no_version(studio: Studio, endpoint) -> None:
    conv = studio.new_conversation()
    await chat(studio, endpoint, conv.id, "a prompt", "ok")
    prompt = (await generate(studio, endpoint, conv.id, "Text.")).prompt
    endpoint.script(Scenario(reply="Shorter text."))
    events = studio.refine(prompt.id, "shorter")
    assert isinstance(await anext(events), PromptDelta)
    repos(studio).prompts.delete(prompt.id)  # another process deletes it meanwhile
    with pytest.raises(StudioError, match="deleted while it was being revised"):
        await collect(events)
    assert studio.quota_status().used.requests == 3 and studio.quota_status().reserved_requests == 0


async def test_every_turn_reaches_the_generator_and_its_plan_never_reaches_the_user(studio: Studio, endpoint) -> None:
    studio.settings = studio.settings.with_values(model="mystery-model")  # a window nobody reports: assumed
    assert studio.window().assumed
    conv = studio.new_conversation()
    messages = repos(studio).messages
    messages.add(conv.id, "user", "FIRST-TURN: the output must always be in French")
    for i in range(59):
        messages.add(conv.id, "assistant" if i % 2 == 0 else "user", f"turn {i + 2} about details")
    endpoint.script(Scenario(reply="<plan>\nSECRET-PLAN: keep French\n</plan>\n\nRéponds en français.", chunk_size=5))
    events = await collect(studio.generate(conv.id))

    sent = endpoint.requests[-1].body["messages"][-1]["content"]
    assert "FIRST-TURN: the output must always be in French" in sent
    assert sent.count("<turn ") == 60 and "<conversation>" in sent and "</conversation>" in sent
    shown = "".join(e.text for e in events if isinstance(e, PromptDelta))
    assert shown == "Réponds en français." and "SECRET-PLAN" not in shown
    assert any(e.planning for e in events if isinstance(e, PromptDelta))
    ready = events[-1]
    assert isinstance(ready, PromptReady) and ready.version.content == "Réponds en français."


async def test_a_conversation_too_large_for_the_window_is_refused_not_cut(studio: Studio, endpoint) -> None:
    studio.settings = studio.settings.with_values(context_window=3000)
    conv = studio.new_conversation()
    for i in range(20):
        repos(studio).messages.add(conv.id, "user", f"requirement {i}: " + "detail " * 80)
        repos(studio).messages.add(conv.id, "assistant", f"noted {i}")
    with pytest.raises(StudioError, match=r"^The conversation is [\d,]+ tokens .* \d+ of its 40 turns do not fit"):
        await collect(studio.generate(conv.id))
    assert not [r for r in endpoint.requests if r.path.endswith("/chat/completions")]
    assert studio.prompts_for(conv.id) == [] and studio.quota_status().reserved_requests == 0
