"""The application service: the one place that knows the order of things.

Persist the user message, check and reserve quota, build the context, stream,
persist the reply with its final state, record usage. The TUI and the headless
CLI both drive this class; neither talks to SQLite or the OpenAI SDK directly.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncGenerator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from promptstudio_tui import catalog, context, credentials, exports, pricing, tokens
from promptstudio_tui.actions import fill
from promptstudio_tui.config import Settings, load_settings, save_top_level
from promptstudio_tui.llm import Finished, LLMClient, LLMError, TextDelta, Usage
from promptstudio_tui.paths import Paths
from promptstudio_tui.quota import Quota, QuotaExceeded, QuotaStatus
from promptstudio_tui.sanitize import one_line
from promptstudio_tui.store import Store, open_store
from promptstudio_tui.store.conversations import Conversations
from promptstudio_tui.store.messages import Messages
from promptstudio_tui.store.plans import Plans
from promptstudio_tui.store.preferences import Preferences
from promptstudio_tui.store.prompts import Prompts
from promptstudio_tui.store.records import BreakdownRow, Conversation, DayUsage, Message, Prompt
from promptstudio_tui.streamed import Spend, Streamed
from promptstudio_tui.tokens import TokenCount

Tab = Literal["all", "starred", "archived"]
Sort = Literal["recent", "title", "starred"]

TITLE_CHARS = 60
FLUSH_SECONDS = 0.5  # how often a streaming reply is written through (crash safety)
OPENAI_HOST = "api.openai.com"


class StudioError(Exception):
    """A refusal or failure to show the user as one sentence with the next step."""


# -- events streamed to the TUI and the CLI --------------------------------------


@dataclass(frozen=True)
class UserMessageSaved:
    message: Message


@dataclass(frozen=True)
class ReplyStarted:
    message: Message  # the empty assistant row, state "streaming"


@dataclass(frozen=True)
class ReplyDelta:
    message_id: str
    text: str
    completion_tokens: int  # running estimate, for a live tokens/s


@dataclass(frozen=True)
class ReplyDone:
    message: Message  # final state: complete, interrupted or error


@dataclass(frozen=True)
class PromptDelta:
    text: str
    completion_tokens: int


@dataclass(frozen=True)
class PromptReady:
    prompt: Prompt


StudioEvent = UserMessageSaved | ReplyStarted | ReplyDelta | ReplyDone | PromptDelta | PromptReady


@dataclass(frozen=True)
class UsageReport:
    quota: QuotaStatus
    days: list[DayUsage]
    by_type: list[BreakdownRow]
    by_model: list[BreakdownRow]


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


class Studio:
    def __init__(self, paths: Paths, settings: Settings, store: Store):
        self.paths = paths
        self.settings = settings
        self._store = store
        self._conversations = Conversations(store)
        self._messages = Messages(store)
        self._prompts = Prompts(store)
        self._preferences = Preferences(store)
        self._quota = Quota(store)
        self.keys = ApiKeys(paths.config_dir)
        self._open_id: str | None = None  # the conversation on screen: replies elsewhere count as unread
        self.notices: list[str] = []
        self._client: LLMClient | None = None
        self._client_key: tuple[str, str | None, float] | None = None

    @classmethod
    def open(cls, overrides: dict[str, str | None] | None = None, paths: Paths | None = None) -> Studio:
        paths = paths or Paths.discover()
        tightened = paths.ensure_private()
        settings = load_settings(paths.config_file, overrides)
        studio = cls(paths, settings, open_store(paths.database))
        studio.notices += [f"Permissions tightened: {line}" for line in tightened]
        recovered = studio._messages.recover_orphans()
        if recovered:
            replies = "1 reply" if recovered == 1 else f"{recovered} replies"
            studio.notices.append(f"{replies} cut off when Prompt Studio last stopped: kept and marked interrupted.")
        Plans(studio._store).sync(settings.plan, settings.limits)
        return studio

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None
        self.close()

    def close(self) -> None:
        """Close the store (for callers that made no request, or after `aclose`); closing twice is harmless."""
        self._store.close()

    # -- settings and credentials --------------------------------------------

    def api_key(self) -> credentials.ApiKey:
        return self.keys.current()

    def count_tokens(self, text: str, model: str | None = None) -> TokenCount:
        return count_tokens(text, model or self.settings.model)

    def preference(self, key: str, default: Any = None) -> Any:
        return self._preferences.get(key, default)

    def set_preference(self, key: str, value: Any) -> None:
        self._preferences.set(key, value)

    def update_settings(self, **values: Any) -> Settings:
        """Apply at once and persist the top-level keys to config.toml."""
        previous = self.settings.chat
        self.settings = self.settings.with_values(**values)
        persisted = {k: v for k, v in values.items() if isinstance(v, (str, int, float))}
        if "chat" in values:  # config.toml keeps the chat mode as top-level temperature/max_tokens
            persisted |= {k: v for k, v in vars(values["chat"]).items() if getattr(previous, k) != v}
        save_top_level(self.paths.config_file, persisted)
        Plans(self._store).sync(self.settings.plan, self.settings.limits)
        return self.settings

    def client(self) -> LLMClient:
        key = self.api_key().value
        wanted = (self.settings.base_url, key, self.settings.timeout)
        if self._client is None or self._client_key != wanted:
            self._client = LLMClient(self.settings.base_url, key, timeout=self.settings.timeout)
            self._client_key = wanted
        return self._client

    def warm_up(self) -> None:
        """Load the tokenizer and the OpenAI SDK ahead of the first request.

        Together they cost over a second on first use, which would freeze a UI's first
        send; a UI calls this from a background thread while a message is being typed.
        """
        tokens.count("", self.settings.model)
        import openai  # noqa: F401 - llm.py imports it lazily to keep start-up fast

    async def list_models(self, base_url: str | None = None) -> list[str]:
        """The endpoint's model ids; `base_url` asks an endpoint the user is choosing in Settings."""
        if base_url is None or base_url == self.settings.base_url:
            return await self.client().list_models()
        client = LLMClient(base_url, self.api_key().value, timeout=self.settings.timeout)
        try:
            return await client.list_models()
        finally:
            await client.aclose()

    # -- conversations ------------------------------------------------------

    def new_conversation(self, category: str = "General", title: str = "New conversation") -> Conversation:
        return self._conversations.create(title=title, category=category)

    def conversation(self, conversation_id: str) -> Conversation:
        return self._conversations.get(conversation_id)

    def find_conversation(self, id_or_prefix: str) -> Conversation:
        """By id or unique id prefix; a StudioError names the way to list them."""
        try:
            return self._conversations.find(id_or_prefix)
        except KeyError:
            raise StudioError(
                f"No single conversation matches {id_or_prefix!r}; list them with `promptstudio conversations`."
            ) from None

    def conversation_page(
        self, tab: Tab, sort: Sort, search: str, offset: int, limit: int
    ) -> tuple[list[Conversation], int | None]:
        """One page of the list, and the total when it is the first page (safe from a worker thread)."""
        rows = self._conversations.page(tab, sort, search, offset, limit)
        return rows, self._conversations.count(tab, search) if offset == 0 else None

    def open_conversation(self, conversation_id: str) -> Conversation:
        """The user looks at this conversation now: it is read, and replies elsewhere count as unread."""
        self._open_id = conversation_id
        conversation = self._conversations.get(conversation_id)
        if conversation.unread_count:
            self._conversations.mark_read(conversation_id)
            conversation = self._conversations.get(conversation_id)
        return conversation

    def close_conversation(self) -> None:
        self._open_id = None

    def rename_conversation(self, conversation_id: str, title: str) -> Conversation:
        title = one_line(title, 200)
        if not title:
            raise StudioError("A conversation needs a title.")
        return self._conversations.update(conversation_id, title=title)

    def categorize_conversation(self, conversation_id: str, category: str) -> Conversation:
        if category not in catalog.CATEGORIES:
            raise StudioError(f"Unknown category {category!r}; choose one of: {', '.join(catalog.CATEGORIES)}.")
        return self._conversations.update(conversation_id, category=category)

    def star_conversation(self, conversation_id: str, starred: bool) -> Conversation:
        return self._conversations.update(conversation_id, is_starred=starred)

    def archive_conversation(self, conversation_id: str, archived: bool) -> Conversation:
        return self._conversations.update(conversation_id, status="archived" if archived else "active")

    def delete_conversation(self, conversation_id: str) -> None:
        """The conversation and its messages; prompts generated from it are kept."""
        self._conversations.delete(conversation_id)
        if self._open_id == conversation_id:
            self._open_id = None

    def message(self, message_id: str) -> Message:
        return self._messages.get(message_id)

    def history(self, conversation_id: str, limit: int | None = None, before: str | None = None) -> list[Message]:
        return self._messages.for_conversation(conversation_id, limit=limit, before=before)

    # -- chat -----------------------------------------------------------------

    async def send(self, conversation_id: str, text: str) -> AsyncGenerator[StudioEvent, None]:
        if not text.strip():
            raise StudioError("Type a message first.")
        conversation = self._conversations.get(conversation_id)
        with self._store.write():  # one commit for the message and the list row it updates
            message = self._messages.add(conversation_id, "user", text)
            if conversation.title == "New conversation" and self._messages.count(conversation_id) == 1:
                self._conversations.update(conversation_id, title=one_line(text, TITLE_CHARS) or "Untitled")
            self._conversations.note_message(conversation_id, text, unread=False)
        yield UserMessageSaved(message)
        async for event in self._reply(conversation_id):
            yield event

    async def retry(self, conversation_id: str) -> AsyncGenerator[StudioEvent, None]:
        """Answer the conversation as it stands; a failed reply stays where it was."""
        turns = self._messages.for_conversation(conversation_id, limit=1)
        if not turns:
            raise StudioError("There is nothing to retry in this conversation yet.")
        async for event in self._reply(conversation_id):
            yield event

    async def _reply(self, conversation_id: str) -> AsyncGenerator[StudioEvent, None]:
        settings = self.settings
        mode = settings.chat
        engineer = fill(catalog.PROMPT_ENGINEER, self.settings.keymap)  # its advice names the user's key
        request = self._fit(engineer, self._messages.context_turns(conversation_id), mode.max_tokens)
        with self._store.write():  # the reservation and the reply's row commit (or roll back) together
            reservation = self._reserve(request, mode.max_tokens)
            reply = self._messages.start_reply(conversation_id, settings.model)
        yield ReplyStarted(reply)
        outcome = Streamed()
        last_flush = time.monotonic()
        try:
            async for text in self._stream(request, mode.temperature, mode.max_tokens, outcome):
                yield ReplyDelta(reply.id, text, outcome.rough_tokens)
                if time.monotonic() - last_flush >= FLUSH_SECONDS:
                    self._messages.save_partial(reply.id, outcome.text)
                    last_flush = time.monotonic()
        finally:
            final = self._settle_reply(conversation_id, reply.id, request, outcome, reservation)
        yield ReplyDone(final)

    def _settle_reply(
        self, conversation_id: str, reply_id: str, request: list[dict[str, str]], outcome: Streamed, reservation: str
    ) -> Message:
        """Final state, usage and quota in one transaction, whatever way the stream ended."""
        if outcome.error is not None and outcome.error.kind != "cut_off":
            state, error = "error", outcome.error.message
        elif outcome.error is not None:
            state, error = "interrupted", outcome.error.message
        elif outcome.cancelled or outcome.finish_reason is None:
            # Cancelled by the user, or the consumer stopped reading: keep what arrived.
            state, error = "interrupted", "Stopped before the reply finished."
        else:
            state, error = "complete", None
            if outcome.finish_reason == "length":
                error = "The reply reached the max_tokens limit and was cut short."
        spend = self._spend(request, outcome)
        with self._store.write():
            self._messages.finish(
                reply_id,
                content=outcome.text,
                state=state,
                error=error,
                prompt_tokens=spend.prompt_tokens,
                completion_tokens=spend.completion_tokens,
                cost=spend.cost,
            )
            self._record(spend, "conversation", reservation, conversation_id)
            if outcome.text:
                self._conversations.note_message(
                    conversation_id, outcome.text, unread=self._open_id not in (None, conversation_id)
                )
        return self._messages.get(reply_id)

    def _spend(self, request: list[dict[str, str]], outcome: Streamed) -> Spend:
        prompt_tokens, completion_tokens = self._usage_numbers(request, outcome)
        cost = pricing.cost_micros(self.settings.model, prompt_tokens, completion_tokens, self.settings.prices)
        return Spend(self.settings.model, prompt_tokens, completion_tokens, cost)

    def _record(
        self, spend: Spend, request_type: str, reservation: str, conversation_id: str, prompt_id: str | None = None
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

    def _usage_numbers(self, request: list[dict[str, str]], outcome: Streamed) -> tuple[int, int]:
        """The server's numbers when it sent them; else our own exact count.

        A request that failed before any output used nothing we can know of.
        """
        if outcome.usage is not None:
            return outcome.usage.prompt_tokens, outcome.usage.completion_tokens
        if not outcome.text and outcome.finish_reason is None:
            return 0, 0
        model = self.settings.model
        return tokens.count_chat(request, model), tokens.count(outcome.text, model).tokens

    def _fit(self, system_prompt: str, turns: list[dict[str, str]], max_tokens: int) -> list[dict[str, str]]:
        window = context.context_window(self.settings.model, self.settings.context_window)
        return context.fit(system_prompt, turns, model=self.settings.model, budget=max(window - max_tokens, 1))

    def _reserve(self, request: list[dict[str, str]], max_tokens: int) -> str:
        if self.api_key().value is None and OPENAI_HOST in self.settings.base_url:
            raise StudioError(
                "No API key is set for OpenAI — open Settings with F2 or run `promptstudio key set` "
                "(or set OPENAI_API_KEY)."
            )
        needed = tokens.count_chat(request, self.settings.model) + max_tokens
        try:
            return self._quota.reserve(self.settings.plan, self.settings.limits, needed)
        except QuotaExceeded as exc:
            raise StudioError(str(exc)) from None

    async def _stream(
        self, request: list[dict[str, str]], temperature: float, max_tokens: int, outcome: Streamed
    ) -> AsyncGenerator[str, None]:
        """Yield text as it arrives, recording everything about the ending in `outcome`."""
        events = self.client().stream_chat(
            request, model=self.settings.model, temperature=temperature, max_tokens=max_tokens
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

    # -- prompt generation ----------------------------------------------------

    async def generate(self, conversation_id: str) -> AsyncGenerator[StudioEvent, None]:
        """Turn the whole conversation into a prompt; saved as soon as it is complete."""
        conversation = self._conversations.get(conversation_id)
        turns = self._messages.context_turns(conversation_id)
        if not any(t["role"] == "user" for t in turns) or not any(t["role"] == "assistant" for t in turns):
            raise StudioError(
                fill(
                    "Have at least one exchange with the assistant first, then press {studio.generate_prompt}.",
                    self.settings.keymap,
                )
            )
        mode = self.settings.generate
        request = self._generator_request(conversation, turns, mode.max_tokens)
        reservation = self._reserve(request, mode.max_tokens)
        outcome = Streamed()
        try:
            async for text in self._stream(request, mode.temperature, mode.max_tokens, outcome):
                yield PromptDelta(text, outcome.rough_tokens)
        finally:
            prompt = self._settle_prompt(conversation, request, outcome, reservation)
        if prompt is None:
            detail = outcome.error.message if outcome.error else "The endpoint stopped before the prompt was complete."
            raise StudioError(f"No prompt was generated: {detail}")
        yield PromptReady(prompt)

    def _generator_request(
        self, conversation: Conversation, turns: list[dict[str, str]], max_tokens: int
    ) -> list[dict[str, str]]:
        """The transcript as one user message, dropping the oldest turns if it cannot fit."""
        # The extra 200 leave room for the request's framing around the transcript.
        kept = self._fit(catalog.PROMPT_GENERATOR, turns, max_tokens + 200)[1:]
        transcript = "\n\n".join(f"{t['role'].upper()}: {t['content']}" for t in kept)
        body = catalog.GENERATOR_REQUEST.format(category=conversation.category, transcript=transcript)
        return [{"role": "system", "content": catalog.PROMPT_GENERATOR}, {"role": "user", "content": body}]

    def _settle_prompt(
        self, conversation: Conversation, request: list[dict[str, str]], outcome: Streamed, reservation: str
    ) -> Prompt | None:
        """Keep the prompt only when it arrived whole; usage is recorded either way."""
        spend = self._spend(request, outcome)
        text = outcome.text.strip()
        with self._store.write():
            prompt = None
            if outcome.whole and text:
                prompt = self._prompts.add(
                    title=conversation.title,
                    content=text,
                    conversation_id=conversation.id,
                    category=conversation.category,
                    model=spend.model,
                    tokens_used=tokens.count(text, spend.model).tokens,
                    cost=spend.cost,
                    metadata={"finish_reason": outcome.finish_reason},
                )
            self._record(spend, "prompt_optimization", reservation, conversation.id, prompt.id if prompt else None)
        return prompt

    # -- prompts --------------------------------------------------------------

    def prompts_for(self, conversation_id: str | None, limit: int = 200) -> list[Prompt]:
        """Newest first; `None` lists the prompts of every conversation."""
        return self._prompts.list(conversation_id=conversation_id, limit=limit)

    def latest_prompt(self, conversation_id: str) -> Prompt | None:
        newest = self._prompts.list(conversation_id=conversation_id, limit=1)
        return newest[0] if newest else None

    def prompt(self, prompt_id: str) -> Prompt:
        return self._prompts.get(prompt_id)

    def find_prompt(self, id_or_prefix: str) -> Prompt:
        try:
            return self._prompts.find(id_or_prefix)
        except KeyError:
            raise StudioError(
                f"No single prompt matches {id_or_prefix!r}; list them with `promptstudio prompts list`."
            ) from None

    def favourite_prompt(self, prompt_id: str, favourite: bool) -> Prompt:
        return self._prompts.update(prompt_id, is_favorite=favourite)

    def delete_prompt(self, prompt_id: str) -> None:
        self._prompts.delete(prompt_id)

    def save_prompt(self, prompt_id: str, *, title: str, category: str, tags: list[str]) -> Prompt:
        """The user's edit of a generated prompt; tracked, never counted against limits."""
        title = one_line(title, 200)
        if not title:
            raise StudioError("A prompt needs a title.")
        if category not in catalog.CATEGORIES:
            raise StudioError(f"Unknown category {category!r}; choose one of: {', '.join(catalog.CATEGORIES)}.")
        clean_tags = sorted({one_line(t, 40) for t in tags if t.strip()})
        with self._store.write():
            prompt = self._prompts.update(prompt_id, title=title, category=category, tags=clean_tags)
            self._quota.usage.record("prompt_save", prompt_id=prompt_id, conversation_id=prompt.conversation_id)
        return prompt

    def export_prompt(self, prompt: Prompt, fmt: str) -> str:
        try:
            return exports.prompt_text(prompt, fmt)
        except ValueError as exc:
            raise StudioError(str(exc)) from None

    def write_export(self, prompt: Prompt, fmt: str, path: Path) -> Path:
        text = self.export_prompt(prompt, fmt)
        target = path.expanduser()
        try:
            exports.write_atomically(target, text)
        except OSError as exc:
            raise StudioError(f"Could not write {target}: {exc.strerror or exc}.") from None
        return target

    # -- usage ----------------------------------------------------------------

    def quota_status(self, now: datetime | None = None) -> QuotaStatus:
        """`now` picks the month (a UI with a frozen clock shows a stable window)."""
        return self._quota.status(self.settings.plan, self.settings.limits, now)

    def usage_report(self) -> UsageReport:
        status = self.quota_status()
        window = status.window
        usage = self._quota.usage
        return UsageReport(
            quota=status,
            days=usage.days(window.first_day, window.last_day),
            by_type=usage.breakdown(window.start_utc, window.end_utc, "type"),
            by_model=usage.breakdown(window.start_utc, window.end_utc, "model"),
        )
