"""The endpoint fault matrix for the core (Studio) and the CLI.

Every fault the loopback endpoint can play, driven through Studio.send over real HTTP.
For each: one clear sentence with a next step (one line, no traceback, no key), the
user's message kept, the reply stored with the right state and the text that really
arrived (nothing invented), the quota reservation released, and a retry that works
once the endpoint is healthy again. docs/reliability.md maps each row to its test.
"""

from __future__ import annotations

import asyncio
import re
import signal
import time
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path

import pytest

from clitools import cli_env, closed_port, error_line, run_cli, start_cli
from conftest import TEST_KEY
from loopback import LoopbackServer, Scenario
from promptstudio_tui import studio_base, tokens
from promptstudio_tui.events import ReplyDelta, ReplyDone, ReplyStarted, StudioError, UserMessageSaved
from promptstudio_tui.llm import LLMClient
from promptstudio_tui.studio import Studio
from repos import repos
from test_llm import Clock

REPLY = "The first part. The second part. The third part."
BIG = "0123456789abcdef" * 65_536  # 1 MiB
NEXT_STEP = re.compile(r"try again|check|pick|set one|Settings|promptstudio ")
REFUSED = "refused"  # placeholders for base URLs built per test
DNS = "http://promptstudio-fault.invalid/v1"


@dataclass(frozen=True)
class Fault:
    scenario: Scenario | None
    state: str  # the reply's stored state
    error: str | None  # regex the stored/printed sentence must match (None: no error)
    content: str = ""  # the reply text that really arrived and must be kept
    counted: int = 0  # requests recorded as used (0 when nothing is known to be spent)
    attempts: int | None = None  # chat requests the server saw (bounded retries)
    base_url: str | None = None  # REFUSED / DNS instead of the loopback server
    timeout: float | None = None
    max_wait: float = 0.0  # seconds the send may wait between attempts (Retry-After or backoff)
    max_tokens: int | None = None  # the chat's max_tokens (None: the default)


FAULTS = {
    "connection-refused": Fault(
        None,
        "error",
        r"^Cannot reach http://127\.0\.0\.1:\d+/v1 — check that the server is running",
        base_url=REFUSED,
        max_wait=1.5,  # backoff: 0.5 s, then 1 s, each less up to a quarter
    ),
    "dns-failure": Fault(
        None,
        "error",
        r"^Cannot resolve the host promptstudio-fault\.invalid — check the base URL",
        base_url=DNS,
        max_wait=1.5,
    ),
    "401": Fault(
        Scenario(status=401),
        "error",
        r"rejected the API key \(401\) — check it with `promptstudio key set`",
        attempts=1,
    ),
    "403": Fault(
        Scenario(status=403), "error", r"no access to model 'gpt-4o-mini' \(403\) — pick another model", attempts=1
    ),
    "404-unknown-model": Fault(
        Scenario(status=404),
        "error",
        r"has no model 'gpt-4o-mini' \(404\) — pick one with `promptstudio models`",
        attempts=1,
    ),
    "429-retry-after-short": Fault(
        Scenario(status=429, retry_after=0.05, fail_times=99),
        "error",
        r"rate-limiting requests \(429\) — try again in 1 s",
        attempts=3,
        max_wait=0.1,  # the Retry-After, twice
    ),
    "429-retry-after-long": Fault(
        Scenario(status=429, retry_after=30, fail_times=99),
        "error",
        r"rate-limiting requests \(429\) — try again in 30 s",
        attempts=1,  # and no wait at all: not slept on
    ),
    "500-then-ok": Fault(
        Scenario(status=500, retry_after=0.01, fail_times=2, reply=REPLY),
        "complete",
        None,
        REPLY,
        counted=1,
        attempts=3,
        max_wait=0.02,
    ),
    "500-persistent": Fault(
        Scenario(status=500, retry_after=0.01, fail_times=99),
        "error",
        r"server error \(500\) after 3 attempts — try again shortly",
        attempts=3,
        max_wait=0.02,
    ),
    "503-backoff": Fault(
        Scenario(status=503, fail_times=99),
        "error",
        r"server error \(503\) after 3 attempts — try again shortly",
        attempts=3,
        max_wait=1.5,  # backoff: 0.5 s, then 1 s, each less up to a quarter
    ),
    "no-answer-timeout": Fault(  # one attempt: the timeout is the whole wait, retries included
        Scenario(hang=True),
        "error",
        r"^No answer from 127\.0\.0\.1:\d+ within 0\.3 s — check that the server is up",
        attempts=1,
        timeout=0.3,
    ),
    "stall-mid-stream": Fault(
        Scenario(reply=REPLY, delay=2.0),
        "error",
        r"stalled for more than 0\.3 s — the partial text is kept; try again",
        attempts=1,
        timeout=0.3,
    ),
    "cut-mid-reply": Fault(
        Scenario(reply=REPLY, chunk_size=4, cut_off_after_chars=20),
        "interrupted",
        r"cut off: .* closed the stream before it finished — the partial text is kept; try again",
        REPLY[:20],
        counted=1,
        attempts=1,
    ),
    "no-finish-reason": Fault(
        Scenario(reply=REPLY, finish_reason=None), "interrupted", r"cut off", REPLY, counted=1, attempts=1
    ),
    "malformed-chunk": Fault(
        Scenario(reply=REPLY, chunk_size=6, malformed=True),
        "error",
        r"not valid OpenAI JSON — check that the base URL",
        REPLY[:6],
        counted=1,
        attempts=1,
    ),
    "invalid-utf8": Fault(
        Scenario(reply=REPLY, chunk_size=6, invalid_utf8=True),
        "error",
        r"not valid OpenAI JSON",
        REPLY[:6],
        counted=1,
        attempts=1,
    ),
    "empty-stream": Fault(
        Scenario(events=["data: [DONE]"]),
        "error",
        r"^The endpoint at 127\.0\.0\.1:\d+ ended the stream without a reply — try again",
        attempts=1,
    ),
    "no-usage": Fault(Scenario(reply=REPLY, include_usage=False), "complete", None, REPLY, counted=1, attempts=1),
    "max-tokens-reached": Fault(
        Scenario(reply=REPLY, finish_reason="length"),
        "complete",
        r"reached the max_tokens limit",
        REPLY,
        counted=1,
        attempts=1,
    ),
    "1mb-reply": Fault(  # 327,680 tokens, allowed by max_tokens
        Scenario(reply=BIG, chunk_size=2048),
        "complete",
        None,
        BIG,
        counted=1,
        attempts=1,
        max_tokens=600_000,
    ),
}


def _base_url(fault: Fault, endpoint: LoopbackServer) -> str:
    if fault.base_url == REFUSED:
        return f"http://127.0.0.1:{closed_port()}/v1"
    return fault.base_url or endpoint.base_url


def chat_requests(server: LoopbackServer) -> int:
    return sum(r.path.endswith("/chat/completions") for r in server.requests)


def clock_the_studio(monkeypatch: pytest.MonkeyPatch) -> Clock:
    """The studio's endpoint clients keep time by a Clock (tests/test_llm.py): what a send
    budgets and waits is then counted exactly, whatever the load on the machine."""
    clock = Clock()
    monkeypatch.setattr(studio_base, "LLMClient", partial(LLMClient, **clock.client_options()))
    return clock


def assert_one_clear_sentence(text: str, pattern: str, *, next_step: bool = True) -> None:
    assert re.search(pattern, text), text
    assert "\n" not in text and "Traceback" not in text
    assert TEST_KEY not in text and "NEVERSHOWN" not in text
    if next_step:  # a failure says what to do; a note on a complete reply need not
        assert NEXT_STEP.search(text), f"no next step in {text!r}"


@pytest.mark.parametrize("name", FAULTS)
async def test_send_under_endpoint_fault(
    name: str, studio: Studio, endpoint: LoopbackServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    fault = FAULTS[name]
    clock = clock_the_studio(monkeypatch)
    studio.settings = studio.settings.with_values(plan="pro", base_url=_base_url(fault, endpoint))
    if fault.timeout:
        studio.settings = studio.settings.with_values(timeout=fault.timeout)
    if fault.max_tokens:
        studio.settings = studio.settings.with_values(chat=replace(studio.settings.chat, max_tokens=fault.max_tokens))
    if fault.scenario:
        endpoint.default = fault.scenario
    conv = studio.new_conversation()
    events = [event async for event in studio.send(conv.id, "Help me write a prompt")]  # never raises

    assert isinstance(events[0], UserMessageSaved) and isinstance(events[1], ReplyStarted)
    assert isinstance(events[-1], ReplyDone)
    # Bounded retries: the waits between attempts are the ones the row allows, and the
    # whole send — the window's probes, every attempt and wait — fits in the timeout.
    assert sum(clock.waits) <= fault.max_wait, clock.waits
    assert clock.now <= studio.settings.timeout, (clock.given, clock.waits)
    user, reply = studio.history(conv.id)
    assert (user.role, user.content, user.state) == ("user", "Help me write a prompt", "complete")
    assert reply.id == events[-1].message.id and reply.state == fault.state
    # Exactly the text that arrived: streamed, stored, nothing invented.
    assert reply.content == fault.content == "".join(e.text for e in events if isinstance(e, ReplyDelta))
    if fault.error is None:
        assert reply.error is None
    else:
        assert_one_clear_sentence(reply.error, fault.error, next_step=fault.state != "complete")
    if fault.attempts is not None:
        assert chat_requests(endpoint) == fault.attempts
    quota = studio.quota_status()
    assert quota.reserved_requests == 0 and quota.reserved_tokens == 0
    assert quota.used.requests == fault.counted
    if fault.counted:
        assert quota.used.tokens == reply.prompt_tokens + reply.completion_tokens > 0
    if name == "no-usage":  # no server numbers: our own exact count
        assert reply.completion_tokens == tokens.count(REPLY, "gpt-4o-mini").tokens
    if name == "1mb-reply":  # the live estimate is still right at the end
        assert [e for e in events if isinstance(e, ReplyDelta)][-1].completion_tokens == tokens.rough_estimate(BIG)
    if fault.state == "complete":
        return

    # The endpoint recovers (or the user fixes the base URL): retry answers the same turn.
    endpoint.reset()
    endpoint.default = Scenario(reply="Recovered.")
    studio.settings = studio.settings.with_values(base_url=endpoint.base_url, timeout=60.0)
    done = [event async for event in studio.retry(conv.id)][-1]
    assert (done.message.state, done.message.content) == ("complete", "Recovered.")
    history = [(m.role, m.state) for m in studio.history(conv.id)]
    assert history == [("user", "complete"), ("assistant", fault.state), ("assistant", "complete")]
    # The failed reply is kept in place but is not sent as context.
    assert [m["role"] for m in endpoint.requests[-1].body["messages"]] == ["system", "user"]
    assert studio.quota_status().reserved_requests == 0


async def test_cancel_while_the_endpoint_never_answers_returns_at_once(
    studio: Studio, endpoint: LoopbackServer
) -> None:
    """Esc in the TUI / ctrl+c in the CLI cancel the consuming task: it must not wait for a
    timeout. The studio's is 60 s, longer than the waits below: only the cancel ends them."""
    endpoint.default = Scenario(hang=True)
    conv = studio.new_conversation()
    seen: list[object] = []

    async def consume() -> None:
        async for event in studio.send(conv.id, "hello?"):
            seen.append(event)

    task = asyncio.create_task(consume())
    deadline = time.monotonic() + 20
    while not any(r.path.endswith("/chat/completions") for r in endpoint.requests):
        assert time.monotonic() < deadline, "the request never reached the server"
        await asyncio.sleep(0.01)
    await asyncio.sleep(0.1)  # well inside the request, waiting on the network
    assert studio.settings.timeout == 60 and not task.done()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(task, 30)  # only a hang fails this: the cancel ends the task
    assert await asyncio.to_thread(endpoint.requests[-1].disconnected.wait, 30), "the HTTP request was left open"
    reply = studio.history(conv.id)[-1]
    assert (reply.state, reply.content) == ("interrupted", "")
    assert reply.error == "Stopped before the reply finished."
    assert studio.quota_status().reserved_requests == 0
    endpoint.default = Scenario(reply="Here now.")
    assert [e async for e in studio.retry(conv.id)][-1].message.state == "complete"


@pytest.mark.parametrize(
    ("scenario", "pattern"),
    [
        (Scenario(status=401), r"rejected the API key \(401\)"),
        (Scenario(reply=REPLY, cut_off_after_chars=20), r"cut off"),
        (Scenario(reply=REPLY, chunk_size=6, malformed=True), r"not valid OpenAI JSON"),
    ],
    ids=["401", "cut-mid-prompt", "malformed-chunk"],
)
async def test_generate_under_endpoint_fault_saves_nothing_half_done(
    studio: Studio, endpoint: LoopbackServer, scenario: Scenario, pattern: str
) -> None:
    conv = studio.new_conversation()
    [e async for e in studio.send(conv.id, "I need a prompt for release notes")]
    endpoint.default = scenario
    with pytest.raises(StudioError) as info:
        [e async for e in studio.generate(conv.id)]
    assert_one_clear_sentence(str(info.value), r"^No prompt was generated: .*" + pattern)
    assert repos(studio).prompts.list() == []  # a cut-off prompt is never saved as if it were whole
    assert studio.quota_status().reserved_requests == 0
    endpoint.default = Scenario(reply="You write release notes.")
    assert [e async for e in studio.generate(conv.id)][-1].prompt.content == "You write release notes."


# -- the CLI: the same faults end as one line on stderr and a non-zero exit ------------------


# A few representative rows (every sentence is the Studio's, tested above): a failure
# before the request, one after retries, and one with partial text already printed.
CLI_FAULTS = {
    "connection-refused": (None, REFUSED, r"^Cannot reach http://127\.0\.0\.1:\d+/v1", "", "error"),
    "no-answer-timeout": (Scenario(hang=True), None, r"^No answer from 127\.0\.0\.1:\d+ within 0\.3 s", "", "error"),
    "cut-mid-reply": (Scenario(reply=REPLY, cut_off_after_chars=20), None, r"cut off", REPLY[:20], "interrupted"),
}


@pytest.mark.parametrize("name", CLI_FAULTS)
def test_cli_send_under_endpoint_fault(name: str, home: Path, endpoint: LoopbackServer) -> None:
    scenario, base_url, pattern, partial, state = CLI_FAULTS[name]
    if scenario is not None:
        endpoint.default = scenario
    url = f"http://127.0.0.1:{closed_port()}/v1" if base_url == REFUSED else endpoint.base_url
    home.mkdir(mode=0o700, parents=True, exist_ok=True)
    (home / "config.toml").write_text("timeout = 0.3\n")
    (home / "config.toml").chmod(0o600)
    result = run_cli(cli_env(home, url, TEST_KEY), "send", "Help me write a prompt")

    assert result.returncode == 1
    assert result.stdout == partial + "\n"  # what arrived was shown, nothing more
    assert result.stderr.startswith("conversation ") and result.stderr.count("\n") == 2
    assert_one_clear_sentence(error_line(result.stderr), pattern)
    assert TEST_KEY not in result.stdout
    studio = Studio.open()
    try:
        [conv] = repos(studio).conversations.page("all", "recent", "", 0, 10)
        user, reply = studio.history(conv.id)
        assert user.content == "Help me write a prompt"
        assert (reply.state, reply.content) == (state, partial)
        assert studio.quota_status().reserved_requests == 0
    finally:
        studio.close()


def test_cli_models_fault_is_one_line(home: Path, endpoint: LoopbackServer) -> None:
    endpoint.models = None  # 404 on /models
    result = run_cli(cli_env(home, endpoint.base_url, TEST_KEY), "models")
    assert (result.returncode, result.stdout) == (1, "")
    assert_one_clear_sentence(error_line(result.stderr), r"offers no model list \(404 on /models\)")


def test_cli_ctrl_c_while_the_endpoint_never_answers(home: Path, endpoint: LoopbackServer) -> None:
    endpoint.default = Scenario(hang=True)
    proc = start_cli(cli_env(home, endpoint.base_url, TEST_KEY), "send", "are you there?", text=True)
    try:
        deadline = time.monotonic() + 30
        while chat_requests(endpoint) == 0:
            assert time.monotonic() < deadline and proc.poll() is None, "the request never reached the server"
            time.sleep(0.02)
        time.sleep(0.1)
        proc.send_signal(signal.SIGINT)
        # The server never answers: only the ctrl+c can end the CLI within this wait
        # (no bound on how fast — a loaded machine must not fail it).
        _out, err = proc.communicate(timeout=20)
    finally:
        proc.kill()
    assert proc.returncode == 130, proc.returncode
    assert err.endswith("promptstudio: interrupted\n") and "Traceback" not in err
    assert endpoint.requests[-1].disconnected.wait(5)
    studio = Studio.open()
    try:
        [conv] = repos(studio).conversations.page("all", "recent", "", 0, 10)
        assert [(m.role, m.state, m.content) for m in studio.history(conv.id)] == [
            ("user", "complete", "are you there?"),
            ("assistant", "interrupted", ""),
        ]
        assert studio.quota_status().reserved_requests == 0
    finally:
        studio.close()
