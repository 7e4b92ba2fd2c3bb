"""The studio on an endpoint that streams hostile chunks: ctrl+r again and again leaves no
reply `streaming` and no quota held, and the usage screen's numbers are what was spent."""

from __future__ import annotations

import pytest

from loopback import LoopbackServer, Scenario
from test_hostile_streams import HELLO, HOSTILE, chunk
from tui_fixtures import SIZE, idle, notifications, screen, send, wait_for

PRESSES = 10
STREAMS = {
    "delta-is-a-string": HOSTILE["delta-is-a-string"],
    "content-is-a-number": HOSTILE["content-is-a-number"],
    "nested-200000-deep": HOSTILE["nested-200000-deep"],
    "negative-usage-then-data-42": [
        HELLO,
        chunk(choices=[], usage={"prompt_tokens": -5, "completion_tokens": -(10**30)}),
        "data: 42",
    ],
}


@pytest.mark.parametrize("name", STREAMS)
async def test_ctrl_r_on_a_hostile_endpoint_leaves_no_ghost_rows_and_no_reservation(
    name: str, make_app, endpoint: LoopbackServer
) -> None:
    endpoint.default = Scenario(events=STREAMS[name])
    app = make_app()  # the free plan: 10,000 tokens; held reservations would soon refuse a request
    async with app.run_test(size=SIZE) as pilot:
        studio_screen = screen(pilot)
        await send(pilot, "Hello?")
        conversation_id = studio_screen.session.conversation.id
        for presses in range(1, PRESSES + 1):
            await pilot.press("ctrl+r")
            await wait_for(pilot, lambda n=presses: len(app.studio.history(conversation_id)) == n + 2)
            await idle(pilot)

        replies = app.studio.history(conversation_id)[1:]
        assert len(replies) == PRESSES + 1
        assert {reply.state for reply in replies} == {"error"}
        assert all(reply.content == "Hello " for reply in replies)
        quota = app.studio.quota_status()
        assert (quota.reserved_requests, quota.reserved_tokens) == (0, 0)
        # Each reply's tokens are counted once, and the usage screen says so.
        assert quota.used.requests == PRESSES + 1
        assert quota.used.tokens == sum(r.prompt_tokens + r.completion_tokens for r in replies) > 0
        assert app.studio.usage_report().quota.used.requests == PRESSES + 1
        assert not [shown for shown in notifications(pilot) if "Traceback" in shown or "Error(" in shown]
        assert len(studio_screen.chat.message_ids()) == PRESSES + 2
