"""Snapshots of a selected message of the chat with alternatives ("‹ 2/3 ›") at 160×48,
100×30 and 60×20.

Pinned as in test_tui_snapshots.py (frozen clock, fixed timestamps, no blinking).
"""

from __future__ import annotations

from typing import Any

import pytest
from textual.pilot import Pilot

from promptstudio_tui.studio import Studio
from repos import repos
from test_tui_snapshots import MODEL, _at, make_app, open_conversation, seed, settle
from tui_fixtures import screen

SIZES = [
    pytest.param((160, 48), id="160x48"),
    pytest.param((100, 30), id="100x30"),
    pytest.param((60, 20), id="60x20"),
]


def with_alternatives(studio: Studio) -> str:
    """The seeded conversation, its last reply regenerated twice, the second of three on screen."""
    conversation_id = seed(studio)
    beside = repos(studio)
    question = studio.history(conversation_id)[-2]
    again = [
        beside.messages.add(conversation_id, "assistant", text, model=MODEL, parent=question.id)
        for text in (
            "## Upgrading from v2.3\n\nNo changes are needed unless you pinned the config path.",
            "## Upgrading\n\nRun `cli migrate` once; it rewrites the config in place.",
        )
    ]
    studio.switch_alternative(again[1].id, -1)
    with beside.store.write() as db:  # and the switch moved the list's activity time: pinned again
        db.execute(
            "UPDATE conversations SET updated_at = ?, last_message_at = ? WHERE id = ?",
            (_at("2026-03-14T14:54:10"),) * 2 + (conversation_id,),
        )
        for message, stamp in zip(again, ("14:53:30", "14:54:10"), strict=True):
            db.execute(
                "UPDATE messages SET created_at = ?, updated_at = ? WHERE id = ?",
                (_at(f"2026-03-14T{stamp}"),) * 2 + (message.id,),
            )
    return conversation_id


@pytest.mark.parametrize("size", SIZES)
def test_a_selected_reply_with_alternatives(snap_compare: Any, studio: Studio, size: tuple[int, int]) -> None:
    opened = open_conversation(with_alternatives(studio))

    async def run_before(pilot: Pilot[Any]) -> None:
        await opened(pilot)
        await pilot.press("alt+up")
        await settle(pilot)
        chat = screen(pilot).chat
        assert chat.selected is not None and chat.selected.content.startswith("## Upgrading from v2.3\n\nNo changes")
        await pilot.pause()

    assert snap_compare(make_app(studio), terminal_size=size, run_before=run_before)
