"""The loopback server itself: wire format, scripting, clean stop, and the CLI process."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from loopback import LoopbackServer, Scenario, default_reply, remote_requests, remote_script, run_server

LOOPBACK = Path(__file__).with_name("loopback.py")
MESSAGES = [{"role": "user", "content": "Write me a haiku prompt"}]


def post(base_url: str, body: dict[str, Any], headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    request = urllib.request.Request(
        base_url + "/chat/completions",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", **(headers or {})},
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()


def sse_payloads(raw: bytes) -> list[str]:
    return [line.removeprefix("data: ") for line in raw.decode().split("\n\n") if line]


def test_stream_is_openai_chunk_shaped_and_ends_with_done() -> None:
    with run_server() as server:
        server.script(Scenario(reply="Hello there", chunk_size=5))
        status, raw = post(
            server.base_url,
            {"model": "m", "messages": MESSAGES, "stream": True, "stream_options": {"include_usage": True}},
        )

    payloads = sse_payloads(raw)
    assert status == 200 and payloads[-1] == "[DONE]"
    chunks = [json.loads(p) for p in payloads[:-1]]
    assert {c["object"] for c in chunks} == {"chat.completion.chunk"}
    assert chunks[0]["choices"][0]["delta"] == {"role": "assistant", "content": ""}
    assert [c["choices"][0]["delta"].get("content") for c in chunks[1:4]] == ["Hello", " ther", "e"]
    assert chunks[-2]["choices"][0]["finish_reason"] == "stop"
    assert chunks[-1]["choices"] == [] and chunks[-1]["usage"]["completion_tokens"] == 2


def test_non_stream_completion_and_default_reply() -> None:
    with run_server() as server:
        status, raw = post(server.base_url, {"model": "m", "messages": MESSAGES})

    body = json.loads(raw)
    assert status == 200 and body["object"] == "chat.completion"
    assert body["choices"][0]["message"]["content"] == default_reply(MESSAGES)
    assert default_reply(MESSAGES) == "You asked about: Write me a haiku prompt. What audience is this for?"
    assert body["usage"]["prompt_tokens"] == len("Write me a haiku prompt") // 4


def test_fail_times_then_success_and_error_body() -> None:
    with run_server() as server:
        server.script(Scenario(status=503, fail_times=2, retry_after=3))
        answers = [post(server.base_url, {"model": "m", "messages": MESSAGES}) for _ in range(3)]

    assert [status for status, _ in answers] == [503, 503, 200]
    assert json.loads(answers[0][1])["error"]["type"] == "server_error"


def test_api_key_is_required_when_set_and_requests_are_recorded() -> None:
    with run_server(api_key="sk-right") as server:
        wrong, _ = post(server.base_url, {"model": "m", "messages": MESSAGES}, {"Authorization": "Bearer nope"})
        right, _ = post(server.base_url, {"model": "m", "messages": MESSAGES}, {"Authorization": "Bearer sk-right"})

    assert (wrong, right) == (401, 200)
    assert [r.headers["authorization"] for r in server.requests] == ["Bearer nope", "Bearer sk-right"]
    assert server.requests[0].body["messages"] == MESSAGES


def test_stop_releases_hanging_handlers() -> None:
    server = LoopbackServer().start()
    server.script(Scenario(hang=True))
    outcome: list[object] = []
    caller = threading.Thread(target=lambda: outcome.append(_try_post(server.base_url)))
    caller.start()
    deadline = time.monotonic() + 30
    while not server.requests:  # the handler is hanging on it
        assert time.monotonic() < deadline, "the request never reached the server"
        time.sleep(0.01)

    server.stop()
    caller.join(30)  # a hang detector: the caller's own timeout (5 s) ends it sooner

    assert not caller.is_alive() and outcome
    # The server closed the connection: no answer invented, and not the caller giving up.
    assert isinstance(outcome[0], ConnectionError), outcome


def test_stall_after_chars_streams_a_prefix_then_stays_silent_until_the_client_leaves() -> None:
    import http.client

    with run_server() as server:
        server.script(Scenario(reply="Hello there", chunk_size=5, stall_after_chars=5))
        host, port = server._httpd.server_address[:2]
        conn = http.client.HTTPConnection(host, port, timeout=0.5)
        body = json.dumps({"model": "m", "messages": MESSAGES, "stream": True})
        conn.request("POST", "/v1/chat/completions", body=body, headers={"Content-Type": "application/json"})
        response = conn.getresponse()
        received = b""
        with pytest.raises(TimeoutError):  # the prefix arrives, then nothing: no end, no close
            while chunk := response.read1(65536):
                received += chunk
        assert b'"content": "Hello"' in received and b"there" not in received and b"[DONE]" not in received
        assert not server.requests[-1].disconnected.is_set()
        conn.close()
        assert server.requests[-1].disconnected.wait(2)  # the server noticed the client leave


def _try_post(base_url: str) -> object:
    try:
        return post(base_url, {"model": "m", "messages": MESSAGES})[0]
    except (OSError, urllib.error.URLError) as err:
        return err


def test_cli_process_prints_url_is_scriptable_and_stops_on_sigterm() -> None:
    process = subprocess.Popen(
        [sys.executable, str(LOOPBACK), "--port", "0", "--print-url", "--reply", "From the CLI."],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        base_url = process.stdout.readline().strip()
        assert base_url.startswith("http://127.0.0.1:") and base_url.endswith("/v1")

        _, raw = post(base_url, {"model": "m", "messages": MESSAGES})
        assert json.loads(raw)["choices"][0]["message"]["content"] == "From the CLI."

        remote_script(base_url, Scenario(status=429, retry_after=1), models=["only-one"])
        assert post(base_url, {"model": "m", "messages": MESSAGES})[0] == 429
        with urllib.request.urlopen(base_url + "/models", timeout=5) as response:
            assert [m["id"] for m in json.load(response)["data"]] == ["only-one"]
        assert [r["path"] for r in remote_requests(base_url)] == ["/v1/chat/completions"] * 2 + ["/v1/models"]

        remote_script(base_url, reset=True)
        assert remote_requests(base_url) == []
    finally:
        process.terminate()
        assert process.wait(timeout=5) == 0


def test_control_rejects_unknown_scenario_fields() -> None:
    with run_server() as server, pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(
            urllib.request.Request(
                server.base_url.removesuffix("/v1") + "/_control/script",
                data=json.dumps({"scenarios": [{"replly": "typo"}]}).encode(),
            ),
            timeout=5,
        )

    assert caught.value.code == 400
