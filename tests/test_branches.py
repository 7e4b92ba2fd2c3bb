"""Edit-and-resend, regenerate, alternatives and delete over real SQLite and real HTTP.

A conversation is a tree: no edit or regenerate deletes a turn, and what the model sees,
what ctrl+g is made from and what an export holds is the branch on screen.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
import sqlite_utils

from loopback import Scenario
from promptstudio_tui.events import ReplyDone, StudioError, UserMessageSaved
from promptstudio_tui.ids import new_id
from promptstudio_tui.store import open_store
from promptstudio_tui.store.messages import Messages
from promptstudio_tui.store.schema import migrations
from promptstudio_tui.studio import Studio


async def collect(events):
    return [event async for event in events]


def sent_turns(endpoint) -> list[str]:
    """The non-system turns of the newest chat request."""
    chats = [r for r in endpoint.requests if r.path.endswith("/chat/completions")]
    return [m["content"] for m in chats[-1].body["messages"] if m["role"] != "system"]


def contents(studio: Studio, conversation_id: str) -> list[str]:
    return [m.content for m in studio.history(conversation_id)]


async def two_turns(studio: Studio, endpoint) -> str:
    # A request carries the turns before its own: the most specific text is matched first.
    endpoint.when(Scenario(reply="A2 edited"), contains="Q2 edited")
    endpoint.when(Scenario(reply="A2"), contains="Q2")
    endpoint.when(Scenario(reply="A1"), contains="Q1")
    conv = studio.new_conversation()
    await collect(studio.send(conv.id, "Q1"))
    await collect(studio.send(conv.id, "Q2"))
    return conv.id


async def test_edit_and_resend_keeps_the_old_turns_as_a_branch(studio: Studio, endpoint) -> None:
    conv = await two_turns(studio, endpoint)
    q2 = studio.history(conv)[2]
    events = await collect(studio.edit_and_resend(q2.id, "Q2 edited"))
    assert isinstance(events[0], UserMessageSaved) and isinstance(events[-1], ReplyDone)
    assert contents(studio, conv) == ["Q1", "A1", "Q2 edited", "A2 edited"]
    assert sent_turns(endpoint) == ["Q1", "A1", "Q2 edited"]  # the old Q2 and A2 are not context
    edited = studio.history(conv)[2]
    assert studio.alternatives(edited.id) == (2, 2)
    assert studio.alternative_counts([m.id for m in studio.history(conv)]) == {edited.id: (2, 2)}

    shown = studio.switch_alternative(edited.id, -1)
    assert shown.id == q2.id and contents(studio, conv) == ["Q1", "A1", "Q2", "A2"]
    assert studio.switch_alternative(q2.id, -1).id == q2.id  # the first stays the first
    await collect(studio.send(conv, "Q3"))
    assert sent_turns(endpoint) == ["Q1", "A1", "Q2", "A2", "Q3"]  # the next turn follows the branch on screen
    assert studio.switch_alternative(q2.id, +1).id == edited.id
    assert contents(studio, conv) == ["Q1", "A1", "Q2 edited", "A2 edited"]


async def test_editing_the_first_message_starts_a_second_branch(studio: Studio, endpoint) -> None:
    conv = await two_turns(studio, endpoint)
    q1 = studio.history(conv)[0]
    await collect(studio.edit_and_resend(q1.id, "Q0"))
    assert contents(studio, conv)[0] == "Q0" and len(studio.history(conv)) == 2
    assert sent_turns(endpoint) == ["Q0"]
    studio.switch_alternative(studio.history(conv)[0].id, -1)
    assert contents(studio, conv) == ["Q1", "A1", "Q2", "A2"]


async def test_regenerate_keeps_the_earlier_reply_as_an_alternative(studio: Studio, endpoint) -> None:
    conv = await two_turns(studio, endpoint)
    a1 = studio.history(conv)[1]
    endpoint.when(Scenario(reply="A1 again"), contains="Q1", first=True)
    events = await collect(studio.regenerate(a1.id))
    assert isinstance(events[-1], ReplyDone) and events[-1].message.content == "A1 again"
    assert sent_turns(endpoint) == ["Q1"]  # the turn it answers, not the old reply nor what followed
    assert contents(studio, conv) == ["Q1", "A1 again"]
    assert studio.alternatives(events[-1].message.id) == (2, 2)
    studio.switch_alternative(events[-1].message.id, -1)
    assert contents(studio, conv) == ["Q1", "A1", "Q2", "A2"]  # the old reply brings its branch back


async def test_generate_and_export_follow_the_branch_on_screen(studio: Studio, endpoint) -> None:
    conv = await two_turns(studio, endpoint)
    await collect(studio.edit_and_resend(studio.history(conv)[2].id, "Q2 edited"))
    exported = studio.export_conversation(conv, "md")
    assert "Q2 edited" in exported and "A2 edited" in exported and "\nQ2\n" not in exported
    endpoint.default = Scenario(reply="# Prompt\nDo the thing.")
    await collect(studio.generate(conv))
    assert "Q2 edited" in str(sent_turns(endpoint)) and "'Q2'" not in str(sent_turns(endpoint))


async def test_delete_never_leaves_a_gap_in_the_context(studio: Studio, endpoint) -> None:
    conv = await two_turns(studio, endpoint)
    _, a1, _, _ = studio.history(conv)
    studio.delete_message(a1.id)
    assert contents(studio, conv) == ["Q1", "Q2", "A2"]
    await collect(studio.send(conv, "Q3"))
    assert sent_turns(endpoint) == ["Q1", "Q2", "A2", "Q3"]
    newest = studio.history(conv)[-1]
    studio.delete_message(newest.id)  # the head: the branch now ends at the turn before
    assert contents(studio, conv) == ["Q1", "Q2", "A2", "Q3"]
    with pytest.raises(StudioError):
        studio.delete_message(newest.id)  # gone


async def test_a_refused_message_can_be_deleted_from_the_context(studio: Studio, endpoint) -> None:
    endpoint.default = Scenario(status=400, error_message="This model's maximum context length is exceeded.")
    conv = studio.new_conversation()
    await collect(studio.send(conv.id, "HUGE " * 50))
    huge = studio.history(conv.id)[0]
    studio.delete_message(huge.id)
    endpoint.default = Scenario(reply="ok")
    await collect(studio.send(conv.id, "small"))
    assert all("HUGE" not in turn for turn in sent_turns(endpoint))


async def test_deleting_an_alternative_shows_the_newest_remaining_branch(studio: Studio, endpoint) -> None:
    conv = await two_turns(studio, endpoint)
    q2 = studio.history(conv)[2]
    await collect(studio.edit_and_resend(q2.id, "Q2 edited"))
    studio.delete_message(studio.history(conv)[-1].id)  # the edited turn's reply: its question stays
    assert contents(studio, conv) == ["Q1", "A1", "Q2 edited"]
    studio.delete_message(studio.history(conv)[-1].id)  # the edit itself: the original branch comes back
    assert contents(studio, conv) == ["Q1", "A1", "Q2", "A2"]
    assert studio.alternatives(q2.id) == (1, 1)


async def test_a_streaming_reply_cannot_be_deleted_or_regenerated(studio: Studio, endpoint) -> None:
    conv = await two_turns(studio, endpoint)
    reply = Messages(studio._store).start_reply(conv, "gpt-4o-mini")  # as another process's reply in flight
    with pytest.raises(StudioError, match="streams"):
        studio.delete_message(reply.id)
    with pytest.raises(StudioError, match="streaming"):
        await collect(studio.regenerate(reply.id))
    with pytest.raises(StudioError, match="edited"):
        await collect(studio.edit_and_resend(reply.id, "text"))


def test_the_upgrade_links_each_message_to_the_one_before(tmp_path: Path) -> None:
    path = tmp_path / "promptstudio.db"
    conn = sqlite3.connect(path)
    migrations.apply(sqlite_utils.Database(conn, execute_plugins=False), stop_before="m009_message_branches")
    conn.execute(
        "INSERT INTO conversations (id, title, created_at, updated_at, last_message_at) VALUES ('c1', 't', 'x', 'x', 'x')"
    )
    ids = [new_id() for _ in range(4)]
    for n, role in enumerate(["user", "assistant", "user", "assistant"]):
        conn.execute(
            "INSERT INTO messages (id, conversation_id, role, content, created_at, updated_at)"
            " VALUES (?, 'c1', ?, ?, 'x', 'x')",
            (ids[n], role, f"text {n}"),
        )
    conn.commit()
    conn.close()
    store = open_store(path)
    messages = Messages(store)
    history = messages.for_conversation("c1")
    assert [m.id for m in history] == ids
    assert [m.parent_id for m in history] == [None, *ids[:3]]
    added = messages.add("c1", "user", "next")
    assert added.parent_id == ids[3] and messages.count("c1") == 5
    store.close()


async def test_the_list_preview_follows_the_branch_on_screen(studio: Studio, endpoint) -> None:
    conv = await two_turns(studio, endpoint)
    _, _, q2, a2 = studio.history(conv)
    studio.delete_message(a2.id)
    assert studio.conversation(conv).preview == "Q2"
    await collect(studio.edit_and_resend(q2.id, "Q2 edited"))
    studio.switch_alternative(studio.history(conv)[2].id, -1)
    assert studio.conversation(conv).preview == "Q2"
