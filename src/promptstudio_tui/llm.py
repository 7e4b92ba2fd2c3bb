"""OpenAI-compatible chat client: a stream of small events and one-sentence errors.

The `openai` SDK is imported lazily (it costs ~0.7 s) because this module sits on the
UI import path. Failed requests (408, 409, 429 and 5xx, timeouts, connection failures)
are retried here rather than by the SDK (`max_retries=0` there): we count the attempts
we name in errors, never sleep on a long Retry-After, and every attempt and wait of one
request fits in the configured timeout — the time the error message names.

Stream chunks are read as plain JSON and checked here: whatever shape a server sends,
the caller sees text, usage and a finish reason, or an LLMError — never a traceback.
"""

from __future__ import annotations

import asyncio
import random
import re
import socket
import sys
import time
from collections.abc import AsyncGenerator, Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, TypeVar
from urllib.parse import urlsplit

if TYPE_CHECKING:
    import openai
    from openai import AsyncOpenAI, RequestOptions

# Sent when the user has no key: local servers (Ollama, LM Studio, vLLM) ignore it, and
# it is plainly not a secret if it shows up in their logs.
PLACEHOLDER_KEY = "not-needed"
SETTINGS_HINT = "`promptstudio key set` or in Settings (F2)"

# Key-shaped tokens in server-provided text are masked even when they are not ours.
_KEYLIKE = re.compile(r"\b(?:sk|pk|rk)-[A-Za-z0-9_\-*]{6,}")

# A Retry-After longer than this fails at once with "try again in N s": the user would
# otherwise watch nothing for that long. Shorter ones are waited out silently.
MAX_RETRY_WAIT = 5.0
# Without a Retry-After: 0.5 s, 1 s, 2 s... up to 8 s, less up to a quarter (the SDK's backoff).
FIRST_BACKOFF = 0.5
MAX_BACKOFF = 8.0
RETRY_STATUSES = frozenset({408, 409, 429})  # and every 5xx
# Asking the endpoint for a model's context window: all of it, every probe included, is
# over within this many seconds, and within half of what is left of the request's time:
# it runs before a request the user is waiting for.
DISCOVERY_SECONDS = 4.0
# Token counts a server reports beyond this (or below 0, or not whole numbers) are not
# believed: the reply is counted locally instead.
MAX_REPORTED_TOKENS = 100_000_000

T = TypeVar("T")
Sleep = Callable[[float], Awaitable[None]]
Clock = Callable[[], float]


class WaitFor(Protocol):
    """asyncio.wait_for's shape: the awaitable's result, or asyncio.TimeoutError once `timeout` seconds pass."""

    def __call__(self, awaitable: Awaitable[T], timeout: float, /) -> Awaitable[T]: ...


async def within(awaitable: Awaitable[T], timeout: float, /) -> T:
    """The awaitable's result, or asyncio.TimeoutError once `timeout` seconds pass. Not
    asyncio.wait_for: on Python 3.11 it can swallow a cancellation that lands as the awaitable
    finishes (python/cpython#86296), and a stopped test run then went on to its next case."""
    if sys.version_info < (3, 11):  # no asyncio.timeout there: wait_for, race and all
        return await asyncio.wait_for(awaitable, timeout)
    async with asyncio.timeout(timeout):
        return await awaitable


@dataclass(frozen=True)
class TextDelta:
    text: str


@dataclass(frozen=True)
class Usage:
    prompt_tokens: int
    completion_tokens: int


@dataclass(frozen=True)
class Finished:
    reason: str  # the server's finish_reason ("stop", "length", ...)


Event = TextDelta | Usage | Finished


class LLMError(Exception):
    """A failed request, as one actionable sentence that never contains the API key.

    kind: "no_key", "auth", "forbidden", "not_found", "rate_limited", "server",
    "timeout", "connection", "bad_url", "malformed", "empty", "cut_off", "overrun" or
    "bad_request".
    """

    def __init__(self, kind: str, message: str, *, status: int | None = None, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.status = status
        self.retry_after = retry_after

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return f"LLMError(kind={self.kind!r}, message={self.message!r}, status={self.status!r})"


class LLMClient:
    """One endpoint, one key. Use from a single event loop (the SDK's connection pool is bound to it)."""

    def __init__(
        self,
        base_url: str,
        api_key: str | None,
        *,
        timeout: float = 60.0,
        connect_timeout: float = 10.0,
        max_retries: int = 2,
        sleep: Sleep = asyncio.sleep,
        clock: Clock = time.monotonic,
        wait_for: WaitFor = within,
    ) -> None:
        """`sleep`, `clock`, `wait_for`: wait between attempts, tell the time, and give an
        answer (or the context-window probes) the time left (tests pass fakes)."""
        self._base_url = base_url
        self._api_key = api_key or None
        self._timeout = timeout
        self._connect_timeout = connect_timeout
        self._max_retries = max_retries
        self._sleep = sleep
        self._clock = clock
        self._wait_for = wait_for
        self._client: AsyncOpenAI | None = None
        # Shown in messages: host and URL without user-info/query, which could hold secrets.
        try:
            parts = urlsplit(base_url)
            host = parts.netloc.rpartition("@")[2]
        except ValueError:  # "http://[::1/v1": told as a bad URL before any request
            host = ""
        self._host = self._scrub(host or base_url)
        self._url = self._scrub(f"{parts.scheme}://{self._host}{parts.path}" if host else base_url)
        problem = _url_problem(base_url)
        self._bad_url = (
            None
            if problem is None
            else LLMError("bad_url", f"The base URL {self._url} is not usable: {problem} — fix it in Settings (F2).")
        )

    def __repr__(self) -> str:
        return f"LLMClient(base_url={self._url!r}, api_key={'set' if self._api_key else 'none'})"

    def _sdk(self) -> AsyncOpenAI:
        if self._client is None:
            import openai

            self._client = openai.AsyncOpenAI(
                base_url=self._base_url,
                api_key=self._api_key or PLACEHOLDER_KEY,
                timeout=openai.Timeout(self._timeout, connect=self._connect_timeout),
                max_retries=0,  # ours: see _attempts
            )
        return self._client

    def deadline(self) -> float:
        """When a request starting now must have its answer (by `clock`): the configured timeout from now."""
        if self._bad_url is None:  # the SDK refuses to be built on an unusable URL; the request says why
            self._sdk()  # loading the SDK (~0.7 s the first time) is not the endpoint's time
        return self._clock() + self._timeout

    async def _attempts(
        self, request: Callable[[], Awaitable[T]], *, model: str | None, deadline: float | None = None
    ) -> T:
        """`request()`, tried again after a failure worth retrying, at most `max_retries` times,
        and all of it — attempts and waits — over by `deadline` (default: the timeout from now).

        Raises LLMError naming how many attempts were made.
        """
        import openai

        if self._bad_url is not None:
            raise self._bad_url
        deadline = self.deadline() if deadline is None else deadline
        attempt = 1
        while True:
            left = deadline - self._clock()
            try:
                if left <= 0:
                    raise asyncio.TimeoutError
                return await self._wait_for(request(), left)
            except asyncio.TimeoutError:  # (not the builtin TimeoutError before 3.11)
                raise self._no_answer() from None
            except openai.OpenAIError as err:
                wait = _retry_wait(err, attempt) if attempt <= self._max_retries else None
                if wait is None or self._clock() + wait >= deadline:
                    raise self._error(err, model=model, attempts=attempt) from None
            except Exception as err:  # noqa: BLE001 - the transport's own failures (an ExceptionGroup): one sentence, not retried
                raise self._error(err, model=model) from None
            await self._sleep(wait)
            attempt += 1

    async def stream_chat(
        self,
        messages: list[dict[str, str]],
        *,
        model: str,
        temperature: float | None,
        max_tokens: int | None,
        deadline: float | None = None,
    ) -> AsyncGenerator[Event, None]:
        """Yield TextDelta per content delta, then Usage (if reported) and one Finished.

        The answer starts by `deadline` (default: the timeout from now), retries included;
        then each chunk may take up to the timeout. Raises LLMError, also mid-stream (the
        caller keeps the text it already has); a stream that ends without a finish_reason
        is "cut_off". Cancelling the consumer closes the HTTP response at once when it is
        waiting on the network; a consumer that may be cancelled elsewhere should wrap
        this in `contextlib.aclosing`.
        """
        import openai

        body: dict[str, object] = {
            "model": model,
            "messages": messages,
            "stream": True,
            "stream_options": {"include_usage": True},
        }
        if temperature is not None:
            body["temperature"] = temperature
        if max_tokens is not None:
            body["max_tokens"] = max_tokens

        async def request() -> openai.AsyncStream[object]:
            # Plain JSON per chunk (cast_to=object), checked by _read_chunk: the SDK's
            # models take any shape unchecked and fail later, in our hands.
            return await self._sdk().post(
                "/chat/completions", cast_to=object, body=body, stream=True, stream_cls=openai.AsyncStream[object]
            )

        stream = await self._attempts(request, model=model, deadline=deadline)

        finish: str | None = None
        usage: Usage | None = None
        chunks = 0
        try:
            async with stream:
                async for chunk in stream:
                    chunks += 1
                    text, reported, reason = _read_chunk(chunk)
                    usage = reported or usage  # some servers report running totals: keep the last
                    finish = reason or finish
                    if text:
                        yield TextDelta(text)
        # ValueError covers non-JSON data lines, invalid UTF-8 (the SDK decodes strictly)
        # and chunks of the wrong shape; RecursionError JSON nested thousands deep.
        except (openai.OpenAIError, ValueError, RecursionError) as err:
            raise self._error(err, model=model, streaming=True) from None
        if chunks == 0:
            # A web page at the base URL is not an event stream at all; an event stream
            # with nothing in it is a server that ended without a reply.
            event_stream = stream.response.headers.get("content-type", "").startswith("text/event-stream")
            raise self._empty() if event_stream else self._malformed()
        if finish is None:
            raise self._cut_off()
        if usage is not None:
            yield usage
        yield Finished(finish)

    async def list_models(self) -> list[str]:
        """Sorted model ids from GET /models."""
        listed = await self._attempts(lambda: self._sdk().get("/models", cast_to=object), model=None)
        # Plain JSON, checked here: a web page at the base URL comes back as its text.
        data = listed.get("data") if isinstance(listed, dict) else None
        if not isinstance(data, list) or not all(isinstance(m, dict) and isinstance(m.get("id"), str) for m in data):
            raise self._malformed()
        return sorted({m["id"] for m in data})

    async def context_window(self, model: str, deadline: float | None = None) -> int | None:
        """The model's context window as the endpoint reports it, or None.

        Asks only the configured endpoint, in this order: the OpenAI-style model list
        (`max_model_len` from vLLM, `context_length` from OpenRouter, `context_window`
        from Groq); then, at the root under a base URL ending in /v1, Ollama (`/api/ps`:
        the window the loaded model runs with; `/api/show`: a `num_ctx` parameter, else
        the model's trained `*.context_length`) and LM Studio (`/api/v0/models`: the
        loaded `loaded_context_length`, else `max_context_length`). Never retried, never
        raises: any failure, odd answer or the time limit gives None — DISCOVERY_SECONDS,
        or half the time left before `deadline`, the request it serves being the other half.
        Redirects are not followed, so no other host is ever contacted.
        """
        if self._bad_url is not None:
            return None
        self._sdk()  # loading the SDK (~0.7 s the first time) is not the endpoint's time
        within = DISCOVERY_SECONDS if deadline is None else min(DISCOVERY_SECONDS, (deadline - self._clock()) / 2)
        try:
            return await self._wait_for(self._discover_window(model), max(within, 0))
        except asyncio.TimeoutError:  # (not the builtin TimeoutError before 3.11)
            return None

    async def _discover_window(self, model: str) -> int | None:
        listed = await self._probe("get", "models")
        entry = _entry(listed.get("data") if isinstance(listed, dict) else None, model, "id")
        found = _first_int(entry, "max_model_len", "context_length", "context_window")
        if found is None and isinstance(entry, dict):
            found = _first_int(entry.get("top_provider"), "context_length")
        root = self._base_url.rstrip("/")
        if found is not None or not root.endswith("/v1"):
            return found
        root = root.removesuffix("/v1")
        running = await self._probe("get", f"{root}/api/ps")
        found = _first_int(_ollama_entry(running, model), "context_length")
        if found is None:
            shown = await self._probe("post", f"{root}/api/show", {"model": model})
            if isinstance(shown, dict):
                info = shown.get("model_info")
                trained = {str(k).rpartition(".")[2]: v for k, v in info.items()} if isinstance(info, dict) else None
                found = _num_ctx(shown.get("parameters")) or _first_int(trained, "context_length")
        if found is None:
            studio = await self._probe("get", f"{root}/api/v0/models")
            entry = _entry(studio.get("data") if isinstance(studio, dict) else None, model, "id")
            found = _first_int(entry, "loaded_context_length", "max_context_length")
        return found

    async def _probe(self, method: str, path: str, body: object = None) -> object:
        """JSON from one request to the endpoint, or None on any failure."""

        # Not following redirects keeps every probe on the configured host.
        options: RequestOptions = {"timeout": DISCOVERY_SECONDS, "max_retries": 0, "follow_redirects": False}
        try:
            if method == "post":
                return await self._sdk().post(path, cast_to=object, body=body, options=options)
            return await self._sdk().get(path, cast_to=object, options=options)
        except Exception:  # noqa: BLE001 - any failure, the transport's own included, means "not reported"
            return None

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.close()
            self._client = None

    # -- errors -----------------------------------------------------------------------

    def _error(self, err: Exception, *, model: str | None, streaming: bool = False, attempts: int = 1) -> LLMError:
        import openai

        if isinstance(err, openai.APITimeoutError):
            if streaming:
                text = f"The reply from {self._host} stalled for more than {self._timeout:g} s — the partial text is kept; try again."
                return LLMError("timeout", text)
            return self._no_answer()
        if isinstance(err, openai.APIConnectionError):
            if streaming:
                return self._cut_off()
            if _is_dns_failure(err):
                text = f"Cannot resolve the host {self._host} — check the base URL {self._url} in Settings (F2)."
            else:
                text = f"Cannot reach {self._url} — check that the server is running and the base URL is right (Settings, F2)."
            return LLMError("connection", text)
        if isinstance(err, openai.APIStatusError):
            return self._status_error(err, model, attempts)
        if isinstance(err, openai.APIError):  # an {"error": ...} event inside a 200 stream
            detail = self._server_detail(err.message) or "no details"
            return LLMError(
                "server", f"The endpoint at {self._host} reported an error mid-reply ({detail}) — try again."
            )
        if isinstance(err, (ValueError, RecursionError)):
            return self._malformed()
        return LLMError(
            "server", f"The request to {self._host} failed unexpectedly ({type(err).__name__}) — try again."
        )

    def _status_error(self, err: openai.APIStatusError, model: str | None, attempts: int) -> LLMError:
        status = err.status_code
        headers = err.response.headers
        if status == 401 and self._api_key is None:
            kind, text = "no_key", f"The endpoint needs an API key and none is set — set one with {SETTINGS_HINT}."
        elif status == 401:
            kind, text = "auth", f"The endpoint rejected the API key (401) — check it with {SETTINGS_HINT}."
        elif status == 403:
            what = f"model '{model}'" if model else "this endpoint"
            kind, text = (
                "forbidden",
                f"The API key has no access to {what} (403) — pick another model or key with {SETTINGS_HINT}.",
            )
        elif status == 404 and model is None:
            kind, text = (
                "not_found",
                f"The endpoint at {self._host} offers no model list (404 on /models) — check the base URL ends in /v1, or type the model name in Settings (F2).",
            )
        elif status == 404:
            kind, text = (
                "not_found",
                f"The endpoint at {self._host} has no model '{model}' (404) — pick one with `promptstudio models` or in Settings (F2), and check the base URL.",
            )
        elif status == 429 and err.code == "insufficient_quota":
            kind, text = (
                "rate_limited",
                f"The account behind this API key is out of quota (429 at {self._host}) — check its billing or use another key with {SETTINGS_HINT}.",
            )
        elif status == 429:
            wait = _retry_after(headers)
            when = f"in {max(1, round(wait))} s" if wait is not None else "in a minute"
            kind, text = (
                "rate_limited",
                f"The endpoint at {self._host} is rate-limiting requests (429) — try again {when}.",
            )
        elif status >= 500:
            tries = "1 attempt" if attempts == 1 else f"{attempts} attempts"
            kind, text = (
                "server",
                f"The endpoint at {self._host} had a server error ({status}) after {tries} — try again shortly.",
            )
        else:
            detail = self._server_detail(_body_message(err.body))
            said = f"{status}: {detail}" if detail else str(status)
            kind, text = (
                "bad_request",
                f"The endpoint at {self._host} rejected the request ({said}) — check the model and settings in Settings (F2).",
            )
        return LLMError(kind, text, status=status, retry_after=_retry_after(headers))

    def _cut_off(self) -> LLMError:
        text = f"The reply was cut off: {self._host} closed the stream before it finished — the partial text is kept; try again."
        return LLMError("cut_off", text)

    def _no_answer(self) -> LLMError:
        text = f"No answer from {self._host} within {self._timeout:g} s — check that the server is up and not overloaded, then try again."
        return LLMError("timeout", text)

    def _empty(self) -> LLMError:
        text = f"The endpoint at {self._host} ended the stream without a reply — try again; if it keeps happening, check the model and the server's logs."
        return LLMError("empty", text)

    def _malformed(self) -> LLMError:
        text = f"The endpoint at {self._host} sent data that is not valid OpenAI JSON — check that the base URL points at an OpenAI-compatible /v1 API."
        return LLMError("malformed", text)

    def _server_detail(self, text: str | None) -> str:
        """Server-provided text, made safe to show: one line, short, no keys, no trailing period."""
        if not text:
            return ""
        # one_line() also makes control characters inert: an error body is as untrusted as
        # model output, and this text is stored, printed to stderr and shown in the TUI.
        from promptstudio_tui.sanitize import one_line

        line = one_line(self._scrub(text))
        if len(line) > 160:
            line = line[:159] + "…"
        return line.rstrip(".")

    def _scrub(self, text: str) -> str:
        if self._api_key:
            text = text.replace(self._api_key, "***")
        return _KEYLIKE.sub("***", text)


def _read_chunk(chunk: object) -> tuple[str, Usage | None, str | None]:
    """Choice 0's text and finish_reason, and the usage, of one chunk.

    ValueError when it is not shaped like a chat completion chunk; usage that is not
    believable (see MAX_REPORTED_TOKENS) is left out, so the reply is counted locally.
    """
    if not isinstance(chunk, dict):
        raise ValueError("a chunk is not an object")
    choices = chunk.get("choices") or []
    if not isinstance(choices, list):
        raise ValueError("choices is not a list")
    text, finish = "", None
    for choice in choices:
        if not isinstance(choice, dict):
            raise ValueError("a choice is not an object")
        if (choice.get("index") or 0) != 0:
            continue
        delta = choice.get("delta") or {}
        if not isinstance(delta, dict):
            raise ValueError("a delta is not an object")
        content, reason = delta.get("content"), choice.get("finish_reason")
        if not isinstance(content, (str, type(None))) or not isinstance(reason, (str, type(None))):
            raise ValueError("content or finish_reason is not a string")
        text += _whole_characters(content or "")
        finish = reason or finish
    return text, _usage(chunk.get("usage")), finish


def _usage(reported: object) -> Usage | None:
    if not isinstance(reported, dict):
        return None
    numbers = (reported.get("prompt_tokens") or 0, reported.get("completion_tokens") or 0)
    if all(type(n) is int and 0 <= n <= MAX_REPORTED_TOKENS for n in numbers):
        return Usage(*numbers)
    return None


def _whole_characters(text: str) -> str:
    """`text` with any lone surrogate (JSON may escape one: "\\ud800") as U+FFFD: it could be neither stored nor shown."""
    if text.isascii():
        return text
    return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


def _url_problem(base_url: str) -> str | None:
    """Why `base_url` cannot be asked anything, or None."""
    try:
        parts = urlsplit(base_url)
    except ValueError:  # "http://[::1/v1"
        return "it is not a URL"
    if parts.scheme not in ("http", "https"):
        return "it must start with http:// or https://"
    try:
        port = parts.port  # ValueError when out of range or not a number
    except ValueError:
        port = 0
    if port == 0 or not parts.hostname:
        return "its port is not a number from 1 to 65535" if parts.hostname else "it names no host"
    return None


def _retry_wait(err: openai.OpenAIError, attempt: int) -> float | None:
    """Seconds to wait before trying again after `attempt` failed, or None: do not retry."""
    import openai

    if isinstance(err, openai.APIStatusError):
        status, headers = err.status_code, err.response.headers
        if status == 429 and err.code == "insufficient_quota":
            return None  # no wait will help: the account needs money
        should = headers.get("x-should-retry")  # a server may say so; the SDK obeys it too
        if should == "false" or (should != "true" and status not in RETRY_STATUSES and status < 500):
            return None
        wait = _retry_after(headers)
        if wait is not None:
            return wait if wait <= MAX_RETRY_WAIT else None
    elif not isinstance(err, (openai.APITimeoutError, openai.APIConnectionError)):
        return None
    return min(FIRST_BACKOFF * 2 ** (attempt - 1), MAX_BACKOFF) * (1 - 0.25 * random.random())


def _is_dns_failure(err: BaseException) -> bool:
    """True when the SDK's connection error wraps a name-resolution failure."""
    seen: BaseException | None = err
    while seen is not None:
        if isinstance(seen, socket.gaierror):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds from retry-after-ms / Retry-After (the SDK's order); None if absent or a date."""
    for name, divisor in (("retry-after-ms", 1000.0), ("retry-after", 1.0)):
        value = headers.get(name)
        if value is not None:
            try:
                return max(0.0, float(value) / divisor)
            except ValueError:
                continue
    return None


def _entry(items: object, model: str, key: str) -> dict[str, object] | None:
    """The mapping in `items` whose `key` is `model`."""
    if isinstance(items, list):
        for item in items:
            if isinstance(item, dict) and item.get(key) == model:
                return item
    return None


def _ollama_entry(running: object, model: str) -> dict[str, object] | None:
    """Ollama names "llama3.1" as "llama3.1:latest" once loaded."""
    models = running.get("models") if isinstance(running, dict) else None
    for name in (model, f"{model}:latest"):
        found = _entry(models, name, "name") or _entry(models, name, "model")
        if found is not None:
            return found
    return None


def _first_int(entry: object, *keys: str) -> int | None:
    """The first of `keys` in `entry` holding a positive whole number."""
    if isinstance(entry, dict):
        for key in keys:
            value = entry.get(key)
            if isinstance(value, int) and not isinstance(value, bool) and value > 0:
                return value
    return None


def _num_ctx(parameters: object) -> int | None:
    """`num_ctx` from Ollama's Modelfile parameters ("num_ctx 8192\\nstop ..."): the window it serves."""
    if isinstance(parameters, str):
        match = re.search(r"^\s*num_ctx\s+(\d+)\s*$", parameters, re.MULTILINE)
        if match and int(match.group(1)) > 0:
            return int(match.group(1))
    return None


def _body_message(body: object) -> str | None:
    if isinstance(body, dict):
        message = body.get("message")
        return message if isinstance(message, str) else None
    return body if isinstance(body, str) else None
