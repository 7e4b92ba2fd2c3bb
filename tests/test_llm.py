"""LLMClient against the loopback server over real HTTP: events, error mapping, retries, cancel."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TypeVar

import pytest

from clitools import closed_port
from loopback import LoopbackServer, Scenario, count_tokens, default_reply, run_server
from promptstudio_tui.llm import MAX_RETRY_WAIT, Event, Finished, LLMClient, LLMError, TextDelta, Usage

KEY = "sk-loopback-SECRET-7f3a9c2e5b1d"
MESSAGES = [
    {"role": "system", "content": "You help write prompts."},
    {"role": "user", "content": "I need a prompt for summarising meeting notes."},
]

MakeClient = Callable[..., LLMClient]
T = TypeVar("T")


class Waits(list[float]):
    """Stands in for the pause between attempts: notes how long it would be, and returns."""

    async def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def server() -> Iterator[LoopbackServer]:
    with run_server() as loopback:
        yield loopback


@pytest.fixture
async def make_client() -> AsyncIterator[MakeClient]:
    clients: list[LLMClient] = []

    def make(base_url: str, api_key: str | None = KEY, **options: object) -> LLMClient:
        options.setdefault("max_retries", 0)  # tests opt in to retries explicitly
        options.setdefault("timeout", 5.0)
        client = LLMClient(base_url, api_key, **options)  # type: ignore[arg-type]
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.aclose()


async def collect(client: LLMClient, **options: object) -> tuple[list[Event], LLMError | None]:
    """All events until the end or an LLMError, which is returned rather than raised."""
    events: list[Event] = []
    kwargs: dict[str, object] = {"model": "loopback-small", "temperature": None, "max_tokens": None, **options}
    try:
        async for event in client.stream_chat(MESSAGES, **kwargs):  # type: ignore[arg-type]
            events.append(event)
    except LLMError as err:
        return events, err
    return events, None


def text_of(events: list[Event]) -> str:
    return "".join(e.text for e in events if isinstance(e, TextDelta))


def chat_requests(server: LoopbackServer) -> int:
    return sum(r.path.endswith("/chat/completions") for r in server.requests)


# -- streaming -----------------------------------------------------------------------------


async def test_stream_yields_deltas_then_usage_then_one_finished(
    server: LoopbackServer, make_client: MakeClient
) -> None:
    events, error = await collect(make_client(server.base_url))

    assert error is None
    reply = default_reply(MESSAGES)
    assert text_of(events) == reply
    assert all(e.text for e in events if isinstance(e, TextDelta))  # the empty role chunk is skipped
    prompt = count_tokens("".join(m["content"] for m in MESSAGES))
    assert events[-2:] == [Usage(prompt, count_tokens(reply)), Finished("stop")]


async def test_request_carries_key_stream_options_and_only_given_settings(
    server: LoopbackServer, make_client: MakeClient
) -> None:
    client = make_client(server.base_url)
    await collect(client)
    await collect(client, temperature=0.3, max_tokens=256)

    first, second = (r for r in server.requests if r.path == "/v1/chat/completions")
    assert first.headers["authorization"] == f"Bearer {KEY}"
    assert first.body["stream"] is True
    assert first.body["stream_options"] == {"include_usage": True}
    assert first.body["messages"] == MESSAGES
    assert first.body["model"] == "loopback-small"
    assert "temperature" not in first.body and "max_tokens" not in first.body
    assert (second.body["temperature"], second.body["max_tokens"]) == (0.3, 256)


async def test_no_usage_event_when_server_reports_none(server: LoopbackServer, make_client: MakeClient) -> None:
    server.script(Scenario(reply="Short answer.", include_usage=False))
    events, error = await collect(make_client(server.base_url))

    assert error is None
    assert not any(isinstance(e, Usage) for e in events)
    assert events[-1] == Finished("stop") and text_of(events) == "Short answer."


async def test_length_finish_reason_is_reported(server: LoopbackServer, make_client: MakeClient) -> None:
    server.script(Scenario(reply="Truncated by max_tokens", finish_reason="length"))
    events, error = await collect(make_client(server.base_url))

    assert error is None and events[-1] == Finished("length")


@pytest.mark.parametrize(
    "scenario",
    [Scenario(reply="word " * 200, chunk_size=5, delay=0.1), Scenario(hang=True)],
    ids=["mid-stream", "before-first-byte"],
)
async def test_cancel_closes_the_connection_promptly(
    server: LoopbackServer, make_client: MakeClient, scenario: Scenario
) -> None:
    """Cancelling closes the HTTP request itself, not once a timeout runs out: with a
    timeout far longer than the waits below, only the cancel can end the request in them."""
    server.script(scenario)
    client = make_client(server.base_url, timeout=3600.0)
    progressed = asyncio.Event()

    async def consume() -> None:
        async for event in client.stream_chat(MESSAGES, model="m", temperature=None, max_tokens=None):
            if isinstance(event, TextDelta):
                progressed.set()

    task = asyncio.create_task(consume())
    if scenario.hang:
        # Request sent, no answer yet: wait for the server to see it (the first request
        # of a process also imports the SDK, which takes a while on a loaded machine).
        deadline = time.monotonic() + 30
        while not server.requests and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        await asyncio.sleep(0.1)
    else:
        await asyncio.wait_for(progressed.wait(), 30)
    assert not task.done()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(task, 30)  # only a hang fails this: the cancel ends the task

    assert await asyncio.to_thread(server.requests[-1].disconnected.wait, 30), "the HTTP request was left open"


# -- failures mid-stream ---------------------------------------------------------------------


async def test_connection_dropped_mid_stream_is_cut_off_after_partial_text(
    server: LoopbackServer, make_client: MakeClient
) -> None:
    server.script(Scenario(reply="The first part. The second part.", chunk_size=4, cut_off_after_chars=16))
    events, error = await collect(make_client(server.base_url))

    assert text_of(events) == "The first part. "
    assert error is not None and error.kind == "cut_off"
    assert not any(isinstance(e, Finished) for e in events)


async def test_stream_ending_without_finish_reason_is_cut_off(server: LoopbackServer, make_client: MakeClient) -> None:
    server.script(Scenario(reply="All text but no finish.", finish_reason=None))
    events, error = await collect(make_client(server.base_url))

    assert text_of(events) == "All text but no finish."
    assert error is not None and error.kind == "cut_off"


@pytest.mark.parametrize("fault", ["malformed", "invalid_utf8"])
async def test_bad_stream_data_is_malformed_after_partial_text(
    server: LoopbackServer, make_client: MakeClient, fault: str
) -> None:
    server.script(Scenario(reply="Hello world, friend.", chunk_size=6, **{fault: True}))
    events, error = await collect(make_client(server.base_url))

    assert text_of(events) == "Hello "
    assert error is not None and error.kind == "malformed"


@pytest.fixture
def web_page_url() -> Iterator[str]:
    """A base URL that answers everything with 200 and an HTML page (a web UI, not an API)."""

    class Page(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = b"<!doctype html><title>Web UI</title>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_POST = do_GET

        def log_message(self, format: str, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Page)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/v1"
    httpd.shutdown()
    httpd.server_close()


async def test_web_page_instead_of_api_is_malformed(web_page_url: str, make_client: MakeClient) -> None:
    client = make_client(web_page_url)
    _, error = await collect(client)
    with pytest.raises(LLMError) as caught:
        await client.list_models()

    assert error is not None and error.kind == "malformed" and "/v1" in error.message
    assert caught.value.kind == "malformed"


async def test_stall_mid_stream_times_out(server: LoopbackServer, make_client: MakeClient) -> None:
    server.script(Scenario(reply="late", delay=2.0))
    events, error = await collect(make_client(server.base_url, timeout=0.3))

    assert events == []
    assert error is not None and error.kind == "timeout" and "stalled" in error.message


# -- HTTP errors and retries ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "api_key", "kind", "hint"),
    [
        (401, None, "no_key", "promptstudio key set"),
        (401, KEY, "auth", "promptstudio key set"),
        (403, KEY, "forbidden", "loopback-small"),
        (404, KEY, "not_found", "promptstudio models"),
        (400, KEY, "bad_request", "Invalid request"),
    ],
)
async def test_status_maps_to_kind_and_actionable_message(
    server: LoopbackServer, make_client: MakeClient, status: int, api_key: str | None, kind: str, hint: str
) -> None:
    server.script(Scenario(status=status))
    events, error = await collect(make_client(server.base_url, api_key))

    assert events == []
    assert error is not None
    assert (error.kind, error.status) == (kind, status)
    assert hint in error.message and str(error) == error.message
    assert error.message.count(". ") == 0 and error.message.endswith(".")  # one sentence


async def test_missing_key_sends_a_placeholder_not_a_secret(server: LoopbackServer, make_client: MakeClient) -> None:
    await collect(make_client(server.base_url, api_key=None))

    assert server.requests[-1].headers["authorization"] == "Bearer not-needed"


async def test_rate_limit_reports_retry_after(server: LoopbackServer, make_client: MakeClient) -> None:
    server.script(Scenario(status=429, retry_after=7))
    _, error = await collect(make_client(server.base_url))

    assert error is not None and error.kind == "rate_limited"
    assert error.retry_after == 7.0 and "try again in 7 s" in error.message


async def test_out_of_quota_is_not_told_to_wait(server: LoopbackServer, make_client: MakeClient) -> None:
    server.script(Scenario(status=429, error_code="insufficient_quota"))
    _, error = await collect(make_client(server.base_url))

    assert error is not None and error.kind == "rate_limited" and "out of quota" in error.message
    assert chat_requests(server) == 1  # waiting cannot help an empty account: told at once


async def test_429_with_retry_after_is_retried_then_succeeds(server: LoopbackServer, make_client: MakeClient) -> None:
    server.script(Scenario(status=429, retry_after=0.2, fail_times=1, reply="Made it."))
    waits = Waits()
    events, error = await collect(make_client(server.base_url, max_retries=2, sleep=waits))

    assert error is None and text_of(events) == "Made it."
    assert chat_requests(server) == 2
    assert waits == [0.2]  # Retry-After was honoured


async def test_a_long_retry_after_fails_at_once_instead_of_waiting(
    server: LoopbackServer, make_client: MakeClient
) -> None:
    server.script(Scenario(status=429, retry_after=MAX_RETRY_WAIT + 1, fail_times=10))
    waits = Waits()
    _, error = await collect(make_client(server.base_url, max_retries=2, sleep=waits))

    assert error is not None and error.kind == "rate_limited"
    assert f"try again in {MAX_RETRY_WAIT + 1:g} s" in error.message
    assert (chat_requests(server), waits) == (1, [])


async def test_500_is_retried_then_succeeds(server: LoopbackServer, make_client: MakeClient) -> None:
    server.script(Scenario(status=500, retry_after=0.01, fail_times=2, reply="Third time lucky."))
    waits = Waits()
    events, error = await collect(make_client(server.base_url, max_retries=2, sleep=waits))

    assert error is None and text_of(events) == "Third time lucky."
    assert (chat_requests(server), waits) == (3, [0.01, 0.01])


async def test_503_exhausting_retries_backs_off_and_names_the_attempts(
    server: LoopbackServer, make_client: MakeClient
) -> None:
    server.script(Scenario(status=503, fail_times=10))  # no Retry-After: our own backoff
    waits = Waits()
    _, error = await collect(make_client(server.base_url, max_retries=2, sleep=waits))

    assert error is not None and (error.kind, error.status) == ("server", 503)
    assert "after 3 attempts" in error.message
    assert chat_requests(server) == 3
    first, second = waits  # 0.5 s then 1 s, each less up to a quarter
    assert 0.375 <= first <= 0.5 and 0.75 <= second <= 1.0


async def test_requests_that_cannot_succeed_are_not_retried(server: LoopbackServer, make_client: MakeClient) -> None:
    server.script(Scenario(status=400), Scenario(status=429, error_code="insufficient_quota"))
    waits = Waits()
    client = make_client(server.base_url, max_retries=2, sleep=waits)
    errors = [(await collect(client))[1] for _ in range(2)]

    assert [e.status for e in errors if e is not None] == [400, 429]
    assert (chat_requests(server), waits) == (2, [])


async def test_an_endpoint_that_cannot_be_reached_is_tried_again(make_client: MakeClient) -> None:
    waits = Waits()
    _, error = await collect(make_client(f"http://127.0.0.1:{closed_port()}/v1", max_retries=2, sleep=waits))

    assert error is not None and error.kind == "connection"
    assert len(waits) == 2


async def test_the_model_list_is_tried_again_too(make_client: MakeClient) -> None:
    waits = Waits()
    with pytest.raises(LLMError) as info:
        await make_client(f"http://127.0.0.1:{closed_port()}/v1", max_retries=2, sleep=waits).list_models()

    assert info.value.kind == "connection" and len(waits) == 2


class Clock:
    """A clock that moves only by what the client waits: between attempts (not slept), and
    the time it gives an answer when that time runs out (waited for real).

    Pass it as `clock=clock, sleep=clock.sleep, wait_for=clock.wait_for`; `clock.now` is
    then the whole wait the client budgeted, however slow the machine running the test.
    """

    def __init__(self) -> None:
        self.now = 0.0
        self.waits: list[float] = []  # between attempts
        self.given: list[float] = []  # to each answer (a request, the context-window probes)

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.now += seconds

    async def wait_for(self, awaitable: Awaitable[T], timeout: float) -> T:
        import openai

        self.given.append(timeout)
        try:
            return await asyncio.wait_for(awaitable, timeout)
        # The SDK's own timeout (the client's, never shorter than what is given) may fire
        # first on a loaded machine: the time given ran out either way.
        except (asyncio.TimeoutError, openai.APITimeoutError):
            self.now += timeout
            raise

    def client_options(self) -> dict[str, object]:
        return {"clock": self, "sleep": self.sleep, "wait_for": self.wait_for}


async def test_attempts_and_waits_fit_in_the_timeout(server: LoopbackServer, make_client: MakeClient) -> None:
    """The timeout is the whole wait: no retry whose wait would end past it, however many are allowed."""
    server.script(Scenario(status=503, retry_after=1.5, fail_times=99))
    clock = Clock()
    _, error = await collect(make_client(server.base_url, max_retries=10, timeout=4.0, **clock.client_options()))

    assert error is not None and "server error (503) after 3 attempts" in error.message
    assert (chat_requests(server), clock.waits) == (3, [1.5, 1.5])  # at 0, 1.5 and 3 s; a 4th would start at 4.5 s


async def test_an_event_stream_with_nothing_in_it_says_the_server_ended_without_a_reply(
    server: LoopbackServer, make_client: MakeClient
) -> None:
    for events in ([], ["data: [DONE]"], [": keep-alive"]):
        server.script(Scenario(events=events))
        _, error = await collect(make_client(server.base_url))
        assert error is not None and error.kind == "empty"
        assert "ended the stream without a reply — try again" in error.message and "JSON" not in error.message


@pytest.mark.parametrize(
    "line",
    ['data: {"choices": [{"index": 0, "delta": "text"}]}', "data: null", "data: 42", "data: " + "[" * 200_000],
)
async def test_a_chunk_of_the_wrong_shape_is_malformed(
    server: LoopbackServer, make_client: MakeClient, line: str
) -> None:
    hello = 'data: {"choices": [{"index": 0, "delta": {"content": "Hi "}}]}'
    server.script(Scenario(events=[hello, line]))
    events, error = await collect(make_client(server.base_url))

    assert text_of(events) == "Hi "
    assert error is not None and error.kind == "malformed"


async def test_no_answer_times_out(server: LoopbackServer, make_client: MakeClient) -> None:
    """The timeout is the whole wait: the one attempt gets all of it, and no retry follows."""
    server.script(Scenario(hang=True))
    clock = Clock()
    _, error = await collect(make_client(server.base_url, timeout=0.3, max_retries=2, **clock.client_options()))

    assert error is not None and error.kind == "timeout"
    assert "within 0.3 s" in error.message and "127.0.0.1" in error.message
    assert (chat_requests(server), clock.given, clock.waits) == (1, [0.3], [])
    assert clock.now <= 0.3


async def test_connection_refused(make_client: MakeClient) -> None:
    base_url = f"http://127.0.0.1:{closed_port()}/v1"
    _, error = await collect(make_client(base_url))

    assert error is not None and error.kind == "connection" and base_url in error.message


async def test_dns_failure(make_client: MakeClient) -> None:
    _, error = await collect(make_client("http://nonexistent.invalid/v1"))

    assert error is not None and error.kind == "connection"
    assert "resolve" in error.message and "nonexistent.invalid" in error.message


# -- models -----------------------------------------------------------------------------------


async def test_list_models_sorted(server: LoopbackServer, make_client: MakeClient) -> None:
    server.models = ["zeta", "alpha", "mid"]

    assert await make_client(server.base_url).list_models() == ["alpha", "mid", "zeta"]


async def test_list_models_without_endpoint_is_not_found(server: LoopbackServer, make_client: MakeClient) -> None:
    server.models = None
    with pytest.raises(LLMError) as caught:
        await make_client(server.base_url).list_models()

    assert caught.value.kind == "not_found" and "/models" in caught.value.message


async def test_list_models_with_wrong_key_is_auth(make_client: MakeClient) -> None:
    with run_server(api_key="sk-the-right-one") as server, pytest.raises(LLMError) as caught:
        await make_client(server.base_url).list_models()

    assert caught.value.kind == "auth"


# -- secrets --------------------------------------------------------------------------------


async def test_key_never_appears_in_errors(server: LoopbackServer, make_client: MakeClient) -> None:
    echo = f"Incorrect API key provided: {KEY}. Also sk-someoneelse-0123456789."
    failures = [Scenario(status=s, error_message=echo) for s in (400, 401, 403, 404, 422, 429, 500)]
    server.script(*failures, Scenario(hang=True))
    client = make_client(server.base_url, timeout=0.3)
    errors = [(await collect(client))[1] for _ in range(len(failures) + 1)]
    leaky_url = f"http://user:{KEY}@127.0.0.1:{closed_port()}/v1?api_key={KEY}"
    leaky_client = make_client(leaky_url)
    errors.append((await collect(leaky_client))[1])

    assert all(e is not None for e in errors)
    assert "400: Incorrect API key provided: ***" in errors[0].message  # server text is echoed, scrubbed
    for error in errors:
        for shown in (str(error), repr(error), error.message, *map(str, error.args)):
            assert KEY not in shown and "sk-someoneelse" not in shown
    assert KEY not in repr(client) and KEY not in repr(leaky_client)


def test_importing_llm_does_not_import_openai() -> None:
    code = "import sys, promptstudio_tui.llm; sys.exit('openai' in sys.modules or 'httpx2' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], timeout=30).returncode == 0


# -- context-window discovery ----------------------------------------------------------------


def metadata_paths(server: LoopbackServer) -> list[str]:
    return [f"{r.method} {r.path}" for r in server.requests]


async def test_window_from_vllm_model_list(server: LoopbackServer, make_client: MakeClient) -> None:
    server.model_fields["loopback-small"] = {"max_model_len": 32_768}
    server.model_fields["loopback-large"] = {"max_model_len": 4_096}  # another model's window is not ours
    assert await make_client(server.base_url).context_window("loopback-small") == 32_768
    assert metadata_paths(server) == ["GET /v1/models"]  # answered: no further probes
    assert server.requests[0].headers["authorization"] == f"Bearer {KEY}"  # the endpoint's own key, as for chat


async def test_window_from_openrouter_model_list(server: LoopbackServer, make_client: MakeClient) -> None:
    server.models = ["meta-llama/llama-3.1-70b-instruct", "openai/gpt-4o"]
    server.model_fields["meta-llama/llama-3.1-70b-instruct"] = {"context_length": 131_072}
    server.model_fields["openai/gpt-4o"] = {"top_provider": {"context_length": 128_000}}
    client = make_client(server.base_url)
    assert await client.context_window("meta-llama/llama-3.1-70b-instruct") == 131_072
    assert await client.context_window("openai/gpt-4o") == 128_000


async def test_window_from_ollama_running_model(server: LoopbackServer, make_client: MakeClient) -> None:
    # Loaded, the model runs with 4,096 although it was trained for 131,072: the runtime wins.
    server.models = ["llama3.1:latest"]
    server.ollama_ps = [{"name": "llama3.1:latest", "model": "llama3.1:latest", "context_length": 4_096}]
    server.ollama_show["llama3.1"] = {"model_info": {"llama.context_length": 131_072}}
    assert await make_client(server.base_url).context_window("llama3.1") == 4_096
    assert metadata_paths(server) == ["GET /v1/models", "GET /api/ps"]  # at the root, not under /v1


@pytest.mark.parametrize(
    ("shown", "expected"),
    [
        ({"model_info": {"general.architecture": "qwen2", "qwen2.context_length": 32_768}}, 32_768),
        ({"parameters": "stop <|eot_id|>\nnum_ctx 16384", "model_info": {"llama.context_length": 131_072}}, 16_384),
    ],
    ids=["trained-length", "num_ctx-parameter-wins"],
)
async def test_window_from_ollama_show(
    server: LoopbackServer, make_client: MakeClient, shown: dict[str, object], expected: int
) -> None:
    server.ollama_ps = []  # Ollama, but the model is not loaded
    server.ollama_show["qwen2.5:7b-instruct"] = shown
    assert await make_client(server.base_url).context_window("qwen2.5:7b-instruct") == expected
    show = next(r for r in server.requests if r.path == "/api/show")
    assert (show.method, show.body) == ("POST", {"model": "qwen2.5:7b-instruct"})


async def test_window_from_lm_studio(server: LoopbackServer, make_client: MakeClient) -> None:
    server.lmstudio_models = [
        {"id": "qwen2.5-7b-instruct", "state": "not-loaded", "max_context_length": 32_768},
        {"id": "gemma-3-12b", "state": "loaded", "max_context_length": 131_072, "loaded_context_length": 8_192},
    ]
    client = make_client(server.base_url)
    assert await client.context_window("qwen2.5-7b-instruct") == 32_768
    assert await client.context_window("gemma-3-12b") == 8_192  # what it was loaded with


async def test_window_unknown_everywhere_is_none(server: LoopbackServer, make_client: MakeClient) -> None:
    server.ollama_show["other"] = {"model_info": {"llama.context_length": 131_072}}
    server.lmstudio_models = [{"id": "other", "max_context_length": 32_768}]
    assert await make_client(server.base_url).context_window("loopback-small") is None
    assert metadata_paths(server) == ["GET /v1/models", "GET /api/ps", "POST /api/show", "GET /api/v0/models"]


@pytest.mark.parametrize(
    "answer",
    [
        {"max_model_len": "32768"},  # a string
        {"max_model_len": 0},
        {"max_model_len": True},
        {"context_length": -5},
    ],
)
async def test_odd_window_values_are_ignored(
    server: LoopbackServer, make_client: MakeClient, answer: dict[str, object]
) -> None:
    server.model_fields["loopback-small"] = answer
    assert await make_client(server.base_url).context_window("loopback-small") is None


async def test_discovery_failures_are_quiet(make_client: MakeClient) -> None:
    assert await make_client(f"http://127.0.0.1:{closed_port()}/v1").context_window("llama3.1") is None
    with run_server(models=None, api_key="sk-other-key-0000000") as server:  # 401 and 404 everywhere
        assert await make_client(server.base_url).context_window("llama3.1") is None


async def test_discovery_never_leaves_the_configured_host(server: LoopbackServer, make_client: MakeClient) -> None:
    with run_server() as elsewhere:
        elsewhere.model_fields["loopback-small"] = {"max_model_len": 999_999}
        elsewhere.ollama_show["loopback-small"] = {"model_info": {"llama.context_length": 999_999}}
        for path in ("/v1/models", "/api/ps", "/api/show", "/api/v0/models"):
            server.redirects[path] = elsewhere.base_url.removesuffix("/v1") + path
        assert await make_client(server.base_url).context_window("loopback-small") is None
        assert elsewhere.requests == []


async def test_discovery_is_bounded_in_time(
    server: LoopbackServer, make_client: MakeClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    import promptstudio_tui.llm as llm

    monkeypatch.setattr(llm, "DISCOVERY_SECONDS", 0.2)
    server.metadata_hang = True
    client = make_client(server.base_url, timeout=30.0)
    assert await client.context_window("loopback-small") is None
    assert server.requests and server.requests[0].disconnected.wait(5)  # the hanging request was abandoned
    # The client still works for chat afterwards.
    events, error = await collect(client)
    assert error is None and isinstance(events[-1], Finished)


async def test_no_native_probes_without_a_v1_base(server: LoopbackServer, make_client: MakeClient) -> None:
    base = server.base_url.removesuffix("/v1") + "/openai/v1/"
    await make_client(base.replace("/v1/", "/v2/")).context_window("loopback-small")
    assert all(not r.path.startswith("/api/") for r in server.requests)
