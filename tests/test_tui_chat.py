"""The chat pane against the loopback endpoint: send, stream, cancel, retry, refusals."""

from __future__ import annotations

import re

from textual.widgets import Static

from loopback import Scenario
from promptstudio_tui.catalog import TEMPLATES
from promptstudio_tui.widgets.message_view import MessageView
from repos import repos
from tui_fixtures import NOW, SIZE, drawn, idle, notifications, rendered, screen, send, wait_for


async def test_send_streams_and_persists_the_reply(make_app, endpoint):
    endpoint.script(Scenario(reply="Who will **read** the summaries?", chunk_size=4))
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        studio_screen = screen(pilot)
        await send(pilot, "I need a prompt for summarising emails")
        conversation = studio_screen.session.conversation
        assert conversation is not None and conversation.title == "I need a prompt for summarising emails"
        user, reply = app.studio.history(conversation.id)
        assert (user.role, user.content) == ("user", "I need a prompt for summarising emails")
        assert (reply.role, reply.state, reply.content) == ("assistant", "complete", "Who will **read** the summaries?")
        assert reply.completion_tokens > 0
        views = list(studio_screen.query(MessageView))
        assert [v.message.role for v in views] == ["user", "assistant"]
        assert "Who will read the summaries?" in rendered(views[1])  # markdown, rendered
        assert "$0.0" in rendered(views[1]) and "tokens" in rendered(views[1])
        assert studio_screen.composer.text == ""
        assert studio_screen.header.state == "idle"
        await wait_for(
            pilot,
            lambda: (
                studio_screen.conversation_list.rows and studio_screen.conversation_list.rows[0].id == conversation.id
            ),
        )
        assert endpoint.requests[-1].body["messages"][-1]["content"] == "I need a prompt for summarising emails"


async def test_the_header_counts_the_wait_for_a_slow_first_token(make_app, endpoint):
    endpoint.script(Scenario(reply="Finally here.", chunk_size=20, delay=2.5))  # 2.5 s to the first token
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        studio_screen = screen(pilot)
        studio_screen.composer.set_text("Are you there?")
        studio_screen.composer.input.action_send()
        header = studio_screen.header
        await wait_for(pilot, lambda: header.detail.endswith(" stops"))
        assert header.state == "waiting" and re.fullmatch(r"\d+ s · esc stops", header.detail)
        await idle(pilot)
        assert (header.state, header.detail) == ("idle", "")


async def test_escape_stops_a_streaming_reply_and_keeps_the_text(make_app, endpoint):
    endpoint.script(Scenario(reply="word " * 200, chunk_size=5, delay=0.02))
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        studio_screen = screen(pilot)
        studio_screen.composer.set_text("Tell me everything")
        studio_screen.composer.input.action_send()
        await wait_for(pilot, lambda: any(len(f.text) > 20 for f in studio_screen.session.flights()))
        assert studio_screen.header.state == "streaming"
        await pilot.press("escape")
        await idle(pilot)
        reply = app.studio.history(studio_screen.session.conversation.id)[-1]
        assert reply.state == "interrupted"
        assert 20 < len(reply.content) < len("word " * 200)
        assert ("word " * 200).startswith(reply.content)
        view = studio_screen.query(MessageView).last()
        assert view.has_class("-failed") and view.message.state == "interrupted"
        assert "⚠ interrupted" in rendered(view) and "Stopped before the reply finished." in rendered(view)
        assert studio_screen.query_one("Button.retry").label.plain == "Retry (ctrl+r)"


async def test_a_failed_reply_is_marked_and_retried(make_app, endpoint):
    endpoint.script(Scenario(status=400, error_message="Unsupported parameter."), Scenario(reply="Second time lucky."))
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        studio_screen = screen(pilot)
        await send(pilot, "Help me")
        failed = app.studio.history(studio_screen.session.conversation.id)[-1]
        assert failed.state == "error" and "rejected the request" in failed.error
        assert any("rejected the request" in n for n in notifications(pilot))
        await pilot.click("Button.retry")
        await wait_for(pilot, lambda: len(app.studio.history(studio_screen.session.conversation.id)) == 3)
        await idle(pilot)
        states = [(m.role, m.state) for m in app.studio.history(studio_screen.session.conversation.id)]
        assert states == [("user", "complete"), ("assistant", "error"), ("assistant", "complete")]
        # The failed reply stays marked, and no retry is offered once the newest reply is fine.
        assert "✖ failed" in rendered(studio_screen.query(MessageView)[1])
        assert not studio_screen.query("Button.retry")


async def test_quota_refusal_is_shown_and_nothing_is_sent(make_app, endpoint):
    app = make_app("[plans.free]\ntokens_limit = 50\n")
    async with app.run_test(size=SIZE) as pilot:
        studio_screen = screen(pilot)
        studio_screen.composer.set_text("Please help me write a prompt")
        await pilot.press("enter")
        await wait_for(pilot, lambda: studio_screen.query(".chat-notice"))
        notice = str(studio_screen.query_one(".chat-notice", Static).render())
        assert "monthly tokens are left" in notice and "Settings (F2)" in notice and "ctrl+r" in notice
        assert any("monthly tokens are left" in n for n in notifications(pilot))
        assert [m.role for m in app.studio.history(studio_screen.session.conversation.id)] == ["user"]
        assert not [r for r in endpoint.requests if r.path.endswith("/chat/completions")]
        assert not studio_screen.session.flights()


async def test_unreachable_endpoint_says_what_to_do(make_studio, endpoint):
    from promptstudio_tui.app import PromptStudioApp
    from tui_fixtures import frozen_clock

    studio = make_studio()
    studio.update_settings(base_url="http://127.0.0.1:9/v1")
    app = PromptStudioApp(studio=studio, clock=frozen_clock)
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, "Hello?")
        reply = app.studio.history(screen(pilot).session.conversation.id)[-1]
        assert reply.state == "error" and "Cannot reach" in reply.error and "F2" in reply.error


async def test_enter_sends_while_alt_enter_and_ctrl_j_add_lines(make_app, endpoint):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        studio_screen = screen(pilot)
        await pilot.press("a", "alt+enter", "b", "ctrl+j", "c", "shift+enter", "d")
        assert studio_screen.composer.text == "a\nb\nc\nd"
        assert studio_screen.session.conversation is None
        status = studio_screen.query_one("#composer-status", Static)
        # At once a rough estimate; once typing pauses, tiktoken's count for the model.
        assert re.match(r"7 chars · (~2|7) tokens", str(status.render()))
        await wait_for(pilot, lambda: str(status.render()).startswith("7 chars · 7 tokens"))


async def test_fast_typing_keeps_its_order_around_enter_and_new_lines(make_app, endpoint):
    """Keys arriving in one burst (a paste-like typist, tmux send-keys) are applied in order."""
    from textual import events

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        studio_screen = screen(pilot)
        burst = [*"one", "alt+enter", *"two", "ctrl+j", *"three", "enter"]
        for key in burst:
            app.post_message(events.Key(key, key if len(key) == 1 else None))
        await wait_for(
            pilot, lambda: studio_screen.session.conversation is not None and not studio_screen.session.flights()
        )
        await pilot.pause()
        assert app.studio.history(studio_screen.session.conversation.id)[0].content == "one\ntwo\nthree"


async def test_model_output_cannot_drive_the_terminal_or_inject_markup(make_app, endpoint):
    endpoint.script(Scenario(reply="[bold red]hi[/] \x1b]52;c;ZXZpbA==\x07 \x1b[2J done"))
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, "[b]not markup[/b]")
        user_view, reply_view = screen(pilot).query(MessageView)
        assert "[b]not markup[/b]" in rendered(user_view)
        reply = rendered(reply_view)
        assert "[bold red]hi[/]" in reply and "\x1b" not in reply and "\x07" not in reply and "␛" in reply


async def test_template_opens_a_conversation_with_the_text_in_the_composer(make_app, endpoint):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        studio_screen = screen(pilot)
        templates = studio_screen.query_one("#templates")
        templates.focus()
        await pilot.press("down", "enter")
        await wait_for(pilot, lambda: studio_screen.session.conversation is not None)
        template = TEMPLATES[1]
        assert studio_screen.session.conversation.category == template.category
        assert studio_screen.composer.text == template.text
        assert studio_screen.focused.id == "composer-input"
        assert studio_screen.query(".chat-tips")  # an empty conversation shows short tips


async def test_long_conversations_render_the_newest_messages_and_load_earlier(make_studio, endpoint):
    from promptstudio_tui.app import PromptStudioApp
    from promptstudio_tui.screens.conversation_actions import HISTORY_PAGE
    from tui_fixtures import frozen_clock

    studio = make_studio()
    conversation = studio.new_conversation(title="Long one")
    for index in range(50):
        repos(studio).messages.add(conversation.id, "user" if index % 2 == 0 else "assistant", f"message {index}")
    app = PromptStudioApp(studio=studio, clock=frozen_clock)
    async with app.run_test(size=SIZE) as pilot:
        studio_screen = screen(pilot)
        await wait_for(pilot, lambda: studio_screen.conversation_list.rows)
        studio_screen.conversation_list.focus()
        await pilot.press("enter")
        await wait_for(pilot, lambda: studio_screen.session.conversation is not None)
        # The newest messages first, the rest of the page once they are drawn.
        await wait_for(pilot, lambda: len(studio_screen.query(MessageView)) == HISTORY_PAGE)
        assert [v.message.content for v in studio_screen.query(MessageView)] == [
            f"message {i}" for i in range(50 - HISTORY_PAGE, 50)
        ]
        assert studio_screen.query(MessageView).first().message.content == f"message {50 - HISTORY_PAGE}"
        for shown in range(2 * HISTORY_PAGE, 50 + HISTORY_PAGE, HISTORY_PAGE):
            studio_screen.query_one("Button.chat-header").press()
            await wait_for(pilot, lambda shown=shown: len(studio_screen.query(MessageView)) == min(shown, 50))
        assert studio_screen.query(MessageView).first().message.content == "message 0"
        assert not studio_screen.query("Button.chat-header")


async def test_a_reply_finishing_elsewhere_counts_as_unread(make_app, endpoint):
    endpoint.script(Scenario(reply="slow " * 20, chunk_size=5, delay=0.03))
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        studio_screen = screen(pilot)
        studio_screen.composer.set_text("first")
        # Not pilot.press: it waits for the app to go idle, i.e. for the whole stream.
        studio_screen.composer.input.action_send()
        await wait_for(pilot, lambda: any(f.text for f in studio_screen.session.flights()))
        first = studio_screen.session.conversation
        await pilot.press("ctrl+n")
        await wait_for(pilot, lambda: studio_screen.session.conversation.id != first.id)
        await idle(pilot)
        assert repos(app.studio).conversations.get(first.id).unread_count == 1
        await wait_for(pilot, lambda: any(r.unread_count for r in studio_screen.conversation_list.rows))
        studio_screen.conversation_list.focus()
        studio_screen.conversation_list.highlighted = [r.id for r in studio_screen.conversation_list.rows].index(
            first.id
        )
        await pilot.press("enter")
        await wait_for(pilot, lambda: studio_screen.session.conversation.id == first.id)
        assert repos(app.studio).conversations.get(first.id).unread_count == 0
        assert studio_screen.query(MessageView).last().message.state == "complete"


# -- a streamed reply settles into exactly what the conversation shows when reopened ------

STREAMED = """\
Here is the plan. It has **three** parts and a [link](https://example.com).

# Heading one

Setext title
------------

1. First step
2. Second step, which runs long enough to wrap at a narrow width and keep going for a while

   with a second paragraph in the item

- a bullet
  - a nested bullet

> A quote that goes on
and continues lazily

```python
def release(version: str) -> str:
    return f"Prompt Studio {version} is out"

print(release("2.4"))
```

| name | value |
|------|-------|
| a    | 1     |

---

    indented code

![a diagram](https://example.com/d.png) and text after an image.

---

- a list right after a rule

<div>
an HTML block
</div>

> a quote after HTML

## A heading with ![an icon](https://example.com/i.png)

***

Final paragraph.\r
With a carriage return, a control \x1b[2J and the end.
"""


def _segments(renderable, width: int) -> list[tuple[str, object]]:
    import io

    from rich.console import Console

    console = Console(width=width, file=io.StringIO(), color_system="truecolor")
    return [(s.text, s.style) for s in console.render(renderable, console.options)]


async def test_a_streamed_reply_settles_into_the_same_rendering_as_a_reopened_one():
    import random

    from rich.console import Group
    from textual.app import App
    from textual.containers import VerticalScroll

    from promptstudio_tui.store.records import Message
    from promptstudio_tui.widgets.message_view import LiveReply, reply_markdown

    text = STREAMED * 12  # long enough to freeze several chunks
    message = Message("r1", "c1", "assistant", text, "complete", None, "m", 1, 2, 3, "2026-03-14T14:48:10.000000+00:00")
    app = App()
    async with app.run_test(size=(100, 40)):
        log = VerticalScroll()
        await app.screen.mount(log)
        whole = {width: _segments(reply_markdown(text, dark=True), width) for width in (40, 97)}
        for seed in range(4):  # blocks are frozen at different places for different chunkings
            live = LiveReply(message, NOW, "")
            await log.mount(live)
            rng = random.Random(seed)
            position = 0
            while position < len(text):
                step = rng.randint(1, 300)
                await live.append(text[position : position + step])
                position += step
            chunks = live.query(".live-chunk")
            assert len(chunks) >= 3  # finished blocks were frozen, not redrawn with each chunk
            body = live.settled_body(message)
            assert body is not None
            for width, segments in whole.items():
                assert _segments(Group(*body), width) == segments
            # The pieces on screen while it streamed are the very ones the settled view replays.
            assert [chunk.content for chunk in chunks] == body[:-1]
            await live.remove()
        # Stored text that differs from what streamed (never expected) is rendered whole.
        assert live.settled_body(Message(**{**message.__dict__, "content": text[:-1]})) is None


async def test_a_huge_last_block_or_a_reference_link_is_rendered_whole_when_it_settles():
    from textual.app import App

    from promptstudio_tui.store.records import Message
    from promptstudio_tui.widgets.message_view import LIVE_BLOCK_LIMIT, LiveReply

    fence = "```\n" + "z" * (LIVE_BLOCK_LIMIT + 10) + "\n```"
    reference = "See [the docs][d].\n\n" + "More text here.\n\n" * 200 + "[d]: https://example.com\n"
    app = App()
    async with app.run_test(size=(100, 40)):
        for text in (fence, reference):
            message = Message(
                "r1", "c1", "assistant", text, "complete", None, "m", 1, 2, 3, "2026-03-14T14:48:10.000000+00:00"
            )
            live = LiveReply(message, NOW, "")
            await app.screen.mount(live)
            for start in range(0, len(text), 1000):
                await live.append(text[start : start + 1000])
            assert live.settled_body(message) is None
            if text is fence:  # progress instead of re-rendering a huge block with every chunk
                assert "characters so far" in str(live.query_one(".live-tail").content)
            await live.remove()


async def test_a_streamed_reply_keeps_every_chunk_in_order_and_settles_from_its_pieces(make_app, endpoint):
    """Deltas that arrive while the screen is busy are shown together, none lost or reordered."""
    from promptstudio_tui.widgets.message_view import LiveReply

    reply = STREAMED * 4
    endpoint.script(Scenario(reply=reply, chunk_size=7, delay=0.001))
    app = make_app("max_tokens = 5000\n")  # the reply is longer than the default allows
    async with app.run_test(size=SIZE) as pilot:
        studio_screen = screen(pilot)
        studio_screen.composer.set_text("Plan it")
        studio_screen.composer.input.action_send()
        await wait_for(pilot, lambda: studio_screen.query(LiveReply))
        live = studio_screen.query_one(LiveReply)
        await idle(pilot)
        stored = app.studio.history(studio_screen.session.conversation.id)[-1]
        assert stored.content == reply
        assert live._text == stored.content
        assert live.settled_body(stored) is not None  # the settled view reused the streamed pieces
        assert not studio_screen.query(LiveReply)
        assert rendered(studio_screen.query(MessageView).last()).count("Final paragraph.") == 4


async def test_text_arriving_within_the_redraw_interval_is_drawn_together(make_app, endpoint, monkeypatch):
    """With an interval longer than the stream, a 100-chunk reply is drawn twice: at its
    first chunk and at its end; and it shows whole."""
    from promptstudio_tui.messages import FlightText
    from promptstudio_tui.screens import reply_flow

    monkeypatch.setattr(reply_flow, "REDRAW", 3600.0)
    endpoint.script(Scenario(reply="word " * 100, chunk_size=5))
    told: list[FlightText] = []
    app = make_app()
    async with app.run_test(
        size=SIZE, message_hook=lambda m: told.append(m) if isinstance(m, FlightText) else None
    ) as pilot:
        await send(pilot, "Go")
        assert len(told) == 2
        assert rendered(drawn(screen(pilot))[-1]).count("word") == 100


async def test_text_held_for_the_redraw_is_drawn_when_the_stream_pauses(make_app, endpoint, monkeypatch):
    """The first chunk is drawn at once; the two after it (0.1 s apart), held for the
    interval, are drawn once it has passed, though nothing more arrives."""
    from promptstudio_tui.screens import reply_flow

    monkeypatch.setattr(reply_flow, "REDRAW", 1.0)
    endpoint.script(Scenario(reply="slow " * 40, chunk_size=5, delay=0.1, stall_after_chars=15))
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        studio_screen = screen(pilot)
        studio_screen.composer.set_text("Take your time")
        studio_screen.composer.input.action_send()
        await wait_for(pilot, lambda: any(rendered(view).count("slow") == 3 for view in drawn(studio_screen)))
        assert studio_screen.session.flight() is not None  # still streaming: the stall holds it
        await pilot.press("escape")
        await idle(pilot)


async def test_escape_stops_only_the_conversation_on_screen(make_app, endpoint):
    """Esc in B leaves A's reply streaming (B's header says idle, truthfully); B can send meanwhile."""
    endpoint.script(Scenario(reply="slow " * 40, chunk_size=5, stall_after_chars=15), Scenario(reply="B answered."))
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        studio_screen = screen(pilot)
        session = studio_screen.session
        studio_screen.composer.set_text("in A")
        studio_screen.composer.input.action_send()
        await wait_for(pilot, lambda: any(f.text for f in session.flights()))
        a = session.conversation
        await pilot.press("ctrl+n")
        await wait_for(pilot, lambda: session.conversation.id != a.id)
        assert studio_screen.header.state == "idle"
        await pilot.press("escape")
        assert session.flight(a.id) is not None  # A still streams
        b = session.conversation
        studio_screen.composer.set_text("in B")
        await pilot.press("enter")  # A's reply streaming elsewhere does not refuse it
        await wait_for(pilot, lambda: session.flight(b.id) is None and len(studio_screen.chat.message_ids()) == 2)
        assert [m.content for m in app.studio.history(b.id)] == ["in B", "B answered."]
        assert session.flight(a.id) is not None and session.flight(a.id).state == "streaming"

        studio_screen.conversation_list.focus()
        studio_screen.conversation_list.highlighted = [r.id for r in studio_screen.conversation_list.rows].index(a.id)
        await pilot.press("enter")
        await wait_for(pilot, lambda: session.conversation.id == a.id)
        assert studio_screen.header.state == "streaming"
        await pilot.press("escape")
        await idle(pilot)
        reply = app.studio.history(a.id)[-1]
        assert (reply.state, reply.content) == ("interrupted", "slow slow slow ")
        assert studio_screen.query(MessageView).last().message.state == "interrupted"
        assert studio_screen.header.state == "idle"
