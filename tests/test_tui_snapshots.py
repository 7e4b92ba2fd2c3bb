"""Snapshots of the main screen: three panes with data at three widths, and the empty welcome view.

Everything shown is pinned: the app's clock is frozen, the local timezone is UTC,
and every timestamp the screen renders (message times, list dates, the plan meter's
month) is overwritten in the seeded rows with a fixed value. Ids are random but
never displayed. No cursor blinks.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, TextArea

from promptstudio_tui.app import PromptStudioApp
from promptstudio_tui.messages import OpenConversation
from promptstudio_tui.studio import Studio
from repos import repos
from tui_fixtures import frozen_clock, screen

MODEL = "gpt-4o-mini"

REPLY = """\
Here is a first draft. Each entry says **what changed** and *why it matters*:

## Highlights

- Faster search over large histories
- Prompts can be exported as JSON

```python
def release(version: str) -> str:
    return f"Prompt Studio {version} is out"
```

Tell me which audience to write for and I will adjust the tone.
"""

PROMPT = """\
You are a **release-notes writer** for a developer tool.

1. Open with one sentence on what the release is for.
2. Group changes under *Highlights*, *Fixes* and *Upgrading*.
3. Keep every bullet under 20 words.
"""

# (title, category, preview, last activity in UTC, starred, unread)
OTHERS = (
    (
        "Onboarding email sequence",
        "Marketing",
        "Welcome aboard! Here is what to expect in your first week.",
        "2026-03-14T11:30:00",
        True,
        3,
    ),
    (
        "SQL query explainer",
        "Code Generation",
        "The JOIN multiplies rows because orders has one row per item.",
        "2026-03-13T18:05:00",
        False,
        0,
    ),
    (
        "Interview question bank",
        "Business",
        "Ten behavioural questions for a senior support role.",
        "2026-03-10T09:12:00",
        False,
        0,
    ),
    (
        "Product naming ideas",
        "Creative Writing",
        "Short, pronounceable, and free as a .com domain.",
        "2026-02-02T16:40:00",
        False,
        0,
    ),
)


def _at(stamp: str) -> str:
    """A fixed UTC timestamp in the store's format."""
    return f"{stamp}.000000+00:00"


@pytest.fixture
def utc() -> Iterator[None]:
    """Message times and list dates are local: pin the local timezone, then restore it."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TZ", "UTC")
        time.tzset()
        yield
    time.tzset()


@pytest.fixture
def studio(utc: None) -> Iterator[Studio]:
    """An empty studio on the test's private home (the app closes it on exit)."""
    opened = Studio.open()
    opened.local_servers = ()  # nothing configured, but this machine's own servers stay out of the picture
    yield opened
    opened.close()  # closing twice is harmless; this covers a test that failed before the app ran


def seed(studio: Studio) -> str:
    """A few conversations, one open with a reply and an interrupted one, a prompt, some usage.

    Returns the id of the conversation to open.
    """
    beside = repos(studio)
    conversations, messages, prompts, store = beside.conversations, beside.messages, beside.prompts, beside.store

    current = conversations.create("Release notes for v2.4", category="Content Creation")
    turns = [
        messages.add(
            current.id, "user", "Help me write release notes for v2.4 of our CLI. The audience is developers."
        ),
        messages.add(current.id, "assistant", "", state="streaming", model=MODEL),
        messages.add(current.id, "user", "Add a section on upgrading from v2.3."),
        messages.add(current.id, "assistant", "", state="streaming", model=MODEL),
    ]
    messages.finish(turns[1].id, content=REPLY, state="complete", prompt_tokens=412, completion_tokens=138, cost=144)
    messages.finish(
        turns[3].id,
        content="## Upgrading from v2.3\n\nMost projects upgrade without changes. If you",
        state="interrupted",
        error="Stopped before the reply finished.",
        prompt_tokens=590,
        completion_tokens=17,
        cost=99,
    )
    generated = prompts.add(
        title="Release notes writer",
        content=PROMPT,
        conversation_id=current.id,
        category="Content Creation",
        tags=["release", "docs"],
        model=MODEL,
        tokens_used=356,
        cost=212,
    )
    older = prompts.add(
        title="Changelog summariser",
        content="Summarise a changelog.",
        conversation_id=current.id,
        model=MODEL,
        tokens_used=120,
    )
    prompts.update(older.id, is_favorite=True)

    others = []
    for title, category, _, _, starred, _ in OTHERS:
        made = conversations.create(title, category=category)
        if starred:
            conversations.update(made.id, is_starred=True)
        others.append(made.id)

    for kind, prompt_tokens, completion_tokens, cost in (
        ("conversation", 412, 138, 144),
        ("conversation", 590, 17, 99),
        ("conversation", 1_350, 420, 470),
        ("prompt_optimization", 980, 356, 212),
        ("conversation", 700, 260, 198),
    ):
        repos(studio).usage.record(
            kind, prompt_tokens=prompt_tokens, completion_tokens=completion_tokens, cost=cost, model=MODEL
        )

    # Ids and timestamps were made from the real clock: pin every time the screen shows.
    with store.write() as db:
        for message, stamp in zip(turns, ("14:48:10", "14:48:31", "14:52:02", "14:52:09"), strict=True):
            db.execute(
                "UPDATE messages SET created_at = ?, updated_at = ? WHERE id = ?",
                (_at(f"2026-03-14T{stamp}"),) * 2 + (message.id,),
            )
        db.execute(
            "UPDATE conversations SET preview = ?, created_at = ?, updated_at = ?, last_message_at = ? WHERE id = ?",
            (
                "Most projects upgrade without changes. If you",
                _at("2026-03-14T14:40:00"),
                _at("2026-03-14T14:52:09"),
                _at("2026-03-14T14:52:09"),
                current.id,
            ),
        )
        for conversation_id, (_, _, preview, stamp, _, unread) in zip(others, OTHERS, strict=True):
            db.execute(
                "UPDATE conversations SET preview = ?, unread_count = ?, created_at = ?, updated_at = ?, last_message_at = ? WHERE id = ?",
                (preview, unread, _at(stamp), _at(stamp), _at(stamp), conversation_id),
            )
        for prompt_id, stamp in ((generated.id, "2026-03-14T14:55:40"), (older.id, "2026-03-12T10:03:00")):
            db.execute(
                "UPDATE prompts SET created_at = ?, updated_at = ? WHERE id = ?", (_at(stamp), _at(stamp), prompt_id)
            )
        # Usage counts in the frozen clock's month (March 2026), whatever today is.
        db.execute("UPDATE usage_tracking SET created_at = ?", (_at("2026-03-10T12:00:00"),))
        db.execute("UPDATE usage_summaries SET summary_date = '2026-03-10'")  # what the meter sums
        # The plan meter sums the daily summaries: the one day they were recorded on, moved too.
        db.execute("UPDATE usage_summaries SET summary_date = ?", ("2026-03-10",))
    return current.id


def make_app(studio: Studio) -> PromptStudioApp:
    return PromptStudioApp(studio=studio, clock=frozen_clock)


async def settle(pilot: Pilot[Any]) -> None:
    """Until the list has loaded in its thread and every row is laid out for the final width."""
    for _ in range(3):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        await pilot.wait_for_scheduled_animations()
    studio_screen = screen(pilot)
    assert not studio_screen.conversation_list._loading


def freeze(pilot: Pilot[Any]) -> None:
    """No blinking cursors: the snapshot must not depend on the moment it is taken."""
    for node in pilot.app.screen.query("#composer-input, Input"):
        assert isinstance(node, (TextArea, Input))
        node.cursor_blink = False


def open_conversation(conversation_id: str):
    async def run_before(pilot: Pilot[Any]) -> None:
        await pilot.pause()  # the screen composes after the app is ready
        studio_screen = screen(pilot)
        studio_screen.post_message(OpenConversation(conversation_id))
        deadline = time.monotonic() + 10
        while len(studio_screen.chat.message_ids()) < 4 or studio_screen.panel.current is None:
            assert time.monotonic() < deadline, "the conversation did not open"
            await pilot.pause(0.02)
        await settle(pilot)
        freeze(pilot)
        await pilot.pause()

    return run_before


@pytest.mark.parametrize(
    "size",
    [
        pytest.param((160, 48), id="wide-160x48"),  # three panes
        pytest.param((100, 30), id="wide-100x30"),  # the smallest width with side panes in place
        pytest.param((60, 20), id="narrow-60x20"),  # side panes collapsed: only the chat
    ],
)
def test_main_screen_with_data(snap_compare: Any, studio: Studio, size: tuple[int, int]) -> None:
    """Conversations (one starred with unread replies), an open chat with a markdown reply,
    an interrupted reply with its retry button, the latest generated prompt and the plan meter."""
    conversation_id = seed(studio)
    assert snap_compare(make_app(studio), terminal_size=size, run_before=open_conversation(conversation_id))


def test_narrow_screen_with_conversations_overlay(snap_compare: Any, studio: Studio) -> None:
    """Below 100 columns ctrl+l floats the conversations over the chat."""
    conversation_id = seed(studio)
    opened = open_conversation(conversation_id)

    async def run_before(pilot: Pilot[Any]) -> None:
        await opened(pilot)
        await pilot.press("ctrl+l")
        await settle(pilot)

    assert snap_compare(make_app(studio), terminal_size=(90, 30), run_before=run_before)


def test_welcome_on_an_empty_store(snap_compare: Any, studio: Studio) -> None:
    """No conversation open, nothing stored: tips and templates, empty lists, an unused plan."""

    async def run_before(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        freeze(pilot)
        await pilot.pause()

    assert snap_compare(make_app(studio), terminal_size=(160, 48), run_before=run_before)
