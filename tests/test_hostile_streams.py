"""Whatever an endpoint streams, a request ends settled: never a traceback, never a row left
`streaming`, never a quota reservation held — through the real HTTP path (tests/loopback.py
serves the raw SSE events each test scripts). docs/reliability.md maps each row to its test.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Iterator
from dataclasses import replace
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import TEST_KEY
from loopback import LoopbackServer, Scenario, run_server
from promptstudio_tui.events import PromptReady, ReplyDelta, ReplyDone, RunDone, StudioError
from promptstudio_tui.llm import LLMError
from promptstudio_tui.pricing import MAX_COST_MICROS, Price
from promptstudio_tui.studio import Studio
from test_faults import clock_the_studio

SETTLED = {"complete", "interrupted", "error"}


def chunk(delta: Any = None, *, choices: Any = "one", usage: Any = "absent", finish: Any = None, index: Any = 0) -> str:
    """One `data:` event shaped like a chat completion chunk, any field replaced by what the test says."""
    payload: dict[str, Any] = {"id": "c", "object": "chat.completion.chunk", "created": 1, "model": "m"}
    payload["choices"] = [{"index": index, "delta": delta, "finish_reason": finish}] if choices == "one" else choices
    if usage != "absent":
        payload["usage"] = usage
    return "data: " + json.dumps(payload)


HELLO = chunk({"content": "Hello "})
STOP = chunk({}, finish="stop")

# The shapes seen from buggy or hostile servers; each must end in a settled reply.
HOSTILE: dict[str, list[str]] = {
    "delta-is-a-string": [HELLO, chunk("oops"), STOP],
    "null-choice": [HELLO, chunk(choices=[None]), STOP],
    "choices-is-a-string": [HELLO, chunk(choices="x"), STOP],
    "data-null": [HELLO, "data: null", STOP],
    "data-42": [HELLO, "data: 42", STOP],
    "nested-200000-deep": [HELLO, "data: " + "[" * 200_000 + "]" * 200_000, STOP],
    "content-is-a-number": [HELLO, chunk({"content": 5}), STOP],
    "content-is-a-list": [HELLO, chunk({"content": ["a", "b"]}), STOP],
    "finish-reason-is-a-number": [HELLO, chunk({}, finish=5)],
    "usage-is-a-string": [HELLO, STOP, chunk(choices=[], usage="lots")],
    "usage-negative": [HELLO, STOP, chunk(choices=[], usage={"prompt_tokens": -5, "completion_tokens": -3})],
    "usage-huge": [HELLO, STOP, chunk(choices=[], usage={"prompt_tokens": 10**30, "completion_tokens": 10**30})],
    "lone-surrogate": [chunk({"content": "Hello \ud800"}), STOP],
    "error-event": [HELLO, 'data: {"error": "boom"}'],
    "no-chunks": [],
}


@pytest.fixture
def hostile(endpoint: LoopbackServer, studio: Studio) -> Iterator[tuple[LoopbackServer, Studio]]:
    studio.settings = studio.settings.with_values(plan="pro")
    yield endpoint, studio


def assert_settled(studio: Studio, conversation_id: str, streamed: str | None = None) -> None:
    """No reply left streaming, its text the text that was streamed, no reservation held, usage readable."""
    reply = studio.history(conversation_id)[-1]
    assert reply.role == "assistant" and reply.state in SETTLED, reply.state
    if streamed is not None:
        assert reply.content == streamed
    if reply.error is not None:
        assert "\n" not in reply.error and "Traceback" not in reply.error
    quota = studio.quota_status()
    assert (quota.reserved_requests, quota.reserved_tokens) == (0, 0)
    studio.usage_report()  # the usage screen's numbers can be read


async def send(studio: Studio, text: str = "Hi") -> tuple[str, list[Any]]:
    conversation = studio.new_conversation()
    events = [event async for event in studio.send(conversation.id, text)]  # never raises
    assert isinstance(events[-1], ReplyDone)
    return conversation.id, events


def streamed_text(events: list[Any]) -> str:
    return "".join(e.text for e in events if isinstance(e, ReplyDelta))


@pytest.mark.parametrize("name", HOSTILE)
async def test_a_hostile_stream_settles_the_reply(name: str, hostile: tuple[LoopbackServer, Studio]) -> None:
    endpoint, studio = hostile
    endpoint.default = Scenario(events=HOSTILE[name])
    conversation_id, events = await send(studio)

    assert_settled(studio, conversation_id, streamed_text(events))
    reply = studio.history(conversation_id)[-1]
    if name.startswith("usage-"):  # the reply is fine; unbelievable numbers are counted locally instead
        assert (reply.state, reply.content) == ("complete", "Hello ")
        assert 0 < reply.completion_tokens < 10 and 0 < reply.prompt_tokens < 10_000
    elif name == "lone-surrogate":
        assert (reply.state, reply.content) == ("complete", "Hello \ufffd")
    elif name == "no-chunks":
        assert reply.state == "error" and "ended the stream without a reply — try again" in reply.error
    elif name == "error-event":
        assert reply.state == "error" and "reported an error mid-reply" in reply.error
    else:
        assert (reply.state, reply.content) == ("error", "Hello ")
        assert "not valid OpenAI JSON" in reply.error
    # The endpoint recovers: retry answers the same turn.
    endpoint.default = Scenario(reply="Fine now.")
    done = [event async for event in studio.retry(conversation_id)][-1]
    assert (done.message.state, done.message.content) == ("complete", "Fine now.")


@pytest.mark.parametrize("name", ["delta-is-a-string", "usage-negative", "nested-200000-deep"])
async def test_every_kind_of_request_settles_on_a_hostile_stream(
    name: str, hostile: tuple[LoopbackServer, Studio]
) -> None:
    """Generate (ctrl+g), refine, a try run, a test run with a judge, proposing cases: the same one settle path."""
    endpoint, studio = hostile
    conversation_id, _ = await send(studio)  # a healthy exchange to generate from
    endpoint.default = Scenario(events=HOSTILE[name])
    outcomes: list[str] = []
    try:
        events = [event async for event in studio.generate(conversation_id)]
        outcomes.append(type(events[-1]).__name__)
    except StudioError as exc:
        outcomes.append(str(exc))
    endpoint.default = Scenario(reply="You are a helpful assistant.")
    prompt = studio.prompt_of(conversation_id)  # made by the first generate if the stream was usable
    if prompt is None:
        ready = [event async for event in studio.generate(conversation_id)][-1]
        assert isinstance(ready, PromptReady)
        prompt = ready.prompt
    prompt_id = prompt.id
    endpoint.default = Scenario(events=HOSTILE[name])
    with contextlib.suppress(StudioError):
        [event async for event in studio.refine(prompt_id, "shorter")]
    run = [event async for event in studio.run(prompt_id)][-1]
    assert isinstance(run, RunDone) and run.run.state in SETTLED
    with contextlib.suppress(StudioError):
        await studio.propose_cases(prompt_id)

    assert all("Traceback" not in outcome for outcome in outcomes)
    quota = studio.quota_status()
    assert (quota.reserved_requests, quota.reserved_tokens) == (0, 0)
    assert all(r.state in SETTLED for r in studio.runs(prompt_id))


# -- the property: any stream at all ---------------------------------------------------------

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)
TOKEN_NUMBERS = st.one_of(st.integers(-(10**20), 10**20), st.sampled_from([0, 1, -1, 2**63, 10**30]), JSON)
USAGE = st.one_of(JSON, st.fixed_dictionaries({"prompt_tokens": TOKEN_NUMBERS, "completion_tokens": TOKEN_NUMBERS}))
CONTENT = st.one_of(st.text(max_size=20), st.none(), JSON)
CHUNKS = st.builds(
    lambda delta, finish, usage, index, choices: chunk(delta, finish=finish, usage=usage, index=index, choices=choices),
    st.one_of(st.fixed_dictionaries({"content": CONTENT}), JSON),
    st.one_of(st.none(), st.sampled_from(["stop", "length", ""]), JSON),
    st.one_of(st.just("absent"), USAGE),
    st.one_of(st.just(0), st.integers(-2, 2), JSON),
    st.one_of(st.just("one"), st.just([]), JSON),
)
RAW = st.one_of(
    st.sampled_from(
        [
            "data: null",
            "data: 42",
            "data: [DONE]",
            "data: {not json",
            ": a comment",
            "event: ping",
            'data: {"error": {"message": "overloaded"}}',
            "data: " + "[" * 5_000 + "]" * 5_000,
        ]
    ),
    JSON.map(lambda value: "data: " + json.dumps(value)),
)
STREAMS = st.lists(st.one_of(CHUNKS, CHUNKS, RAW), max_size=8)


def test_any_stream_at_all_ends_settled_with_no_reservation_left(home: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Random chunk shapes over real HTTP: never a traceback, never `streaming`, never a reservation left."""
    monkeypatch.setenv("OPENAI_API_KEY", TEST_KEY)
    loop = asyncio.new_event_loop()
    with run_server() as endpoint:
        studio = Studio.open({"base_url": endpoint.base_url, "model": "gpt-4o-mini", "plan": "enterprise"})
        sends = 0

        @settings(
            max_examples=80, deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck)
        )
        @given(STREAMS)
        def check(events: list[str]) -> None:
            nonlocal sends
            endpoint.default = Scenario(events=events)
            conversation_id, streamed = loop.run_until_complete(send(studio))
            sends += 1
            assert_settled(studio, conversation_id, streamed_text(streamed))

        try:
            check()
            assert studio.quota_status().used.requests <= sends
        finally:
            loop.run_until_complete(studio.aclose())
            loop.close()


# -- the consumer stops, the server ignores max_tokens, the price is absurd, the URL is unusable --


async def test_a_consumer_that_fails_mid_reply_leaves_it_settled(hostile: tuple[LoopbackServer, Studio]) -> None:
    """The CLI's stdout breaking, the UI's worker failing: the reply is closed, kept and interrupted."""
    endpoint, studio = hostile
    endpoint.default = Scenario(reply="One two three four five six.", chunk_size=4, delay=0.02)
    conversation = studio.new_conversation()
    seen = ""
    with pytest.raises(BrokenPipeError):
        async with contextlib.aclosing(studio.send(conversation.id, "count")) as events:
            async for event in events:
                if isinstance(event, ReplyDelta):
                    seen += event.text
                    if len(seen) >= 8:
                        raise BrokenPipeError

    reply = studio.history(conversation.id)[-1]
    assert (reply.state, reply.content) == ("interrupted", seen)
    assert studio.quota_status().used.requests == 1  # the tokens spent are counted
    assert_settled(studio, conversation.id)
    assert endpoint.requests[-1].disconnected.wait(5)


async def test_a_reply_past_its_max_tokens_is_stopped_and_said_so(hostile: tuple[LoopbackServer, Studio]) -> None:
    endpoint, studio = hostile
    studio.settings = studio.settings.with_values(chat=replace(studio.settings.chat, max_tokens=100))
    endpoint.default = Scenario(reply="word " * 20_000, chunk_size=40)  # 20,000 tokens; the server ignores the limit
    conversation_id, events = await send(studio)

    reply = studio.history(conversation_id)[-1]
    assert reply.state == "error" and "ignored the max_tokens limit of 100" in reply.error
    assert reply.content == streamed_text(events) and ("word " * 20_000).startswith(reply.content)
    assert 200 < reply.completion_tokens < 300  # stopped just past twice max_tokens, and counted
    assert_settled(studio, conversation_id)
    assert endpoint.requests[-1].disconnected.wait(5)  # stopped reading: the request is closed


async def test_an_absurd_price_neither_fails_the_settle_nor_leaves_the_reply_streaming(
    hostile: tuple[LoopbackServer, Studio],
) -> None:
    endpoint, studio = hostile
    absurd = Price(Decimal("1e308"), Decimal("1e308"))
    studio.settings = studio.settings.with_values(prices={"gpt-4o-mini": absurd})
    endpoint.default = Scenario(reply="Pricey.")
    conversation_id, _ = await send(studio)

    reply = studio.history(conversation_id)[-1]
    assert (reply.state, reply.cost) == ("complete", MAX_COST_MICROS)
    assert_settled(studio, conversation_id)


@pytest.mark.parametrize("base_url", ["http://127.0.0.1:99999/v1", "http://127.0.0.1:abc/v1", "http://[::1/v1"])
async def test_an_unusable_base_url_is_one_sentence(base_url: str, studio: Studio) -> None:
    studio.settings = studio.settings.with_values(base_url=base_url)
    conversation_id, _ = await send(studio)

    reply = studio.history(conversation_id)[-1]
    assert reply.state == "error" and reply.error.startswith(f"The base URL {base_url} is not usable: ")
    assert reply.error.endswith("— fix it in Settings (F2).")
    assert_settled(studio, conversation_id)
    with pytest.raises(LLMError, match="is not usable"):  # Settings' model list says the same
        await studio.list_models()


# -- time the user can trust -------------------------------------------------------------------


async def test_a_silent_server_fails_within_the_timeout_in_one_attempt(
    studio: Studio, endpoint: LoopbackServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Asking for the window and the request share the timeout: one attempt, no waiting 3 x timeout
    (before: 4 s of window discovery, then 3 attempts of the whole timeout with backoff between)."""
    clock = clock_the_studio(monkeypatch)
    endpoint.metadata_hang = True
    endpoint.default = Scenario(hang=True)
    studio.settings = studio.settings.with_values(timeout=1.0)
    conversation_id, _ = await send(studio)

    reply = studio.history(conversation_id)[-1]
    assert reply.state == "error" and "within 1 s" in reply.error
    assert sum(r.path.endswith("/chat/completions") for r in endpoint.requests) == 1
    # Half of the second to the window's probes, the rest to the one attempt; nothing after.
    assert (clock.given, clock.waits, clock.now) == ([0.5, 0.5], [], 1.0)
    assert_settled(studio, conversation_id)


async def test_a_silent_server_does_not_hold_up_other_requests(studio: Studio, endpoint: LoopbackServer) -> None:
    endpoint.when(Scenario(hang=True), contains="never answered")
    endpoint.default = Scenario(reply="Answered.")
    studio.settings = studio.settings.with_values(timeout=30.0)
    waiting = asyncio.create_task(send(studio, "never answered"))
    while not any("never answered" in json.dumps(r.body) for r in endpoint.requests):
        await asyncio.sleep(0.01)

    conversation_id, _ = await send(studio, "answered")
    assert not waiting.done()
    assert studio.history(conversation_id)[-1].content == "Answered."
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    quota = studio.quota_status()
    assert (quota.reserved_requests, quota.reserved_tokens) == (0, 0)
