"""What every request of the Studio shares: the store's repositories, the settings, the
client, and the order of a request — require a key, reserve quota, stream, count what it
cost, record usage and release the reservation.

The Studio's parts (chat in studio.py, prompts in prompt_flow.py) build on this class.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator
from pathlib import Path

from promptstudio_tui import context, credentials, pricing, tokens
from promptstudio_tui.config import Settings
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

    def window(self) -> Window:
        """The model's context window as known now, and where that comes from (no request is made)."""
        reported = self._reported_windows.get((self.settings.base_url, self.settings.model))
        return context.resolve_window(self.settings.model, configured=self.settings.context_window, endpoint=reported)

    async def _window(self) -> Window:
        """The window, asking the endpoint first (once per model) unless config.toml sets it."""
        key = (self.settings.base_url, self.settings.model)
        if not self.settings.context_window and key not in self._reported_windows:
            self._require_key()  # OpenAI without a key: say so, rather than ask it anything
            self._reported_windows[key] = await self.client().context_window(self.settings.model)
        return self.window()

    def _require_key(self) -> None:
        if self.api_key().value is None and OPENAI_HOST in self.settings.base_url:
            raise StudioError(
                "No API key is set for OpenAI — open Settings with F2 or run `promptstudio key set` "
                "(or set OPENAI_API_KEY)."
            )

    def _reserve(self, request: list[dict[str, str]], max_tokens: int) -> str:
        self._require_key()
        needed = tokens.count_chat(request, self.settings.model) + max_tokens
        try:
            return self._quota.reserve(self.settings.plan, self.settings.limits, needed)
        except QuotaExceeded as exc:
            raise StudioError(str(exc)) from None

    async def _stream(
        self,
        request: list[dict[str, str]],
        temperature: float,
        max_tokens: int,
        outcome: Streamed,
        model: str | None = None,
    ) -> AsyncGenerator[str, None]:
        """Yield text as it arrives from `model` (default: the configured one), recording the ending in `outcome`."""
        events = self.client().stream_chat(
            request, model=model or self.settings.model, temperature=temperature, max_tokens=max_tokens
        )
        try:
            # aclosing: the HTTP stream closes at once however this generator is left.
            async with contextlib.aclosing(events):
                async for event in events:
                    if isinstance(event, TextDelta):
                        outcome.append(event.text)
                        yield event.text
                    elif isinstance(event, Usage):
                        outcome.usage = event
                    elif isinstance(event, Finished):
                        outcome.finish_reason = event.reason
        except LLMError as exc:
            outcome.error = exc
        except (asyncio.CancelledError, GeneratorExit):
            outcome.cancelled = True
            raise
