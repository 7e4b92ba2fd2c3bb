"""A scripted OpenAI-compatible server on 127.0.0.1 for tests and benchmarks.

Stdlib only: real HTTP/1.1 (chunked SSE for streams) from a ThreadingHTTPServer in
daemon threads, so the client under test runs its true network path.

In-process::

    with run_server() as server:
        server.script(Scenario(reply="Hi"), Scenario(status=503, fail_times=2))
        ...  # point the client at server.base_url; inspect server.requests

As a process (TUI/tmux tests, benchmarks)::

    python tests/loopback.py --port 0 --print-url   # prints http://127.0.0.1:PORT/v1

and script it from elsewhere with `remote_script(base_url, Scenario(...))` or
``POST /_control/script`` (see `_Handler._control`).

Answers by input and by model: `server.when(Scenario(...), contains="text", model="id")`
answers every matching chat request, whatever the order requests arrive in.

Model metadata, for context-window discovery: `server.model_fields[id]` adds fields to
that model's /v1/models entry (vLLM's max_model_len, OpenRouter's context_length);
`server.ollama_show[id]` is Ollama's POST /api/show answer for it (others: 404);
`server.ollama_ps` Ollama's GET /api/ps models and `server.lmstudio_models` LM Studio's
GET /api/v0/models data (None: 404); `server.redirects[path]` answers that path with a
307 to the given URL; `server.metadata_hang` makes every metadata path never answer.

Usage numbers are deliberately crude but stable: a text of n characters counts as
max(1, n // 4) tokens; prompt_tokens counts all message contents joined, completion
tokens count the whole reply (even when the stream is cut short).
"""

from __future__ import annotations

import argparse
import json
import math
import select
import signal
import socket
import threading
import time
import urllib.request
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass, field, fields
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

DEFAULT_MODELS = ["loopback-large", "loopback-small"]
CREATED = 1_700_000_000  # fixed timestamp keeps payloads deterministic
_BAD_UTF8_MARK = "@@INVALID_UTF8@@"

_ERRORS: dict[int, tuple[str, str, str | None]] = {
    400: ("Invalid request.", "invalid_request_error", None),
    401: ("Incorrect API key provided.", "invalid_request_error", "invalid_api_key"),
    403: ("You do not have access to this model.", "invalid_request_error", None),
    404: ("The model does not exist or you do not have access to it.", "invalid_request_error", "model_not_found"),
    429: ("Rate limit reached for requests.", "requests", "rate_limit_exceeded"),
    500: ("The server had an error while processing your request.", "server_error", None),
    503: ("The engine is currently overloaded, please try again later.", "server_error", None),
}


@dataclass
class Scenario:
    """How the server answers one chat request (or several, with `fail_times`)."""

    reply: str | None = None  # None: "You asked about: <last user message[:60]>. What audience is this for?"
    chunk_size: int = 8  # characters of reply per SSE content chunk
    delay: float = 0.0  # seconds before each content chunk (so also time to first token)
    include_usage: bool | None = None  # None: honour the request's stream_options.include_usage
    finish_reason: str | None = "stop"  # None: omit the finish chunk but still send [DONE]
    status: int = 200  # non-200: answer with an OpenAI-style JSON error body
    error_message: str | None = None  # overrides the default error message for `status`
    error_code: str | None = None  # overrides the error body's "code"
    retry_after: float | None = None  # Retry-After header (seconds) on error responses
    fail_times: int = 0  # with `status`: fail this many times, then answer normally
    cut_off_after_chars: int | None = None  # send this much reply, then drop the connection
    malformed: bool = False  # a non-JSON `data:` line after the first content chunk
    hang: bool = False  # read the request, never answer (until the client leaves or stop())
    stall_after_chars: int | None = None  # stream this much reply, then go silent (until the client leaves)
    invalid_utf8: bool = False  # raw invalid bytes in a content string after the first chunk
    # Raw SSE events sent as they are, each followed by a blank line, instead of the reply
    # (e.g. 'data: {"choices": null}', 'data: [DONE]'); the stream then ends cleanly.
    events: list[str] | None = None

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Scenario:
        unknown = set(data) - {f.name for f in fields(cls)}
        if unknown:
            raise ValueError(f"unknown Scenario fields: {sorted(unknown)}")
        return cls(**data)


@dataclass
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]  # names lower-cased
    body: Any  # parsed JSON body, or None
    # Set when the client hangs up while the server is streaming or hanging (cancel tests).
    disconnected: threading.Event = field(default_factory=threading.Event, repr=False, compare=False)

    def to_json(self) -> dict[str, Any]:
        return {"method": self.method, "path": self.path, "headers": self.headers, "body": self.body}


def count_tokens(text: str) -> int:
    return max(1, len(text) // 4)


def default_reply(messages: list[dict[str, Any]]) -> str:
    last_user = next((m for m in reversed(messages) if m.get("role") == "user"), {})
    text = " ".join(_content_text(last_user.get("content")).split())
    return f"You asked about: {text[:60]}. What audience is this for?"


def _content_text(content: Any) -> str:
    return content if isinstance(content, str) else "" if content is None else json.dumps(content)


class _Entry:
    """A queued scenario plus how many failures it has served (for fail_times)."""

    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        self.failures = 0


class LoopbackServer:
    """The server; `requests` records every /v1 request in arrival order."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        default: Scenario | None = None,
        models: list[str] | None = DEFAULT_MODELS,
        api_key: str | None = None,
    ) -> None:
        self.requests: list[RecordedRequest] = []
        self.models = list(models) if models is not None else None  # None: /models answers 404
        self.api_key = api_key  # when set, requests must carry "Bearer <api_key>" or get 401
        self._queue: deque[_Entry] = deque()
        self._rules: list[tuple[str | None, str | None, _Entry]] = []  # see `when`
        self._initial_default = default or Scenario()
        self._default = _Entry(self._initial_default)
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._connections: set[socket.socket] = set()
        self._httpd = ThreadingHTTPServer((host, port), _Handler)
        self._httpd.daemon_threads = True
        self._httpd.loopback = self  # type: ignore[attr-defined]
        self._thread: threading.Thread | None = None
        self._completions = 0
        self.model_fields: dict[str, dict[str, Any]] = {}
        self.ollama_show: dict[str, dict[str, Any]] = {}
        self.ollama_ps: list[dict[str, Any]] | None = None
        self.lmstudio_models: list[dict[str, Any]] | None = None
        self.redirects: dict[str, str] = {}
        self.metadata_hang = False

    @property
    def base_url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}/v1"

    @property
    def default(self) -> Scenario:
        return self._default.scenario

    @default.setter
    def default(self, scenario: Scenario) -> None:
        with self._lock:
            self._default = _Entry(scenario)

    def script(self, *scenarios: Scenario) -> None:
        """Queue behaviours for the next chat requests; the default answers once they run out."""
        with self._lock:
            self._queue.extend(_Entry(s) for s in scenarios)

    def reset(self) -> None:
        """Forget queued scenarios and recorded requests; restore the startup default."""
        with self._lock:
            self._queue.clear()
            self._rules.clear()
            self._default = _Entry(self._initial_default)
            self.requests.clear()

    def start(self) -> LoopbackServer:
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and release every handler, including hanging ones and idle keep-alives."""
        self._stopping.set()
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join()
        with self._lock:
            connections = list(self._connections)
        for conn in connections:
            with suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        self._httpd.server_close()

    def __enter__(self) -> LoopbackServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def when(
        self, scenario: Scenario, *, model: str | None = None, contains: str | None = None, first: bool = False
    ) -> None:
        """Answer every chat request for `model` and/or whose messages contain `contains` with
        `scenario`, before the queue (rules are kept, first match wins, `first` puts this one
        ahead of the others; `reset` forgets them). Keyed by input and model, so a run of many
        requests is deterministic in any order."""
        with self._lock:
            self._rules.insert(0 if first else len(self._rules), (model, contains, _Entry(scenario)))

    def _next(self, body: Any = None) -> tuple[Scenario, bool]:
        """The scenario for this chat request and whether it should fail."""
        with self._lock:
            entry = self._rule_for(body) or (self._queue[0] if self._queue else self._default)
            scenario = entry.scenario
            fail = scenario.status != 200 and (scenario.fail_times == 0 or entry.failures < scenario.fail_times)
            if fail and scenario.fail_times:
                entry.failures += 1
            elif self._queue and entry is self._queue[0]:
                self._queue.popleft()
            self._completions += 1
            return scenario, fail

    def _rule_for(self, body: Any) -> _Entry | None:
        if not self._rules or not isinstance(body, dict):
            return None
        texts = [_content_text(m.get("content")) for m in body.get("messages") or [] if isinstance(m, dict)]
        for model, contains, entry in self._rules:
            if model is not None and body.get("model") != model:
                continue
            if contains is not None and not any(contains in text for text in texts):
                continue
            return entry
        return None

    def _completion_id(self) -> str:
        return f"chatcmpl-loopback-{self._completions}"


@contextmanager
def run_server(**kwargs: Any) -> Iterator[LoopbackServer]:
    """Start a LoopbackServer (same arguments) for the duration of a with-block."""
    with LoopbackServer(**kwargs) as server:
        yield server


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive and chunked streams, like real endpoints
    server_version = "loopback"
    loopback: LoopbackServer

    def setup(self) -> None:
        super().setup()
        self.loopback = self.server.loopback  # type: ignore[attr-defined]
        with self.loopback._lock:
            self.loopback._connections.add(self.connection)

    def handle(self) -> None:
        with suppress(ConnectionError):  # clients hang up whenever they like (cancel, reset): not a server fault
            super().handle()

    def finish(self) -> None:
        with self.loopback._lock:
            self.loopback._connections.discard(self.connection)
        with suppress(OSError):  # the client may already be gone
            super().finish()

    def log_message(self, format: str, *args: Any) -> None:
        pass  # keep test and benchmark output clean

    def do_GET(self) -> None:
        if self.path == "/_control/requests":
            self._json(200, {"requests": [r.to_json() for r in self.loopback.requests]})
            return
        record = self._record(None)
        if not self._authorized() or self._metadata_detour(record):
            return
        server = self.loopback
        path = self.path.rstrip("/")
        if path == "/v1/models" and server.models is not None:
            data = [
                {
                    "id": m,
                    "object": "model",
                    "created": CREATED,
                    "owned_by": "loopback",
                    **server.model_fields.get(m, {}),
                }
                for m in server.models
            ]
            self._json(200, {"object": "list", "data": data})
        elif path == "/api/ps" and server.ollama_ps is not None:
            self._json(200, {"models": server.ollama_ps})
        elif path == "/api/v0/models" and server.lmstudio_models is not None:
            self._json(200, {"object": "list", "data": server.lmstudio_models})
        else:
            self._error(404, Scenario(error_message=f"Unknown path {self.path}.", error_code="unknown_url"))

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        if self.path == "/_control/script":
            self._control(body or {})
            return
        record = self._record(body)
        if not self._authorized() or self._metadata_detour(record):
            return
        if self.path.rstrip("/") == "/api/show":
            shown = self.loopback.ollama_show.get((body or {}).get("model") if isinstance(body, dict) else None)
            if shown is None:
                self._json(404, {"error": "model not found"})
            else:
                self._json(200, shown)
            return
        if self.path.rstrip("/") != "/v1/chat/completions":
            self._error(404, Scenario(error_message=f"Unknown path {self.path}.", error_code="unknown_url"))
            return
        if not isinstance(body, dict):
            self._error(400, Scenario(error_message="The body must be a JSON object."))
            return
        scenario, fail = self.loopback._next(body)
        if scenario.hang:
            self._pause(math.inf, record)
            self.close_connection = True
        elif fail:
            self._error(scenario.status, scenario)
        elif body.get("stream"):
            self._stream(body, scenario, record)
        else:
            self._complete(body, scenario)

    def _control(self, data: dict[str, Any]) -> None:
        """POST /_control/script {"reset"?: bool, "scenarios"?: [Scenario fields...],
        "default"?: {...}, "models"?: [ids] | null, "api_key"?: str | null, "model_fields"?,
        "ollama_show"?, "ollama_ps"?, "lmstudio_models"? (as the attributes)} — only keys present apply."""
        server = self.loopback
        try:
            if data.get("reset"):
                server.reset()
            if "default" in data:
                server.default = Scenario.from_json(data["default"])
            if "models" in data:
                server.models = data["models"]
            if "api_key" in data:
                server.api_key = data["api_key"]
            for name in ("model_fields", "ollama_show", "ollama_ps", "lmstudio_models"):
                if name in data:
                    setattr(server, name, data[name])
            server.script(*(Scenario.from_json(s) for s in data.get("scenarios", [])))
        except (TypeError, ValueError) as err:
            self._json(400, {"error": {"message": str(err), "type": "invalid_request_error"}})
            return
        self._json(200, {"queued": len(server._queue)})

    def _metadata_detour(self, record: RecordedRequest) -> bool:
        """Redirect or hang a metadata request when scripted to; True if it was handled."""
        path = self.path.rstrip("/")
        if path in self.loopback.redirects:
            self.send_response(307)
            self.send_header("Location", self.loopback.redirects[path])
            self.send_header("Content-Length", "0")
            self.end_headers()
            return True
        if self.loopback.metadata_hang and (path in ("/v1/models", "/api/ps", "/api/show", "/api/v0/models")):
            self._pause(math.inf, record)
            self.close_connection = True
            return True
        return False

    def _record(self, body: Any) -> RecordedRequest:
        headers = {k.lower(): v for k, v in self.headers.items()}
        record = RecordedRequest(self.command, self.path, headers, body)
        self.loopback.requests.append(record)
        return record

    def _authorized(self) -> bool:
        key = self.loopback.api_key
        if key is None or self.headers.get("Authorization") == f"Bearer {key}":
            return True
        self._error(401, Scenario())
        return False

    # -- answers ---------------------------------------------------------------------

    def _json(self, status: int, payload: Any, extra_headers: dict[str, str] | None = None) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (extra_headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def _error(self, status: int, scenario: Scenario) -> None:
        message, kind, code = _ERRORS.get(
            status, (f"Error {status}.", "server_error" if status >= 500 else "invalid_request_error", None)
        )
        error = {
            "message": scenario.error_message or message,
            "type": kind,
            "param": None,
            "code": scenario.error_code or code,
        }
        headers = {"Retry-After": f"{scenario.retry_after:g}"} if scenario.retry_after is not None else None
        self._json(status, {"error": error}, headers)

    def _complete(self, body: dict[str, Any], scenario: Scenario) -> None:
        reply = _reply(body, scenario)
        payload = {
            "id": self.loopback._completion_id(),
            "object": "chat.completion",
            "created": CREATED,
            "model": body.get("model", ""),
            "choices": [
                {
                    "index": 0,
                    "message": {
                        "role": "assistant",
                        "content": _BAD_UTF8_MARK + reply if scenario.invalid_utf8 else reply,
                    },
                    "logprobs": None,
                    "finish_reason": scenario.finish_reason,
                }
            ],
            "usage": _usage(body, reply),
        }
        data = json.dumps(payload).encode().replace(_BAD_UTF8_MARK.encode(), b"\xff\xfe")
        if scenario.malformed:
            data = data[: len(data) // 2]
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if scenario.cut_off_after_chars is not None:
            self.wfile.write(data[: min(scenario.cut_off_after_chars, len(data) - 1)])
            self.close_connection = True
        else:
            self.wfile.write(data)

    def _stream(self, body: dict[str, Any], scenario: Scenario, record: RecordedRequest) -> None:
        reply = _reply(body, scenario)
        include_usage = scenario.include_usage
        if include_usage is None:
            include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
        completion_id = self.loopback._completion_id()

        def chunk(delta: dict[str, Any], finish_reason: str | None = None) -> dict[str, Any]:
            payload: dict[str, Any] = {
                "id": completion_id,
                "object": "chat.completion.chunk",
                "created": CREATED,
                "model": body.get("model", ""),
                "system_fingerprint": None,
                "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}],
            }
            if include_usage:
                payload["usage"] = None  # OpenAI sends an explicit null until the usage chunk
            return payload

        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        if scenario.events is not None:
            for raw in scenario.events:
                if not self._send(raw.encode("utf-8", "surrogatepass") + b"\n\n", record):
                    return
            self._send(b"", record)
            return

        text = reply if scenario.cut_off_after_chars is None else reply[: scenario.cut_off_after_chars]
        if scenario.stall_after_chars is not None:
            text = text[: scenario.stall_after_chars]
        pieces = [text[i : i + scenario.chunk_size] for i in range(0, len(text), max(1, scenario.chunk_size))]
        if not self._send(_event(chunk({"role": "assistant", "content": ""})), record):
            return
        for index, piece in enumerate(pieces):
            if scenario.delay and not self._pause(scenario.delay, record):
                return
            if not self._send(_event(chunk({"content": piece})), record):
                return
            if index == 0 and scenario.malformed:
                self._send(b"data: {this is not json\n\n", record)
            if index == 0 and scenario.invalid_utf8:
                bad = _event(chunk({"content": _BAD_UTF8_MARK})).replace(_BAD_UTF8_MARK.encode(), b"ok \xff\xfe")
                self._send(bad, record)
        if scenario.stall_after_chars is not None:
            self._pause(math.inf, record)  # the stream stays open, silent, until the client leaves
            self.close_connection = True
            return
        if scenario.cut_off_after_chars is not None:
            self.close_connection = True  # drop the socket without the terminating chunk
            return
        if scenario.finish_reason is not None:
            self._send(_event(chunk({}, scenario.finish_reason)), record)
        if include_usage:
            usage_chunk = chunk({})
            usage_chunk["choices"] = []
            usage_chunk["usage"] = _usage(body, reply)
            self._send(_event(usage_chunk), record)
        self._send(b"data: [DONE]\n\n", record)
        self._send(b"", record)  # the zero-length chunk ends the chunked body

    def _send(self, data: bytes, record: RecordedRequest) -> bool:
        """Write one HTTP chunk; False (and close) if the client has gone."""
        try:
            self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
            return True
        except OSError:
            record.disconnected.set()
            self.close_connection = True
            return False

    def _pause(self, seconds: float, record: RecordedRequest) -> bool:
        """Wait, watching the socket so a client hang-up is seen at once; False if it hung up
        or the server is stopping."""
        deadline = time.monotonic() + seconds
        while not self.loopback._stopping.is_set():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return True
            readable, _, _ = select.select([self.connection], [], [], min(remaining, 0.02))
            if readable:
                try:
                    gone = not self.connection.recv(1, socket.MSG_PEEK)
                except OSError:
                    gone = True
                if gone:
                    record.disconnected.set()
                    self.close_connection = True
                    return False
                time.sleep(min(remaining, 0.02))  # pipelined bytes, not a hang-up
        self.close_connection = True
        return False


def _event(payload: dict[str, Any]) -> bytes:
    return b"data: " + json.dumps(payload).encode() + b"\n\n"


def _reply(body: dict[str, Any], scenario: Scenario) -> str:
    return scenario.reply if scenario.reply is not None else default_reply(body.get("messages") or [])


def _usage(body: dict[str, Any], reply: str) -> dict[str, int]:
    prompt = count_tokens("".join(_content_text(m.get("content")) for m in body.get("messages") or []))
    completion = count_tokens(reply)
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}


# -- scripting a server in another process ------------------------------------------------


def remote_script(base_url: str, *scenarios: Scenario, **settings: Any) -> None:
    """Queue scenarios on a loopback process; settings: reset, default (Scenario), models, api_key,
    model_fields, ollama_show, ollama_ps, lmstudio_models."""
    if isinstance(settings.get("default"), Scenario):
        settings["default"] = asdict(settings["default"])
    payload = {"scenarios": [asdict(s) for s in scenarios], **settings}
    _control_call(base_url, "/_control/script", payload)


def remote_requests(base_url: str) -> list[dict[str, Any]]:
    return _control_call(base_url, "/_control/requests", None)["requests"]


def _control_call(base_url: str, path: str, payload: Any) -> Any:
    root = base_url.rstrip("/").removesuffix("/v1")
    data = None if payload is None else json.dumps(payload).encode()
    request = urllib.request.Request(root + path, data=data, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=5) as response:
        return json.load(response)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Scripted OpenAI-compatible loopback server.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--print-url", action="store_true", help="print the base URL (…/v1) on stdout")
    parser.add_argument("--reply", help="fixed reply text instead of the derived one")
    parser.add_argument("--chunk-size", type=int, default=Scenario.chunk_size)
    parser.add_argument("--delay", type=float, default=Scenario.delay, help="seconds before each chunk")
    parser.add_argument("--api-key", help="require this bearer key")
    parser.add_argument("--no-models", action="store_true", help="answer 404 on /models")
    args = parser.parse_args(argv)

    default = Scenario(reply=args.reply, chunk_size=args.chunk_size, delay=args.delay)
    models = None if args.no_models else DEFAULT_MODELS
    server = LoopbackServer(args.host, args.port, default=default, models=models, api_key=args.api_key).start()
    if args.print_url:
        print(server.base_url, flush=True)
    done = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: done.set())
    done.wait()
    server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
