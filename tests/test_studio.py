"""The application service end to end over real HTTP: order of things and final states."""

from __future__ import annotations

import asyncio
import sqlite3

import pytest

from loopback import Scenario
from promptstudio_tui import tokens
from promptstudio_tui.config import PlanLimits
from promptstudio_tui.events import (
    PromptDelta,
    PromptReady,
    ReplyDelta,
    ReplyDone,
    ReplyStarted,
    StudioError,
    UserMessageSaved,
)
from promptstudio_tui.store.messages import Messages
from promptstudio_tui.studio import Studio
from repos import repos


async def collect(events):
    return [event async for event in events]


def chats(endpoint) -> list:
    """The chat requests the endpoint received (besides, say, asking it for a model's window)."""
    return [r for r in endpoint.requests if r.path.endswith("/chat/completions")]


async def test_send_persists_both_messages_and_records_usage(studio: Studio, endpoint) -> None:
    endpoint.default = Scenario(reply="Who is the audience?", include_usage=True)
    conv = studio.new_conversation(category="Marketing")
    events = await collect(studio.send(conv.id, "I need a launch email prompt"))
    kinds = [type(e) for e in events]
    assert kinds[:2] == [UserMessageSaved, ReplyStarted] and kinds[-1] is ReplyDone
    assert "".join(e.text for e in events if isinstance(e, ReplyDelta)) == "Who is the audience?"
    user, reply = studio.history(conv.id)
    assert (user.role, user.content) == ("user", "I need a launch email prompt")
    assert (reply.role, reply.state, reply.content) == ("assistant", "complete", "Who is the audience?")
    assert reply.prompt_tokens > 0 and reply.completion_tokens == 5  # the server's numbers
    assert reply.cost is not None and reply.cost > 0
    assert repos(studio).conversations.get(conv.id).title == "I need a launch email prompt"
    used = studio.quota_status().used
    assert (used.requests, used.tokens) == (1, reply.prompt_tokens + reply.completion_tokens)
    sent = endpoint.requests[-1].body
    assert sent["messages"][0]["role"] == "system" and sent["stream_options"] == {"include_usage": True}
    assert sent["messages"][-1] == {"role": "user", "content": "I need a launch email prompt"}


async def test_without_server_usage_tokens_are_counted_locally(studio: Studio, endpoint) -> None:
    endpoint.default = Scenario(reply="Short answer here.", include_usage=False)
    conv = studio.new_conversation()
    await collect(studio.send(conv.id, "hello"))
    reply = studio.history(conv.id)[-1]
    assert reply.completion_tokens == tokens.count("Short answer here.", "gpt-4o-mini").tokens
    assert reply.prompt_tokens == tokens.count_chat(endpoint.requests[-1].body["messages"], "gpt-4o-mini")


async def test_cut_off_stream_is_kept_as_interrupted(studio: Studio, endpoint) -> None:
    endpoint.default = Scenario(reply="A long answer that will be cut", cut_off_after_chars=10)
    conv = studio.new_conversation()
    events = await collect(studio.send(conv.id, "hi"))
    final = events[-1].message
    assert final.state == "interrupted" and final.content == "A long ans"
    assert final.error
    assert studio.history(conv.id)[0].content == "hi"


async def test_endpoint_error_is_stored_as_error_and_nothing_invented(studio: Studio, endpoint) -> None:
    endpoint.default = Scenario(status=404)
    conv = studio.new_conversation()
    events = await collect(studio.send(conv.id, "hi"))
    final = events[-1].message
    assert final.state == "error" and final.content == "" and "gpt-4o-mini" in final.error
    assert studio.quota_status().used.requests == 0
    assert studio.quota_status().reserved_requests == 0
    # The failed reply is not context for the retry, and stays in place.
    endpoint.default = Scenario(reply="Recovered.")
    await collect(studio.retry(conv.id))
    states = [(m.role, m.state) for m in studio.history(conv.id)]
    assert states == [("user", "complete"), ("assistant", "error"), ("assistant", "complete")]
    assert [m["role"] for m in endpoint.requests[-1].body["messages"]] == ["system", "user"]


async def test_cancel_keeps_partial_text_as_interrupted(studio: Studio, endpoint) -> None:
    endpoint.default = Scenario(reply="word " * 200, chunk_size=5, delay=0.02)
    conv = studio.new_conversation()
    received: list[str] = []

    async def consume() -> None:
        async for event in studio.send(conv.id, "go"):
            if isinstance(event, ReplyDelta):
                received.append(event.text)

    task = asyncio.create_task(consume())
    while len(received) < 3:
        await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    reply = studio.history(conv.id)[-1]
    assert reply.state == "interrupted"
    assert reply.content.startswith("word word word") and len(reply.content) < 1000
    assert studio.quota_status().reserved_requests == 0
    assert studio.quota_status().used.requests == 1  # tokens were spent and are counted


async def test_quota_refusal_keeps_the_message_and_sends_nothing(studio: Studio, endpoint) -> None:
    studio.settings = studio.settings.with_values(plans={**studio.settings.plans, "free": PlanLimits(100, 50)})
    conv = studio.new_conversation()
    with pytest.raises(StudioError, match="free plan's 100 monthly tokens"):
        await collect(studio.send(conv.id, "hello"))
    assert [m.content for m in studio.history(conv.id)] == ["hello"]
    assert chats(endpoint) == []


async def test_generate_needs_an_exchange_then_saves_the_prompt(studio: Studio, endpoint) -> None:
    conv = studio.new_conversation(category="Code Generation")
    with pytest.raises(StudioError, match="at least one exchange"):
        await collect(studio.generate(conv.id))
    endpoint.default = Scenario(reply="What language?")
    await collect(studio.send(conv.id, "A prompt that reviews code"))
    endpoint.default = Scenario(reply="You are a senior reviewer.\n\n# Inputs\n- {{diff}}")
    events = await collect(studio.generate(conv.id))
    assert any(isinstance(e, PromptDelta) for e in events)
    prompt = events[-1].prompt
    assert isinstance(events[-1], PromptReady)
    assert prompt.content.startswith("You are a senior reviewer.") and prompt.category == "Code Generation"
    assert prompt.tokens_used == tokens.count(prompt.content, "gpt-4o-mini").tokens
    request = endpoint.requests[-1].body
    assert request["temperature"] == studio.settings.generate.temperature
    assert "A prompt that reviews code" in request["messages"][1]["content"]
    assert "What language?" in request["messages"][1]["content"]
    types = [r.key for r in studio.usage_report().by_type]
    assert set(types) == {"conversation", "prompt_optimization"}


async def test_failed_generation_saves_no_prompt(studio: Studio, endpoint) -> None:
    conv = studio.new_conversation()
    await collect(studio.send(conv.id, "hi"))
    endpoint.default = Scenario(reply="Partial prompt text", cut_off_after_chars=7)
    with pytest.raises(StudioError, match="No prompt was generated"):
        await collect(studio.generate(conv.id))
    assert repos(studio).prompts.list() == []


async def test_save_and_export(studio: Studio, endpoint, tmp_path) -> None:
    conv = studio.new_conversation()
    await collect(studio.send(conv.id, "hi"))
    prompt = (await collect(studio.generate(conv.id)))[-1].prompt
    saved = studio.save_prompt(prompt.id, title="Email writer", category="Marketing", tags=["email", " ", "launch"])
    assert (saved.title, saved.category, saved.tags) == ("Email writer", "Marketing", ["email", "launch"])
    assert studio.quota_status().used.requests == 2  # the save did not count
    target = studio.write_export(saved, "md", tmp_path / "out.md")
    assert target.read_text().startswith("# Email writer\n")
    with pytest.raises(StudioError, match="Unknown category"):
        studio.save_prompt(prompt.id, title="x", category="Nope", tags=[])


async def test_long_history_keeps_the_goal_and_the_newest_turns_and_says_what_was_cut(studio: Studio, endpoint) -> None:
    studio.settings = studio.settings.with_values(context_window=1400)
    conv = studio.new_conversation()
    ids = []
    for i in range(12):
        ids.append(repos(studio).messages.add(conv.id, "user", f"turn {i} " + "filler " * 60).id)
        ids.append(repos(studio).messages.add(conv.id, "assistant", f"reply {i}").id)
    started = next(e for e in await collect(studio.retry(conv.id)) if isinstance(e, ReplyStarted))
    sent = endpoint.requests[-1].body["messages"]
    assert sent[0]["role"] == "system"
    assert sent[1]["content"].startswith("turn 0 ")  # the goal is stated first: never cut
    assert sent[-1]["content"] == "reply 11"
    assert tokens.count_chat(sent, "gpt-4o-mini") <= 1400 - studio.settings.chat.max_tokens
    omitted = started.omitted
    assert omitted is not None and omitted.count == 24 - (len(sent) - 1)
    cut = ids[ids.index(omitted.first_message_id) : ids.index(omitted.last_message_id) + 1]
    assert len(cut) == omitted.count and ids[0] not in cut and ids[-1] not in cut
    assert omitted.describe() == f"{omitted.count} earlier turns not sent to the model"


async def test_orphaned_streaming_reply_is_recovered_on_open(studio: Studio) -> None:
    conv = studio.new_conversation()
    reply = repos(studio).messages.start_reply(conv.id, "m")
    with repos(studio).store.write() as db:
        # As rows were recorded before the owner's lock token: pid and host only, the pid gone.
        db.execute(
            "UPDATE messages SET metadata = json_set(json_remove(metadata, '$.owner.lock'), '$.owner.pid', 999999999)"
        )
    again = Studio.open()
    assert repos(again).messages.get(reply.id).state == "interrupted"
    assert any("interrupted" in n for n in again.notices)


async def test_reply_row_that_cannot_be_written_leaves_no_reservation(studio: Studio, endpoint, monkeypatch) -> None:
    conv = studio.new_conversation()

    def disk_full(*args, **kwargs):
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(Messages, "start_reply", disk_full)
    with pytest.raises(sqlite3.OperationalError):
        await collect(studio.send(conv.id, "kept even so"))
    assert studio.quota_status().reserved_requests == 0
    assert [(m.role, m.content) for m in studio.history(conv.id)] == [("user", "kept even so")]
    assert repos(studio).conversations.get(conv.id).title == "kept even so"
    assert chats(endpoint) == []


async def test_the_engineer_names_the_users_key_for_generating(endpoint, config_file, monkeypatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-keymap-0123456789")
    config_file.write_text('[keymap]\n"studio.generate_prompt" = "f5"\n', encoding="utf-8")
    studio = Studio.open({"base_url": endpoint.base_url, "model": "gpt-4o-mini"})
    conv = studio.new_conversation()
    with pytest.raises(StudioError, match=r"then press f5\."):
        await collect(studio.generate(conv.id))
    await collect(studio.send(conv.id, "I need a prompt"))
    system = endpoint.requests[-1].body["messages"][0]["content"]
    assert "press f5 to generate the prompt" in system and "ctrl+g" not in system
    await studio.aclose()
