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
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from promptstudio_tui import catalog, context, credentials, exports, generation, pricing, tokens
from promptstudio_tui.actions import fill
from promptstudio_tui.config import Settings, load_settings, save_top_level
from promptstudio_tui.context import Window
from promptstudio_tui.events import (
    Omitted,
    PromptDelta,
    PromptReady,
    ReplyDelta,
    ReplyDone,
    ReplyStarted,
    StudioError,
    StudioEvent,
    UsageReport,
    UserMessageSaved,
    VersionDiff,
)
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
from promptstudio_tui.store.records import Conversation, Message, Prompt, PromptVersion
from promptstudio_tui.store.versions import PromptVersions
from promptstudio_tui.streamed import Spend, Streamed
from promptstudio_tui.tokens import TokenCount
from promptstudio_tui.workshop import frontmatter
from promptstudio_tui.workshop.diff import word_diff

Tab = Literal["all", "starred", "archived"]
Sort = Literal["recent", "title", "starred"]

TITLE_CHARS = 60
FLUSH_SECONDS = 0.5  # how often a streaming reply is written through (crash safety)
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


class Studio:
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
        rows = self._messages.context_rows(conversation_id)
        fitted = context.fit_chat(
            engineer,
            [turn for _, turn in rows],
            model=settings.model,
            window=await self._window(),
            reply_tokens=mode.max_tokens,
        )
        request, cut = fitted.messages, fitted.omitted
        omitted = None if cut is None else Omitted(cut.count, rows[cut.start][0], rows[cut.end - 1][0])
        with self._store.write():  # the reservation and the reply's row commit (or roll back) together
            reservation = self._reserve(request, mode.max_tokens)
            reply = self._messages.start_reply(conversation_id, settings.model)
        yield ReplyStarted(reply, omitted)
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
        """The conversation's prompt as its next version, saved as soon as it is complete.

        No prompt yet: v1 from the whole conversation. A prompt brought in by import that
        no model has revised yet: an improvement of it, in the light of any talk since.
        Otherwise: the smallest change to the latest version that satisfies the turns
        said since that version was made (only those turns are sent). Nothing is ever
        left out of a request: one that cannot fit the window is refused with a sentence.
        """
        conversation = self._conversations.get(conversation_id)
        prompt = self.prompt_of(conversation_id)
        rows = self._messages.context_rows(conversation_id)
        category = conversation.category
        newest: str | None  # the newest turn the new version takes in
        if prompt is None:
            turns = [turn for _, turn in rows]
            if not any(t["role"] == "user" for t in turns) or not any(t["role"] == "assistant" for t in turns):
                raise StudioError(
                    fill(
                        "Have at least one exchange with the assistant first, then press {studio.generate_prompt}.",
                        self.settings.keymap,
                    )
                )
            request, report = generation.generator_request(turns, category=category, **await self._generation_fit())
            source, newest = "generated", rows[-1][0]
        else:
            latest = self.version(prompt.id)
            after = _through(latest)
            new = [(message_id, turn) for message_id, turn in rows if after is None or message_id > after]
            turns = [turn for _, turn in new]
            if self._awaiting_improvement(prompt.id):
                request, report = generation.improve_request(
                    latest.content, turns, category=category, **await self._generation_fit()
                )
                source = "generated"
            elif not any(t["role"] == "user" for t in turns):
                raise StudioError(
                    f"Nothing was said since v{latest.number} was made: "
                    + fill(
                        "tell the assistant what should change, then press {studio.generate_prompt} again.",
                        self.settings.keymap,
                    )
                )
            else:
                request, report = generation.refine_request(
                    latest.content,
                    turns,
                    category=category,
                    first_turn_number=len(rows) - len(new) + 1,  # numbered as in the chat
                    **await self._generation_fit(),
                )
                source = "refined"
            newest = new[-1][0] if new else after
        self._refuse_unless_fits(report)
        async for event in self._make_version(conversation, prompt, request, source, {"through_message_id": newest}):
            yield event

    async def refine(self, prompt_id: str, instruction: str) -> AsyncGenerator[StudioEvent, None]:
        """The prompt's next version, changed as `instruction` says ("make it shorter")."""
        instruction = instruction.strip()
        if not instruction:
            raise StudioError("Say what should change, e.g. “make it shorter”.")
        prompt = self.prompt(prompt_id)
        latest = self.version(prompt_id)
        request, report = generation.refine_request(
            latest.content, [], instruction=instruction, category=prompt.category, **await self._generation_fit()
        )
        self._refuse_unless_fits(report)
        # Turns said since the latest version are still to be taken in by the next generate.
        metadata = {"instruction": instruction, "through_message_id": _through(latest)}
        async for event in self._make_version(None, prompt, request, "refined", metadata):
            yield event

    async def _generation_fit(self) -> dict[str, Any]:
        """What every generation request is shaped by: target, window, model, room for the answer."""
        return {
            "target": self.settings.generate_target,
            "window": await self._window(),
            "model": self.settings.model,
            "reply_tokens": self.settings.generate.max_tokens,
        }

    def _refuse_unless_fits(self, report: generation.FitReport) -> None:
        refusal = report.refusal(self.settings.model)
        if refusal is not None:
            raise StudioError(refusal)

    def _awaiting_improvement(self, prompt_id: str) -> bool:
        """Imported, and no model has written a version of it yet."""
        versions = self._versions.for_prompt(prompt_id)
        return versions[0].source == "imported" and not any(v.source in ("generated", "refined") for v in versions)

    async def _make_version(
        self,
        conversation: Conversation | None,
        prompt: Prompt | None,
        request: list[dict[str, str]],
        source: str,
        metadata: dict[str, Any],
    ) -> AsyncGenerator[StudioEvent, None]:
        """Stream one generation; a new prompt (when `prompt` is None) or its next version."""
        mode = self.settings.generate
        reservation = self._reserve(request, mode.max_tokens)
        outcome = Streamed()
        plan = generation.PlanFilter()  # the model plans first; only what follows is shown and kept
        try:
            async for text in self._stream(request, mode.temperature, mode.max_tokens, outcome):
                visible = plan.feed(text)
                if visible or plan.planning:
                    yield PromptDelta(visible, outcome.rough_tokens, plan.planning)
            rest = plan.finish()
            if rest:
                yield PromptDelta(rest, outcome.rough_tokens)
        finally:
            made = self._settle_version(conversation, prompt, request, outcome, reservation, source, metadata)
        if made is None:
            if outcome.error:
                detail = outcome.error.message
            elif outcome.whole and not generation.strip_plan(outcome.text).strip():
                detail = (
                    "the answer held only the model's planning (it may have run out of tokens);"
                    " try again, or raise max_tokens under [generate] in config.toml."
                )
            elif outcome.whole:
                detail = "the prompt was deleted while it was being revised."
            else:
                detail = "The endpoint stopped before the prompt was complete."
            raise StudioError(f"No prompt was generated: {detail}" if prompt is None else f"No new version: {detail}")
        yield PromptReady(*made)

    def _settle_version(
        self,
        conversation: Conversation | None,
        prompt: Prompt | None,
        request: list[dict[str, str]],
        outcome: Streamed,
        reservation: str,
        source: str,
        metadata: dict[str, Any],
    ) -> tuple[Prompt, PromptVersion] | None:
        """Keep the text only when it arrived whole; usage is recorded either way."""
        spend = self._spend(request, outcome)
        text = generation.strip_plan(outcome.text).strip()
        conversation_id = conversation.id if conversation else prompt.conversation_id if prompt else None
        made: tuple[Prompt, PromptVersion] | None = None
        with self._store.write():
            if outcome.whole and text:
                counted = tokens.count(text, spend.model).tokens
                metadata = {**metadata, "finish_reason": outcome.finish_reason}
                if prompt is None and conversation is not None:
                    created = self._prompts.add(
                        title=conversation.title,
                        content=text,
                        conversation_id=conversation.id,
                        category=conversation.category,
                        model=spend.model,
                        tokens_used=counted,
                        cost=spend.cost,
                        source=source,
                        metadata=metadata,
                    )
                    made = created, self.version(created.id)
                elif prompt is not None and self._prompts.exists(prompt.id):  # not deleted meanwhile
                    version = self._versions.add(
                        prompt.id,
                        content=text,
                        source=source,
                        model=spend.model,
                        tokens=counted,
                        cost=spend.cost,
                        metadata=metadata,
                    )
                    made = self._prompts.get(prompt.id), version
            self._record(spend, "prompt_optimization", reservation, conversation_id, made[0].id if made else None)
        return made

    # -- prompts --------------------------------------------------------------

    def prompts_for(self, conversation_id: str | None, limit: int = 200) -> list[Prompt]:
        """Newest first; `None` lists the prompts of every conversation."""
        return self._prompts.list(conversation_id=conversation_id, limit=limit)

    def prompt_of(self, conversation_id: str) -> Prompt | None:
        """The conversation's prompt: its newest (stores from before versions may hold several)."""
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

    # -- versions -------------------------------------------------------------

    def versions(self, prompt_id: str) -> list[PromptVersion]:
        """Oldest first."""
        return self._versions.for_prompt(prompt_id)

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

    def diff(self, prompt_id: str, a: int | None = None, b: int | None = None) -> VersionDiff:
        """Version `a` against version `b` (default: the latest); `a` defaults to the one before `b`."""
        new = self.version(prompt_id, b)
        if self.version(prompt_id).number == 1:
            raise StudioError(f"Prompt {prompt_id} has only one version: there is nothing to compare yet.")
        old = self.version(prompt_id, new.number - 1 if a is None else a)
        return VersionDiff(old, new, word_diff(old.content, new.content))

    def restore(self, prompt_id: str, number: int) -> PromptVersion:
        """Version `number`'s text as a new latest version: history is never rewritten."""
        old = self.version(prompt_id, number)
        latest = self.version(prompt_id)
        if old.content == latest.content:
            raise StudioError(
                f"v{number} has the same text as the latest version, v{latest.number}: nothing to restore."
            )
        metadata = {"restored_from": number, "through_message_id": _through(latest)}
        return self._versions.add(
            prompt_id, content=old.content, source="restored", model=old.model, tokens=old.tokens, metadata=metadata
        )

    def edit_prompt(self, prompt_id: str, text: str) -> PromptVersion | None:
        """The user's own text as the next version; None (no version) when it is the latest text unchanged."""
        text = text.strip()
        if not text:
            raise StudioError("An empty prompt cannot be saved; the latest version is unchanged.")
        latest = self.version(prompt_id)
        if text == latest.content:
            return None
        counted = tokens.count(text, self.settings.model).tokens
        metadata = {"through_message_id": _through(latest)}
        return self._versions.add(prompt_id, content=text, source="edited", tokens=counted, metadata=metadata)

    def import_prompt(self, text: str, *, title: str | None = None) -> Prompt:
        """A prompt the user already has, as v1 ("imported") of a new prompt, with a new
        conversation seeded with it: talking it over, then generating, improves it.

        Markdown front matter gives the title and tags; else `title`, else the first line.
        """
        try:
            parsed = frontmatter.parse(text)
        except frontmatter.FrontMatterError as exc:
            raise StudioError(str(exc)) from None
        body = parsed.body.strip()
        if not body:
            raise StudioError("There is no prompt text to import.")
        model, window, room = self.settings.model, self.window(), self.settings.generate.max_tokens
        counted = tokens.count(body, model).tokens
        _, report = generation.improve_request(
            body,
            [],
            category="General",
            target=self.settings.generate_target,
            window=window,
            model=model,
            reply_tokens=room,
        )
        if not report.fits:
            raise StudioError(
                f"The prompt is {counted:,} tokens: with the instructions and {room:,} tokens kept for an improved "
                f"version it does not fit {model}'s window of {window.describe()}; shorten it or choose a model "
                "with a larger window."
            )
        name = one_line(parsed.title or title or body.splitlines()[0].lstrip("# "), TITLE_CHARS) or "Imported prompt"
        tags = sorted({one_line(t, 40) for t in parsed.tags if t.strip()})
        with self._store.write():
            conversation = self._conversations.create(title=name)
            seed = self._messages.add(conversation.id, "user", IMPORT_SEED.format(prompt=body))
            self._conversations.note_message(conversation.id, seed.content, unread=False)
            return self._prompts.add(
                title=name,
                content=body,
                conversation_id=conversation.id,
                tags=tags,
                tokens_used=counted,
                source="imported",
                metadata={"through_message_id": seed.id},
            )

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


# The first turn of a conversation made by import: the engineer sees the prompt and asks what it lacks.
IMPORT_SEED = """\
Here is a prompt I already have. Help me find what it lacks, so that it can be improved.

<prompt>
{prompt}
</prompt>"""


def _through(version: PromptVersion) -> str | None:
    """The newest conversation turn this version has taken in (None: none)."""
    return version.metadata.get("through_message_id")
