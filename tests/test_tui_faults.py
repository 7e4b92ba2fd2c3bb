"""The fault matrix in the studio screen (Pilot): endpoint faults, Esc on a silent server,
hostile or huge input, no API key, the TUI and CLI processes writing at once.

Each endpoint fault runs through the real screen over real HTTP (tests/loopback.py). The
promise for every row: the app stays up and keys are handled (typed while the fault plays
and after it, each must show in the composer), one clear sentence with the next step is
shown where the user looks (under the reply, and as a toast for errors), the message is
kept, the reply is stored and shown with its state, and ctrl+r retries it.
docs/reliability.md maps rows to tests.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import replace

import pytest
from textual import events
from textual.pilot import Pilot
from textual.widgets import Static

from clitools import PROMPTSTUDIO, cli_env
from conftest import TEST_KEY
from loopback import LoopbackServer, Scenario
from promptstudio_tui import tokens
from promptstudio_tui.app import PromptStudioApp
from promptstudio_tui.screens.settings import SettingsScreen
from promptstudio_tui.widgets.message_view import LiveReply, MessageView
from repos import repos
from test_faults import BIG, FAULTS, REPLY, Fault, _base_url, assert_one_clear_sentence
from tui_fixtures import SIZE, frozen_clock, idle, notifications, rendered, screen, wait_for

MESSAGE = "Help me write a prompt"
# Liveness, not speed (speed is measured by bench/): a key that has not shown after this
# long means the app froze.
KEY_HANG = 60.0
MARKS = {"error": "✖ failed", "interrupted": "⚠ interrupted"}

# The core rows (tests/test_faults.py) that change what the studio screen shows. 500 and
# 503 are told after 3 quick attempts here (a short Retry-After); the core tests the backoff.
TUI_FAULTS: dict[str, Fault] = {
    name: FAULTS[name]
    for name in (
        "connection-refused",
        "401",
        "404-unknown-model",
        "429-retry-after-long",
        "500-persistent",
        "cut-mid-reply",
        "malformed-chunk",
        "no-usage",
        "1mb-reply",
    )
}
TUI_FAULTS["503-persistent"] = replace(
    FAULTS["503-backoff"], scenario=Scenario(status=503, retry_after=0.01, fail_times=99)
)
# Paced (8 KB chunks, 128 of them 20 ms apart: 2.5 s at least), so that keys are typed
# while it streams whatever the machine's speed.
TUI_FAULTS["1mb-reply"] = replace(FAULTS["1mb-reply"], scenario=Scenario(reply=BIG, chunk_size=8192, delay=0.02))


def flat(text: str) -> str:
    return " ".join(text.split())


def reply_streaming(pilot: Pilot) -> bool:
    """A reply is on screen as it streams (it becomes a MessageView once settled)."""
    return bool(screen(pilot).query(LiveReply))


async def type_key(pilot: Pilot, key: str = "x") -> bool:
    """Type `key` as a terminal delivers it and wait until the composer shows it (a frozen
    app fails the wait); whether a reply was still streaming when it showed."""
    composer = screen(pilot).composer.input
    before = len(composer.text)
    pilot.app.post_message(events.Key(key, key))  # not pilot.press: it waits for the app to go idle
    await wait_for(pilot, lambda: len(composer.text) > before, timeout=KEY_HANG)
    return reply_streaming(pilot)


async def send_and_type(pilot: Pilot, text: str) -> int:
    """Send `text`, then keep typing into the composer until the reply settles, and once
    after; every key must show, once. Returns how many showed while the reply streamed."""
    studio_screen = screen(pilot)
    studio_screen.composer.set_text(text)
    studio_screen.composer.input.action_send()
    await wait_for(pilot, lambda: studio_screen.chat.message_ids())  # the message is saved and shown
    typed = while_streaming = 0
    while studio_screen.session.flights():
        while_streaming += await type_key(pilot)
        typed += 1
        await pilot.pause(0.05)
    await idle(pilot)
    await type_key(pilot)  # and once it has settled
    assert studio_screen.composer.text == "x" * (typed + 1)  # no key lost, none doubled
    studio_screen.composer.set_text("")
    return while_streaming


@pytest.mark.parametrize("name", TUI_FAULTS)
async def test_endpoint_fault_in_the_studio(name: str, make_studio, endpoint: LoopbackServer) -> None:
    fault = TUI_FAULTS[name]
    studio = make_studio('plan = "pro"\n' + (f"max_tokens = {fault.max_tokens}\n" if fault.max_tokens else ""))
    studio.settings = studio.settings.with_values(model="gpt-4o-mini", base_url=_base_url(fault, endpoint))
    endpoint.default = fault.scenario or Scenario()
    app = PromptStudioApp(studio=studio, clock=frozen_clock)
    async with app.run_test(size=SIZE) as pilot:
        studio_screen = screen(pilot)
        typed_while_streaming = await send_and_type(pilot, MESSAGE)
        if name == "1mb-reply":  # typing is not held up until the long reply has arrived
            assert typed_while_streaming, "no key showed while the reply streamed"

        conversation = studio_screen.session.conversation
        user, reply = studio.history(conversation.id)
        assert (user.role, user.content, user.state) == ("user", MESSAGE, "complete")
        assert (reply.state, reply.content) == (fault.state, fault.content)
        user_view, reply_view = studio_screen.query(MessageView)
        assert MESSAGE in rendered(user_view)
        assert not studio_screen.query(".chat-notice")  # the reply row carries the failure

        if fault.state == "complete":
            assert reply.error is None and not reply_view.has_class("-failed")
            assert not studio_screen.query("Button.retry")
            if name == "no-usage":  # counted exactly, locally
                assert reply.completion_tokens == tokens.count(REPLY, "gpt-4o-mini").tokens
                assert REPLY in rendered(reply_view)
            await pilot.press("ctrl+r")
            assert "Nothing to retry: the last reply is complete." in notifications(pilot)
            return

        # One sentence with the next step, where the user looks: under the reply (and a toast).
        assert_one_clear_sentence(reply.error, fault.error)
        shown = flat(rendered(reply_view))
        assert flat(reply.error) in shown and MARKS[fault.state] in shown
        assert reply_view.has_class("-failed")
        assert (reply.error in notifications(pilot)) == (fault.state == "error")  # a toast for errors
        assert studio_screen.query_one("Button.retry").label.plain == "Retry (ctrl+r)"

        # The endpoint recovers (or the user fixes the base URL): ctrl+r answers the same turn.
        endpoint.reset()
        endpoint.default = Scenario(reply="Recovered.")
        studio.settings = studio.settings.with_values(base_url=endpoint.base_url)
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: len(studio.history(conversation.id)) == 3)
        await idle(pilot)
        states = [(m.role, m.state) for m in studio.history(conversation.id)]
        assert states == [("user", "complete"), ("assistant", fault.state), ("assistant", "complete")]
        views = studio_screen.query(MessageView)
        assert "Recovered." in rendered(views[2]) and MARKS[fault.state] in rendered(views[1])
        assert not studio_screen.query("Button.retry")
        assert [m["role"] for m in endpoint.requests[-1].body["messages"]] == ["system", "user"]


# -- Esc while the endpoint says nothing ----------------------------------------------------


@pytest.mark.parametrize(
    ("scenario", "partial"),
    [(Scenario(hang=True), ""), (Scenario(reply=REPLY, chunk_size=4, stall_after_chars=20), REPLY[:20])],
    ids=["never-answers", "stalls-mid-reply"],
)
async def test_escape_stops_a_silent_endpoint_at_once(make_app, endpoint: LoopbackServer, scenario, partial) -> None:
    endpoint.default = scenario
    app = make_app("timeout = 60\n")
    async with app.run_test(size=SIZE) as pilot:
        studio_screen = screen(pilot)
        studio_screen.composer.set_text("are you there?")
        studio_screen.composer.input.action_send()
        await wait_for(pilot, lambda: endpoint.requests and endpoint.requests[-1].path.endswith("/chat/completions"))
        await wait_for(
            pilot,
            lambda: [(f.reply_id is not None, f.text) for f in studio_screen.session.flights()] == [(True, partial)],
        )
        await pilot.pause(0.2)  # well inside the request, waiting on the network
        assert studio_screen.session.flights()

        # Only Esc can end the request within this wait: the timeout is 60 s, the server silent.
        app.post_message(events.Key("escape", None))
        await wait_for(
            pilot,
            lambda: not studio_screen.session.flights() and not reply_streaming(pilot),
            timeout=30,
        )
        assert endpoint.requests[-1].disconnected.wait(30), "the HTTP request was left open"

        reply = app.studio.history(studio_screen.session.conversation.id)[-1]
        assert (reply.state, reply.content, reply.error) == (
            "interrupted",
            partial,
            "Stopped before the reply finished.",
        )
        view = studio_screen.query(MessageView).last()
        assert "⚠ interrupted" in rendered(view) and "Stopped before the reply finished." in rendered(view)
        # The composer is usable again at once, and ctrl+r answers the same turn.
        await pilot.press("o", "k")
        assert studio_screen.composer.text == "ok" and studio_screen.focused is studio_screen.composer.input
        endpoint.default = Scenario(reply="Here now.")
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: len(app.studio.history(studio_screen.session.conversation.id)) == 3)
        await idle(pilot)
        assert app.studio.history(studio_screen.session.conversation.id)[-1].content == "Here now."
        assert studio_screen.composer.text == "ok"  # what was being typed is untouched


# -- hostile and huge input -------------------------------------------------------------------

LOG_LINES = "".join(
    f"2026-03-14T15:09:{i % 60:02d}Z INFO request id={i:08x} took {i % 997}ms path=/api/v1/items/{i}\n"
    for i in range(13_000)
)
PASTES = {
    "one-line": "0123456789abcdef" * 65_536,  # 1 MiB, one line: minified JSON, base64, a log without newlines
    "many-lines": (LOG_LINES * 2)[: 1 << 20],  # 1 MiB of log lines
}


@pytest.mark.parametrize("kind", PASTES)
async def test_a_1mb_paste_keeps_the_composer_responsive_and_counts_it_right(make_app, endpoint, kind: str) -> None:
    paste = PASTES[kind]
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        studio_screen = screen(pilot)
        composer = studio_screen.composer.input
        composer.focus()
        app.post_message(events.Paste(paste))  # as a terminal delivers a bracketed paste
        await wait_for(pilot, lambda: composer.text == paste, timeout=KEY_HANG)
        for key in "abc":
            await type_key(pilot, key)
        assert composer.text == paste + "abc"
        # A soft-wrapped 1 MiB line made every key wait 2.5-3.8 s (each key re-wraps it for
        # every visible row): a line that long scrolls sideways; lines of a log still wrap.
        assert composer.soft_wrap == (kind == "many-lines")

        # The estimate under the composer is tiktoken's count for the model (not ~4 chars/token).
        status = studio_screen.query_one("#composer-status", Static)
        expected = tokens.count(paste + "abc", app.studio.settings.model).tokens
        await wait_for(pilot, lambda: f"{len(paste) + 3:,} chars · {expected:,} tokens" in str(status.render()))
        # Typing on keeps it right (counted again, never left stale).
        await type_key(pilot, "d")
        expected = tokens.count(paste + "abcd", app.studio.settings.model).tokens
        await wait_for(pilot, lambda: f"{len(paste) + 4:,} chars · {expected:,} tokens" in str(status.render()))


# Model output a renderer can choke on: recursion depth, backtracking regexes, one huge line.
# Replies of up to 50,004 tokens, allowed for: reading stops at twice max_tokens.
LONG_REPLIES = 'plan = "pro"\nmax_tokens = 30000\n[generate]\nmax_tokens = 30000\n'
HOSTILE = {
    "nested-quotes": "> " * 300 + "deep",
    "nested-lists": "".join("  " * i + "- item\n" for i in range(300)),
    "nested-brackets": "[" * 5000 + "x" + "]" * 5000 + "*" * 5000,
    "long-line": "y" * 200_000,
    "long-code-fence": "```\n" + "z" * 100_000 + "\n```",
}


@pytest.mark.parametrize("name", HOSTILE)
async def test_hostile_markdown_in_a_reply_neither_crashes_nor_freezes(make_app, endpoint, name: str) -> None:
    endpoint.default = Scenario(reply=HOSTILE[name], chunk_size=1024)
    app = make_app(LONG_REPLIES)
    async with app.run_test(size=SIZE) as pilot:
        await send_and_type(pilot, "go")  # every key typed meanwhile shows: no freeze
        studio_screen = screen(pilot)
        reply = app.studio.history(studio_screen.session.conversation.id)[-1]
        assert (reply.state, reply.content) == ("complete", HOSTILE[name])
        assert rendered(studio_screen.query(MessageView).last())  # the settled view renders


async def test_hostile_markdown_in_a_generated_prompt_does_not_freeze(make_app, endpoint) -> None:
    app = make_app(LONG_REPLIES)
    async with app.run_test(size=SIZE) as pilot:
        await send_and_type(pilot, "I need a prompt")
        endpoint.default = Scenario(reply=HOSTILE["long-code-fence"], chunk_size=1024)
        studio_screen = screen(pilot)
        await studio_screen.run_action("generate_prompt")
        while studio_screen.session.generating() is not None:  # every key typed meanwhile shows: no freeze
            await type_key(pilot)
            await pilot.pause(0.05)
        await idle(pilot)
        await type_key(pilot)
        [prompt] = repos(app.studio).prompts.list()
        assert prompt.content == HOSTILE["long-code-fence"]


# -- no key, and other processes writing at once ---------------------------------------------


async def test_no_api_key_for_openai_says_open_settings_with_f2(no_keyring, endpoint, monkeypatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    app = PromptStudioApp(clock=frozen_clock)  # the default endpoint: OpenAI, which needs a key
    async with app.run_test(size=SIZE) as pilot:
        studio_screen = screen(pilot)
        studio_screen.composer.set_text("Hello")
        await pilot.press("enter")
        await wait_for(pilot, lambda: studio_screen.query(".chat-notice"))
        notice = str(studio_screen.query_one(".chat-notice", Static).render())
        assert notice.startswith("⚠ No API key is set for OpenAI — open Settings with F2")
        assert "\n" not in notice and notice.endswith("Your message is saved; press ctrl+r to try again.")
        assert any(n.startswith("No API key is set for OpenAI") for n in notifications(pilot))
        [message] = app.studio.history(studio_screen.session.conversation.id)
        assert message.content == "Hello" and not endpoint.requests  # kept; nothing was sent

        await pilot.press("f2")  # the next step it names
        assert isinstance(app.screen, SettingsScreen)
        await pilot.press("escape")
        assert app.screen is studio_screen
        await pilot.press("o", "k")
        assert studio_screen.composer.text == "ok"

        # Once an endpoint is set up (here: the loopback one, which needs no key), ctrl+r answers.
        app.studio.settings = app.studio.settings.with_values(base_url=endpoint.base_url)
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: len(app.studio.history(studio_screen.session.conversation.id)) == 2)
        await idle(pilot)
        assert app.studio.history(studio_screen.session.conversation.id)[-1].state == "complete"
        assert not studio_screen.query(".chat-notice")


async def test_the_tui_and_cli_processes_write_at_once(make_app, endpoint: LoopbackServer, home) -> None:
    """Three `promptstudio send` processes stream and write through while the TUI does."""
    reply = "chunk " * 30
    endpoint.default = Scenario(reply=reply, chunk_size=6, delay=0.02)  # ~0.6 s each: write-throughs overlap
    app = make_app('plan = "pro"\n')
    env = cli_env(home, endpoint.base_url, TEST_KEY)
    async with app.run_test(size=SIZE) as pilot:
        studio_screen = screen(pilot)
        procs = [
            subprocess.Popen(
                [PROMPTSTUDIO, "send", f"cli {i}"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
            )
            for i in range(3)
        ]
        sent = []
        try:
            while len(sent) < 2 or any(p.poll() is None for p in procs):  # until every process is done
                text = f"tui {len(sent)}"
                await pilot.press("ctrl+n")
                await send_and_type(pilot, text)
                sent.append(text)
                reply_row = app.studio.history(studio_screen.session.conversation.id)[-1]
                assert (reply_row.state, reply_row.content) == ("complete", reply), reply_row.error
                assert len(sent) < 20, "the CLI processes never finished"
            results = [(p.wait(timeout=60), *p.communicate()) for p in procs]
        finally:
            for p in procs:
                p.kill()
        for code, out, err in results:
            assert (code, out) == (0, reply + "\n"), err
            assert not re.search("locked|busy|Traceback", err)
        shown = " ".join(notifications(pilot)) + " ".join(str(n.render()) for n in studio_screen.query(".chat-notice"))
        assert not re.search("locked|busy|database", shown, re.IGNORECASE)

        studio = app.studio
        users = {row[0] for row in repos(studio).store.query("SELECT content FROM messages WHERE role = 'user'")}
        assert users == {f"cli {i}" for i in range(3)} | set(sent)
        replies = repos(studio).store.query("SELECT state, content FROM messages WHERE role = 'assistant'")
        assert len(replies) == len(users) and all(tuple(r) == ("complete", reply) for r in replies)
        assert studio.quota_status().used.requests == len(users)
        assert repos(studio).store.query("PRAGMA integrity_check")[0][0] == "ok"
        # The TUI's list shows the other processes' conversations too.
        studio_screen.conversation_list.reload()
        await wait_for(pilot, lambda: studio_screen.conversation_list.total == len(users))
