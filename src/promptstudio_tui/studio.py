"""The application service: the one place that knows the order of things.

Persist the user message, check and reserve quota, build the context, stream,
persist the reply with its final state, record usage. The TUI and the headless
CLI both drive this class; neither talks to SQLite or the OpenAI SDK directly.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncGenerator
from datetime import datetime
from typing import Any, Literal

from promptstudio_tui import catalog, context, tokens
from promptstudio_tui.actions import fill
from promptstudio_tui.config import Settings, load_settings, save_top_level
from promptstudio_tui.conversation_files import ConversationFiles
from promptstudio_tui.events import (
    Omitted,
    ReplyDelta,
    ReplyDone,
    ReplyStarted,
    StudioError,
    StudioEvent,
    UsageReport,
    UserMessageSaved,
)
from promptstudio_tui.first_run import FirstRun
from promptstudio_tui.library import Library
from promptstudio_tui.llm import LLMClient
from promptstudio_tui.message_branches import MessageBranches
from promptstudio_tui.paths import Paths
from promptstudio_tui.prompt_files import PromptFiles
from promptstudio_tui.prompt_flow import PromptFlow
from promptstudio_tui.prompt_tests import PromptTests
from promptstudio_tui.quota import QuotaStatus
from promptstudio_tui.resume import Resume
from promptstudio_tui.sanitize import one_line
from promptstudio_tui.store import open_store
from promptstudio_tui.store.messages import HEAD, Head
from promptstudio_tui.store.plans import Plans
from promptstudio_tui.store.records import Conversation, Message
from promptstudio_tui.streamed import Spend, Streamed
from promptstudio_tui.studio_base import count_tokens
from promptstudio_tui.tokens import TokenCount

Tab = Literal["all", "starred", "archived"]
Sort = Literal["recent", "title", "starred"]

FLUSH_SECONDS = 0.5  # how often a streaming reply is written through (crash safety)


class Studio(ConversationFiles, FirstRun, Library, MessageBranches, PromptFiles, PromptFlow, PromptTests, Resume):
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

    def changed_elsewhere(self) -> bool:
        """Whether another process wrote to the store since the last call (cheap: no table is read)."""
        return self._store.changed_elsewhere()

    # -- settings and credentials --------------------------------------------

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
        return self._conversations.update(conversation_id, category=self.category(category))

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
        async with contextlib.aclosing(self._post(self._conversations.get(conversation_id), text)) as events:
            async for event in events:
                yield event

    async def _post(
        self, conversation: Conversation, text: str, parent: str | Head | None = HEAD
    ) -> AsyncGenerator[StudioEvent, None]:
        """The user's `text` saved after `parent` (by default the head), then the reply to it."""
        # Counted before the write lock is taken: a long text takes the tokenizer a while.
        size = self._exact_tokens(text, self.model_of(conversation))
        with self._store.write():  # one commit for the message and the list row it updates
            message = self._messages.add(conversation.id, "user", text, parent=parent, tokens=size)
            if conversation.title == "New conversation" and self._messages.count(conversation.id) == 1:
                self._conversations.update(conversation.id, title=one_line(text, catalog.TITLE_CHARS) or "Untitled")
            self._conversations.note_message(conversation.id, text, unread=False)
        yield UserMessageSaved(message)
        # aclosing: a consumer that stops reading settles the reply now, not when the GC gets to it.
        async with contextlib.aclosing(self._reply(conversation.id)) as replies:
            async for event in replies:
                yield event

    async def retry(self, conversation_id: str) -> AsyncGenerator[StudioEvent, None]:
        """Answer the conversation as it stands; a failed reply stays where it was."""
        turns = self._messages.for_conversation(conversation_id, limit=1)
        if not turns:
            raise StudioError("There is nothing to retry in this conversation yet.")
        async with contextlib.aclosing(self._reply(conversation_id)) as replies:
            async for event in replies:
                yield event

    async def _reply(self, conversation_id: str, parent: str | Head = HEAD) -> AsyncGenerator[StudioEvent, None]:
        """A reply following `parent` (by default the head), to the branch ending there."""
        settings = self.settings
        mode = settings.chat
        model = self.model_of(self._conversations.get(conversation_id))  # its own, else the default
        deadline = self._deadline()  # asking for the window and the request share the timeout
        engineer = fill(catalog.PROMPT_ENGINEER, self.settings.keymap)  # its advice names the user's key
        rows = self._messages.context_rows(conversation_id, parent)
        fitted = context.fit_chat(
            engineer,
            [turn for _, turn in rows],
            model=model,
            window=await self._window(deadline, model),
            reply_tokens=mode.max_tokens,
        )
        request, cut = fitted.messages, fitted.omitted
        omitted = None if cut is None else Omitted(cut.count, rows[cut.start][0], rows[cut.end - 1][0])
        with self._store.write():  # the reservation and the reply's row commit (or roll back) together
            reservation = self._reserve(request, mode.max_tokens, model)
            reply = self._messages.start_reply(conversation_id, model, parent)

        def settle(outcome: Streamed, spend: Spend) -> Message:
            return self._settle_reply(conversation_id, reply.id, outcome, spend, reservation)

        async with self._flight(request, mode, reservation, settle, model=model, deadline=deadline) as flight:
            yield ReplyStarted(reply, omitted)
            last_flush = time.monotonic()
            async for text in flight:
                yield ReplyDelta(reply.id, text, flight.outcome.rough_tokens)
                if time.monotonic() - last_flush >= FLUSH_SECONDS:
                    self._messages.save_partial(reply.id, flight.outcome.text)
                    last_flush = time.monotonic()
        yield ReplyDone(flight.settled)

    def _settle_reply(
        self, conversation_id: str, reply_id: str, outcome: Streamed, spend: Spend, reservation: str
    ) -> Message:
        """Final state, usage and quota in one transaction, whatever way the stream ended."""
        state, error = outcome.ending("reply")
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
