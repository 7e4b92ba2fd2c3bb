import time, json
from textual import events
from loopback import Scenario
from tui_fixtures import SIZE, idle, make_app, make_studio, screen, send, wait_for, rendered  # noqa
from promptstudio_tui.widgets.message_view import MessageView

LOG = ''.join(f"2026-03-14T15:09:{i%60:02d}Z INFO request id={i:08x} took {i%997}ms path=/api/v1/items/{i}\n" for i in range(20000))[:1_000_000]

async def _paste(pilot, app, text):
    s = screen(pilot)
    inp = s._composer.input
    inp.focus()
    t = time.monotonic()
    app.post_message(events.Paste(text))
    await wait_for(pilot, lambda: len(inp.text) == len(text), timeout=60)
    t1 = time.monotonic() - t
    t = time.monotonic()
    app.post_message(events.Key("z", "z"))
    await wait_for(pilot, lambda: inp.text.endswith("z"), timeout=60)
    t2 = time.monotonic() - t
    t = time.monotonic()
    app.post_message(events.Key("y", "y"))
    await wait_for(pilot, lambda: inp.text.endswith("y"), timeout=60)
    t3 = time.monotonic() - t
    print(f"\nPASTE {len(text)} paste={t1:.2f}s key1={t2:.3f}s key2={t3:.3f}s")
    print(str(s.query_one('#composer-status').render())[:80])

async def test_paste_single_line(make_app, endpoint):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await _paste(pilot, app, "x" * 1_000_000)

async def test_paste_log(make_app, endpoint):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await _paste(pilot, app, LOG)

NEST = {
 "quotes": "> " * 300 + "deep",
 "lists": "".join("  " * i + "- item\n" for i in range(300)),
 "brackets": "[" * 5000 + "x" + "]" * 5000,
 "emph": "*" * 5000 + "x" + "*" * 5000,
 "longline": "y" * 200_000,
 "longwords": ("word " * 40_000),
 "code": "```\n" + "z" * 100_000 + "\n```",
 "table": "|" + "a|" * 2000 + "\n|" + "-|" * 2000 + "\n|" + "b|" * 2000,
}
import pytest
@pytest.mark.parametrize("name", NEST)
async def test_nest(make_app, endpoint, name):
    endpoint.script(Scenario(reply=NEST[name], chunk_size=500))
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        t = time.monotonic()
        await send(pilot, "go")
        t1 = time.monotonic() - t
        s = screen(pilot)
        inp = s._composer.input
        t = time.monotonic()
        app.post_message(events.Key("z", "z"))
        await wait_for(pilot, lambda: inp.text.endswith("z"), timeout=60)
        print(f"\nNEST {name} send={t1:.2f} key={time.monotonic()-t:.3f}", app.studio.history(s.conversation.id)[-1].state)
