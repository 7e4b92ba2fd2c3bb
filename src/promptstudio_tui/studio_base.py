"""What every request of the Studio shares: the store's repositories, the settings, the
client, and the order of a request — require a key, reserve quota, stream, count what it
cost, record usage and release the reservation. Every request streams in a `Flight`,
the one place a request ends: however it is left, its row is settled and its
reservation released.

The Studio's parts (chat in studio.py, prompts in prompt_flow.py) build on this class.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator, Callable
from pathlib import Path
from types import TracebackType
from typing import Generic, TypeVar

from promptstudio_tui import context, credentials, pricing, tokens
from promptstudio_tui.config import ModeSettings, Settings
from promptstudio_tui.context import Window
from promptstudio_tui.events import StudioError
from promptstudio_tui.llm import Finished, LLMClient, LLMError, TextDelta, Usage
from promptstudio_tui.paths import Paths
from promptstudio_tui.quota import Quota, QuotaExceeded
from promptstudio_tui.store import Store
from promptstudio_tui.store.conversations import Conversations
from promptstudio_tui.store.messages import Messages
from promptstudio_tui.store.preferences import Preferences
from promptstudio_tui.store.prompts import Prompts
from promptstudio_tui.store.records import PromptVersion
from promptstudio_tui.store.versions import PromptVersions
from promptstudio_tui.streamed import Spend, Streamed
from promptstudio_tui.tokens import TokenCount

OPENAI_HOST = "api.openai.com"
# A reply longer than this many times its max_tokens comes from a server that ignores the
# limit: reading stops there (the reservation held only max_tokens).
OVERRUN_FACTOR = 2

T = TypeVar("T")
Settle = Callable[[Streamed, Spend], T]


class ApiKeys:
    """The API key wherever it is kept (environment, keyring, key file): the one door to it.

    Needs no database, so `promptstudio key` works even when the store cannot open.
    """

    def __init__(self, config_dir: Path) -> None:
        self._config_dir = config_dir

    def current(self) -> credentials.ApiKey:
        return credentials.resolve(self._config_dir)

    def save(self, value: str) -> str:
        """Store the key; returns where. ValueError says why a key is refused (never echoing it)."""
        return credentials.store(value, self._config_dir)

    def clear(self) -> list[str]:
        """Remove the stored key; returns the places it was removed from."""
        return credentials.clear(self._config_dir)


def count_tokens(text: str, model: str) -> TokenCount:
    """Tokens in `text` for `model`, offline (an estimate, marked so, for unknown models)."""
    return tokens.count(text, model)


class StudioBase:
    def __init__(self, paths: Paths, settings: Settings, store: Store):
        self.paths = paths
        self.settings = settings
        self._store = store
        self._conversations = Conversations(store)
        self._messages = Messages(store)
        self._prompts = Prompts(store)
        self._versions = PromptVersions(store)
        self._preferences = Preferences(store)
        self._quota = Quota(store)
        self.keys = ApiKeys(paths.config_dir)
        self._open_id: str | None = None  # the conversation on screen: replies elsewhere count as unread
        self.notices: list[str] = []
        self._client: LLMClient | None = None
        self._client_key: tuple[str, str | None, float] | None = None
        self._reported_windows: dict[tuple[str, str], int | None] = {}  # (base URL, model): the endpoint's word

    def api_key(self) -> credentials.ApiKey:
        return self.keys.current()

    def client(self) -> LLMClient:
        key = self.api_key().value
        wanted = (self.settings.base_url, key, self.settings.timeout)
        if self._client is None or self._client_key != wanted:
            self._client = LLMClient(self.settings.base_url, key, timeout=self.settings.timeout)
            self._client_key = wanted
        return self._client

    def _spend(self, request: list[dict[str, str]], outcome: Streamed, model: str | None = None) -> Spend:
        """What a request to `model` (default: the configured one) cost: tokens and micro-dollars."""
        model = model or self.settings.model
        prompt_tokens, completion_tokens = self._usage_numbers(request, outcome, model)
        cost = pricing.cost_micros(model, prompt_tokens, completion_tokens, self.settings.prices)
        return Spend(model, prompt_tokens, completion_tokens, cost)

    def _deadline(self) -> float:
        """When a request starting now must have its answer: the timeout from now, counted once
        the SDK and the tokenizer are loaded (their first load, ~2 s, is not the endpoint's time)."""
        tokens.count("", self.settings.model)
        return self.client().deadline()

    def _flight(
        self,
        request: list[dict[str, str]],
        mode: ModeSettings,
        reservation: str,
        settle: Settle[T],
        *,
        model: str | None = None,
        deadline: float | None = None,
    ) -> Flight[T]:
        """Stream `request` to `model` (default: the configured one), holding `reservation`.

        Use as `async with self._flight(...) as flight: async for text in flight: ...`;
        `settle(outcome, spend)` writes the request's rows and releases the reservation
        (with `_record`) in one transaction; its result is `flight.settled` after the block.
        """
        return Flight(self, request, mode, reservation, settle, model, deadline)

    def _record(
        self,
        spend: Spend,
        request_type: str,
        reservation: str,
        conversation_id: str | None,
        prompt_id: str | None = None,
    ) -> None:
        """Usage row (when tokens were spent) and release of the reservation; joins the caller's transaction."""
        if spend.prompt_tokens or spend.completion_tokens:
            self._quota.usage.record(
                request_type,
                prompt_tokens=spend.prompt_tokens,
                completion_tokens=spend.completion_tokens,
                cost=spend.cost,
                model=spend.model,
                conversation_id=conversation_id,
                prompt_id=prompt_id,
            )
        self._quota.release(reservation)

    def _usage_numbers(self, request: list[dict[str, str]], outcome: Streamed, model: str) -> tuple[int, int]:
        """The server's numbers when it sent them; else our own exact count.

        A request that failed before any output used nothing we can know of.
        """
        if outcome.usage is not None:
            return outcome.usage.prompt_tokens, outcome.usage.completion_tokens
        if not outcome.text and outcome.finish_reason is None:
            return 0, 0
        return tokens.count_chat(request, model), tokens.count(outcome.text, model).tokens

    def _exact_tokens(self, text: str, model: str) -> int:
        """A user message's size as the composer and `promptstudio tokens` give it; 0 when only
        an estimate is possible (the message header then shows the labelled estimate)."""
        counted = tokens.count(text, model)
        return counted.tokens if counted.exact else 0

    def version(self, prompt_id: str, number: int | None = None) -> PromptVersion:
        """Version `number` (None: the latest); a StudioError names the versions there are."""
        found = self._versions.number(prompt_id, number)
        if found is not None:
            return found
        latest = self._versions.number(prompt_id)
        if latest is None:
            raise StudioError(f"There is no prompt {prompt_id}.")
        have = "only 1" if latest.number == 1 else f"1–{latest.number}"
        raise StudioError(f"Prompt {prompt_id} has no version {number} (it has {have}).")

    def window(self, model: str | None = None) -> Window:
        """A model's context window (by default the configured model's) as known now, and where
        that comes from (no request is made). config.toml's context_window is the configured model's."""
        model = model or self.settings.model
        reported = self._reported_windows.get((self.settings.base_url, model))
        configured = self.settings.context_window if model == self.settings.model else None
        return context.resolve_window(model, configured=configured, endpoint=reported)

    async def _window(self, deadline: float | None = None, model: str | None = None) -> Window:
        """The window, asking the endpoint first (once per model) unless config.toml sets it;
        `deadline`: when the request it is for must be answered (asking takes at most half the time left)."""
        model = model or self.settings.model
        key = (self.settings.base_url, model)
        if not (self.settings.context_window and model == self.settings.model) and key not in self._reported_windows:
            self._require_key()  # OpenAI without a key: say so, rather than ask it anything
            self._reported_windows[key] = await self.client().context_window(model, deadline)
        return self.window(model)

    def category(self, name: str) -> str:
        """`name` as one of the categories, built-in or from config.toml, in any case."""
        for known in self.settings.categories:
            if known.casefold() == name.strip().casefold():
                return known
        raise StudioError(f"Unknown category {name!r}; choose one of: {', '.join(self.settings.categories)}.")

    def _require_key(self) -> None:
        if self.api_key().value is None and OPENAI_HOST in self.settings.base_url:
            raise StudioError(
                "No API key is set for OpenAI — open Settings with F2 or run `promptstudio key set` "
                "(or set OPENAI_API_KEY)."
            )

    def _reserve(self, request: list[dict[str, str]], max_tokens: int, model: str | None = None) -> str:
        """Hold quota for `request` to `model` (default: the configured one) and its longest reply."""
        self._require_key()
        needed = tokens.count_chat(request, model or self.settings.model) + max_tokens
        try:
            return self._quota.reserve(self.settings.plan, self.settings.limits, needed)
        except QuotaExceeded as exc:
            raise StudioError(str(exc)) from None

    async def _stream(
        self, request: list[dict[str, str]], mode: ModeSettings, outcome: Streamed, model: str, deadline: float | None
    ) -> AsyncGenerator[str, None]:
        """Yield text as it arrives from `model`, recording the ending in `outcome` (a Flight's part)."""
        events = self.client().stream_chat(
            request, model=model, temperature=mode.temperature, max_tokens=mode.max_tokens, deadline=deadline
        )
        bound = OVERRUN_FACTOR * mode.max_tokens
        # aclosing: the HTTP stream closes at once however this generator is left.
        async with contextlib.aclosing(events):
            try:
                async for event in events:
                    if isinstance(event, TextDelta):
                        outcome.append(event.text)
                        yield event.text
                        if outcome.longer_than(bound, lambda text: tokens.count(text, model).tokens):
                            outcome.error = _overrun(mode.max_tokens, bound)
                            return
                    elif isinstance(event, Usage):
                        outcome.usage = event
                    elif isinstance(event, Finished):
                        outcome.finish_reason = event.reason
            except LLMError as exc:
                outcome.error = exc


class Flight(Generic[T]):
    """One reserved request, from the first byte to its settled rows (see StudioBase._flight).

    Whatever ends the block — the end of the stream, an endpoint failure, the consumer
    closing the generator it is in (GeneratorExit), cancellation, or any exception — the
    outcome is settled once, here: cancelled or stopped as interrupted, an unexpected
    exception as an error, the text that arrived kept, usage counted and the reservation
    released; if settling itself fails, the reservation is still released.
    """

    def __init__(
        self,
        studio: StudioBase,
        request: list[dict[str, str]],
        mode: ModeSettings,
        reservation: str,
        settle: Settle[T],
        model: str | None,
        deadline: float | None,
    ) -> None:
        self.outcome = Streamed()
        self._studio = studio
        self._request = request
        self._reservation = reservation
        self._settle = settle
        self._model = model or studio.settings.model
        self._texts = studio._stream(request, mode, self.outcome, self._model, deadline)
        self._settled: list[T] = []

    @property
    def settled(self) -> T:
        """What `settle` returned (only after the block)."""
        return self._settled[0]

    def __aiter__(self) -> AsyncGenerator[str, None]:
        return self._texts

    async def __aenter__(self) -> Flight[T]:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        outcome = self.outcome
        if isinstance(exc, (asyncio.CancelledError, GeneratorExit, KeyboardInterrupt)):
            outcome.cancelled = True
        elif exc is not None and outcome.error is None:
            outcome.error = LLMError(
                "unexpected",
                f"The request stopped on an unexpected error ({type(exc).__name__}) — the partial text is kept; try again.",
            )
        studio = self._studio
        try:
            # Settled before the HTTP stream is closed: closing awaits, and may be cancelled.
            spend = studio._spend(self._request, outcome, self._model)
            self._settled.append(self._settle(outcome, spend))
        except BaseException:
            with contextlib.suppress(Exception), studio._store.write():  # the store itself may be what failed
                studio._quota.release(self._reservation)
            raise
        finally:
            await self._texts.aclose()


def _overrun(max_tokens: int, bound: int) -> LLMError:
    return LLMError(
        "overrun",
        f"The endpoint ignored the max_tokens limit of {max_tokens:,}: reading stopped at {bound:,} tokens "
        "and the text so far is kept — check the model's settings on the server.",
    )
