"""The main three-pane screen: conversations, chat, prompts.

This screen is the one place in the TUI that calls the Studio. Widgets render
what it hands them and post messages; streaming runs in async workers that
only post messages back, so the screen applies every change in order.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import aclosing
from functools import cached_property
from pathlib import Path

from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import ContentSwitcher, Footer, Markdown, TextArea
from textual.worker import get_current_worker

from promptstudio_tui.commands import keys_for
from promptstudio_tui.errors import describe
from promptstudio_tui.messages import (
    ListChanged,
    OpenConversation,
    PromptEnded,
    PromptUpdate,
    ReplyEnded,
    ReplyUpdate,
    SendRequested,
    StartFromTemplate,
)
from promptstudio_tui.sanitize import inert, one_line
from promptstudio_tui.store.records import Conversation, Prompt
from promptstudio_tui.studio import (
    PromptDelta,
    PromptReady,
    ReplyDelta,
    ReplyDone,
    ReplyStarted,
    Studio,
    StudioError,
    StudioEvent,
    UserMessageSaved,
)
from promptstudio_tui.widgets.chat_header import ChatHeader
from promptstudio_tui.widgets.chat_log import ChatLog
from promptstudio_tui.widgets.composer import Composer, ComposerInput
from promptstudio_tui.widgets.conversation_list import ConversationList
from promptstudio_tui.widgets.conversation_pane import ConversationPane
from promptstudio_tui.widgets.prompt_panel import PromptPanel
from promptstudio_tui.widgets.usage_meter import UsageMeter
from promptstudio_tui.widgets.welcome import Welcome

# Messages rendered when a conversation opens (a 48-row terminal shows 2-4);
# older ones on request. 40 took ~4x longer to show the newest (docs/performance.md).
HISTORY_PAGE = 12
PROMPT_LIST_LIMIT = 200
RATE_INTERVAL = 0.25  # seconds between tokens/s updates in the header while a reply streams
# A reply with no first token yet shows how long it has waited (from the second second),
# so a slow or silent endpoint never looks like a frozen app.
WAIT_TICK = 1.0
# Code fences in replies are highlighted by Pygments, which compiles a language's
# lexer on first use (~20-100 ms each): done after the first frame instead of in the
# first conversation opened.
WARM_LANGUAGES = ("python", "bash", "sql", "json", "javascript", "typescript", "yaml", "text")
WARM_QUIET = 0.6  # seconds without input before the next lexer may load ...
WARM_WAIT = 2.0  # ... or after this long anyway
SDK_QUIET = 2.0  # seconds without input before the tokenizer and SDK load, if no message is typed first
NARROW, WIDE = 60, 100  # below WIDE the side panes become overlays; below NARROW only the chat shows


def failure_text(exc: Exception) -> str:
    """One sentence for the user; a programming error still gets a sentence, never a traceback."""
    return describe(exc) or f"Something went wrong ({type(exc).__name__}: {one_line(str(exc), 160)})."


class StudioScreen(Screen[None]):
    HORIZONTAL_BREAKPOINTS = [(0, "-tiny"), (NARROW, "-narrow"), (WIDE, "-wide")]
    AUTO_FOCUS = "#composer-input"
    BINDINGS = [
        Binding("ctrl+n", "new_conversation", "New", id="studio.new_conversation"),
        Binding("ctrl+g", "generate_prompt", "Generate prompt", id="studio.generate_prompt"),
        Binding("escape", "stop", "Stop", id="studio.stop"),
        Binding("ctrl+r", "retry", "Retry reply", show=False, id="studio.retry"),
        # Not ctrl+b: that is tmux's prefix key, which never reaches the app inside tmux.
        Binding("ctrl+l", "toggle_conversations", "Show/hide conversations", show=False, id="studio.toggle_conversations"),
        Binding("ctrl+o", "toggle_prompts", "Show/hide prompts", show=False, id="studio.toggle_prompts"),
        Binding("ctrl+f", "search", "Search conversations", show=False, id="studio.search"),
        Binding("ctrl+s", "save_prompt", "Save prompt", show=False, id="studio.save_prompt"),
    ]

    def __init__(self, studio: Studio) -> None:
        prefs = studio.preferences
        self.show_left: bool = prefs.get("ui.left_pane", True)
        self.show_right: bool = prefs.get("ui.right_pane", True)
        self.overlay = ""  # "left" or "right" while a side pane floats over a narrow screen
        # Classes given up front: each later class change restyles the whole screen.
        super().__init__(classes=" ".join(name for name, on in self._pane_classes().items() if on))
        self.studio = studio
        self.conversation: Conversation | None = None
        self.prompt_scope: str = prefs.get("ui.prompt_scope", "conversation")
        self._replying: str | None = None  # conversation whose reply is streaming
        self._generating: str | None = None  # conversation whose prompt is being generated
        self._unsent: str | None = None  # submitted text the studio has not saved yet
        self._live: dict[str, str] = {}  # reply id -> text so far, while it streams
        self._first_delta = 0.0  # monotonic time of the reply's first text, for tokens/s
        self._waiting_since = 0.0  # monotonic time the reply was asked for
        self._wait_ticker: Timer | None = None  # shows the wait until the first text
        self._next_rate = 0.0  # monotonic time from which the header may show a new tokens/s
        self._queued_delta: ReplyDelta | None = None  # text posted to the screen, not yet shown
        self._sdk_warm = False  # the tokenizer and SDK load once the first message is typed

    # -- layout -------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        prefs, clock = self.studio.preferences, self.app.clock
        with Horizontal(id="body"):
            yield ConversationPane(
                self._fetch_conversations,
                clock,
                tab=prefs.get("ui.tab", "all"),
                sort=prefs.get("ui.sort", "recent"),
                id="left",
            )
            with Vertical(id="centre"):
                yield ChatHeader(id="chat-header")
                with ContentSwitcher(initial="welcome", id="chat-switcher"):
                    yield Welcome(self.key_hint("studio.new_conversation"), id="welcome")
                    yield ChatLog(f"Retry ({self.key_hint('studio.retry')})", id="chat-log")
                hint = f"{self.key_hint('composer.send')} send · {self.key_hint('composer.newline')} new line"
                yield Composer(hint, id="composer")
            yield PromptPanel(clock, self.key_hint("studio.generate_prompt"), id="right")
        yield Footer()

    def on_mount(self) -> None:
        self._show_settings()
        self._load_prompts()
        self.call_after_refresh(self._warm_up)  # after the first frame, not competing with it

    # Loading code in a thread holds the GIL about half the time, so whatever the user
    # waits for meanwhile takes twice as long (opening a conversation right after start:
    # ~0.3 s became ~0.8 s). Lexers load in the user's pauses; the tokenizer and the SDK
    # (~1.2 s) once a message is being typed, in time for its send, or in a longer pause.

    @work(thread=True, exit_on_error=False)
    def _warm_up(self) -> None:
        from rich.syntax import Syntax

        for language in WARM_LANGUAGES:
            if not self._pause(WARM_QUIET, WARM_WAIT):
                return
            Syntax("x", language).highlight("x")
        if self._pause(SDK_QUIET, float("inf")) and not self._sdk_warm:
            self._sdk_warm = True
            self.studio.warm_up()

    def _pause(self, quiet: float, at_most: float) -> bool:
        """Wait (in a worker thread) for `quiet` seconds without input, or `at_most`;
        False if the worker was cancelled meanwhile."""
        worker, due = get_current_worker(), time.monotonic()
        while time.monotonic() - self.app.last_input < quiet and time.monotonic() - due < at_most:
            if worker.is_cancelled:
                return False
            time.sleep(0.05)
        return True

    @on(TextArea.Changed, "#composer-input")
    def _composing(self) -> None:
        if not self._sdk_warm:
            self._sdk_warm = True
            self._warm_sdk()

    @work(thread=True, exit_on_error=False)
    def _warm_sdk(self) -> None:
        self.studio.warm_up()

    def on_screen_resume(self) -> None:
        # Settings may have changed the model or plan while a dialog was open.
        self._show_settings()

    def on_resize(self, event: events.Resize) -> None:
        if event.size.width >= WIDE and self.overlay:
            self.overlay = ""
            self._apply_panes()
        self.call_after_refresh(self._keep_focus_visible)

    def _keep_focus_visible(self) -> None:
        """A pane that collapsed must not keep the focus (its keys would act unseen)."""
        focused = self.focused
        if focused is not None and not all(node.display for node in focused.ancestors_with_self):
            self._composer.focus_input()

    def key_hint(self, binding_id: str) -> str:
        owners = (type(self.app), type(self), ComposerInput, ConversationList, PromptPanel)
        return keys_for(binding_id, self.studio.settings.keymap, owners)

    @cached_property
    def _chat(self) -> ChatLog:
        return self.query_one(ChatLog)

    @cached_property
    def _header(self) -> ChatHeader:
        return self.query_one(ChatHeader)

    @cached_property
    def _list(self) -> ConversationList:
        return self.query_one(ConversationList)

    @cached_property
    def _panel(self) -> PromptPanel:
        return self.query_one(PromptPanel)

    @cached_property
    def _composer(self) -> Composer:
        return self.query_one(Composer)

    def _pane_classes(self) -> dict[str, bool]:
        return {
            "-left-open": self.show_left,
            "-right-open": self.show_right,
            "-overlay-left": self.overlay == "left",
            "-overlay-right": self.overlay == "right",
        }

    def _apply_panes(self) -> None:
        wanted = self._pane_classes()
        add = [name for name, on in wanted.items() if on and not self.has_class(name)]
        remove = [name for name, on in wanted.items() if not on and self.has_class(name)]
        # One call each way: every class change restyles the whole screen.
        if add:
            self.add_class(*add)
        if remove:
            self.remove_class(*remove)

    def _show_settings(self) -> None:
        self._header.model = self.studio.settings.model
        self._composer.set_model(self.studio.settings.model)
        self.query_one(UsageMeter).status = self.studio.quota_status(self.app.clock())

    def _pane_visible(self, pane: str) -> bool:
        return getattr(self, f"show_{pane}") if self.size.width >= WIDE else self.overlay == pane

    def _set_pane(self, pane: str, visible: bool) -> None:
        """Wide: show or hide in place, remembered. Narrow: float over the chat, or not."""
        if self.size.width >= WIDE:
            setattr(self, f"show_{pane}", visible)
            self.studio.preferences.set(f"ui.{pane}_pane", visible)
        elif visible:
            self.overlay = pane
        elif self.overlay == pane:
            self.overlay = ""
        self._apply_panes()
        if not visible:
            self._composer.focus_input()

    def _reveal(self, pane: str) -> None:
        if not self._pane_visible(pane):
            self._set_pane(pane, True)

    def _toggle(self, pane: str) -> bool:
        """Show or hide a side pane; True when it is now visible."""
        visible = not self._pane_visible(pane)
        self._set_pane(pane, visible)
        return visible

    def action_toggle_conversations(self) -> None:
        if self._toggle("left"):
            self._list.focus()

    def action_toggle_prompts(self) -> None:
        if self._toggle("right"):
            self.query_one("#prompt-list").focus()

    def action_search(self) -> None:
        self._reveal("left")
        self.query_one(ConversationPane).focus_search()

    # -- the conversation list ----------------------------------------------------

    def _fetch_conversations(self, tab: str, sort: str, search: str, offset: int, limit: int):
        """Runs in a worker thread (the store serialises access with its lock)."""
        conversations = self.studio.conversations
        rows = conversations.page(tab, sort, search, offset, limit)  # type: ignore[arg-type]
        return rows, conversations.count(tab, search) if offset == 0 else None  # type: ignore[arg-type]

    @on(ListChanged)
    def _list_changed(self, message: ListChanged) -> None:
        self.studio.preferences.set("ui.tab", message.tab)
        self.studio.preferences.set("ui.sort", message.sort)

    def action_show_tab(self, tab: str) -> None:
        self._reveal("left")
        self.query_one(ConversationPane).set_tab(tab)

    def action_sort_by(self, sort: str) -> None:
        self._reveal("left")
        self.query_one(ConversationPane).set_sort(sort)

    def action_cycle_sort(self) -> None:
        self.query_one(ConversationPane).cycle_sort()

    def _target(self) -> Conversation | None:
        """The highlighted row while the list has focus, else the open conversation."""
        highlighted = self._list.current
        target = highlighted if self.focused is self._list or self.conversation is None else self.conversation
        if target is None:
            self.notify("Select a conversation first.", severity="warning")
        return target

    def _busy(self, conversation_id: str) -> bool:
        if conversation_id in (self._replying, self._generating):
            self.notify(
                f"This conversation is still streaming — wait, or press {self.key_hint('studio.stop')} to stop it.",
                severity="warning",
                markup=False,
            )
            return True
        return False

    def _update_conversation(self, conversation_id: str, **fields: object) -> None:
        updated = self.studio.conversations.update(conversation_id, **fields)
        if self.conversation is not None and self.conversation.id == conversation_id:
            self.conversation = updated
            self._header.conversation = updated
        self._list.reload(keep=conversation_id)

    def action_rename_conversation(self) -> None:
        from promptstudio_tui.screens.modals import TextInputModal

        target = self._target()
        if target is None:
            return

        def rename(title: str | None) -> None:
            if title:
                self._update_conversation(target.id, title=one_line(title, 200))

        self.app.push_screen(TextInputModal("Rename conversation", one_line(target.title), "Title"), rename)

    def action_categorize_conversation(self) -> None:
        from promptstudio_tui.screens.modals import CategoryModal

        target = self._target()
        if target is None:
            return

        def categorize(category: str | None) -> None:
            if category:
                self._update_conversation(target.id, category=category)

        self.app.push_screen(CategoryModal(target.category), categorize)

    def action_star_conversation(self) -> None:
        target = self._target()
        if target is not None:
            self._update_conversation(target.id, is_starred=not target.is_starred)
            self.notify("Starred." if not target.is_starred else "Unstarred.")

    def action_archive_conversation(self) -> None:
        target = self._target()
        if target is not None:
            archive = target.status != "archived"
            self._update_conversation(target.id, status="archived" if archive else "active")
            self.notify("Archived: find it in the Archived tab." if archive else "Moved back to All.")

    def action_delete_conversation(self) -> None:
        from promptstudio_tui.screens.modals import ConfirmModal

        target = self._target()
        if target is None or self._busy(target.id):
            return

        async def delete(confirmed: bool | None) -> None:
            if not confirmed:
                return
            self.studio.conversations.delete(target.id)
            if self.conversation is not None and self.conversation.id == target.id:
                await self._close_conversation()
            self._list.reload()
            self.notify("Conversation deleted.")

        question = f"Delete “{one_line(target.title, 60)}” and all its messages? Prompts generated from it are kept."
        self.app.push_screen(ConfirmModal(question), delete)

    # -- opening conversations ----------------------------------------------------

    @on(OpenConversation)
    async def _open_requested(self, message: OpenConversation) -> None:
        if self.overlay == "left":
            self._set_pane("left", False)
        await self._open(self.studio.conversations.get(message.conversation_id))

    async def _open(self, conversation: Conversation) -> None:
        self.conversation = conversation
        self.studio.open_conversation_id = conversation.id
        if conversation.unread_count:
            self.studio.conversations.mark_read(conversation.id)
            self._list.reload(keep=conversation.id)
        else:
            self._list.select_id(conversation.id)
        self._header.conversation = conversation
        self._header.set_state("streaming" if self._replying == conversation.id else "idle")
        messages = self.studio.history(conversation.id, limit=HISTORY_PAGE)
        self.query_one(ContentSwitcher).current = "chat-log"
        await self._chat.show(messages, has_earlier=self._has_earlier(messages), now=self.app.clock(), live=self._live)
        if self._generating is None:  # a generation in progress keeps the pane until it ends
            latest = self.studio.prompts.list(conversation_id=conversation.id, limit=1)
            await self._panel.show_prompt(latest[0] if latest else None)
        self._load_prompts()
        self._composer.focus_input()

    def _has_earlier(self, messages: list) -> bool:
        if len(messages) < HISTORY_PAGE or self.conversation is None:
            return False
        return bool(self.studio.history(self.conversation.id, limit=1, before=messages[0].id))

    async def _close_conversation(self) -> None:
        self.conversation = None
        self.studio.open_conversation_id = None
        self._header.conversation = None
        self._header.set_state("idle")
        self.query_one(ContentSwitcher).current = "welcome"
        if self._generating is None:
            await self._panel.show_prompt(None)
        self._load_prompts()

    async def action_load_earlier(self) -> None:
        ids = self._chat.message_ids()
        if self.conversation is None or not ids:
            return
        older = self.studio.history(self.conversation.id, limit=HISTORY_PAGE, before=ids[0])
        await self._chat.show_earlier(older, has_earlier=self._has_earlier(older), now=self.app.clock())

    async def _open_new(self, category: str = "General") -> Conversation:
        conversation = self.studio.new_conversation(category=category)
        await self._open(conversation)
        self._list.reload(keep=conversation.id)
        return conversation

    async def action_new_conversation(self) -> None:
        if self.conversation is not None and not self._chat.message_ids():
            self._composer.focus_input()  # already on an empty one: do not pile up blank rows
            return
        await self._open_new()

    @on(StartFromTemplate)
    async def _start_from_template(self, message: StartFromTemplate) -> None:
        await self._open_new(message.template.category)
        self._composer.set_text(message.template.text)

    @on(Markdown.LinkClicked)
    def _link_clicked(self, event: Markdown.LinkClicked) -> None:
        # Links in model output are never opened for the user; they are shown to copy.
        self.notify(f"Link: {one_line(event.href, 300)}", markup=False)

    # -- chatting -----------------------------------------------------------------

    @on(SendRequested)
    async def _send_requested(self, message: SendRequested) -> None:
        text = message.text
        if not text.strip():
            return
        if self._replying is not None:
            self.notify(
                f"A reply is still streaming — wait for it or press {self.key_hint('studio.stop')} to stop it.",
                severity="warning",
                markup=False,
            )
            return
        conversation = self.conversation or await self._open_new()
        self._composer.take(text)
        self._unsent = text
        self._start_reply(conversation.id, self.studio.send(conversation.id, text))

    def action_retry(self) -> None:
        conversation = self.conversation
        if conversation is None:
            self.notify("Open a conversation first.", severity="warning")
            return
        if self._replying is not None:
            self.notify("A reply is already streaming.", severity="warning")
            return
        last = self.studio.history(conversation.id, limit=1)
        if not last or (last[-1].role == "assistant" and last[-1].state == "complete"):
            self.notify("Nothing to retry: the last reply is complete.", severity="warning")
            return
        self._start_reply(conversation.id, self.studio.retry(conversation.id))

    def _start_reply(self, conversation_id: str, events: AsyncIterator[StudioEvent]) -> None:
        self._replying = conversation_id
        self._header.set_state("waiting")
        self._first_delta, self._waiting_since = 0.0, time.monotonic()
        self._stop_wait_ticker()
        self._wait_ticker = self.set_interval(WAIT_TICK, self._show_wait)
        self.refresh_bindings()
        self._answer(conversation_id, events)

    def _stop_wait_ticker(self) -> None:
        if self._wait_ticker is not None:
            self._wait_ticker.stop()
            self._wait_ticker = None

    def _show_wait(self) -> None:
        if self._replying is None or self._first_delta:
            self._stop_wait_ticker()
        elif self._shown(self._replying):
            waited = time.monotonic() - self._waiting_since
            self._header.set_state("waiting", f"{waited:.0f} s · {self.key_hint('studio.stop')} stops")

    @work(exclusive=True, group="reply", exit_on_error=False)
    async def _answer(self, conversation_id: str, events: AsyncIterator[StudioEvent]) -> None:
        # Posting (never awaiting the UI) keeps the stream the only thing this task
        # waits on, so a cancel lands inside the studio, which then keeps the text
        # and marks the reply interrupted.
        ended = ReplyEnded(conversation_id)
        try:
            async with aclosing(events) as stream:
                async for event in stream:
                    if isinstance(event, ReplyStarted):
                        ended.reply_id = event.message.id
                    elif isinstance(event, ReplyDelta):
                        queued = self._queued_delta
                        self._queued_delta = event if queued is None else ReplyDelta(event.message_id, queued.text + event.text, event.completion_tokens)
                        if queued is not None:
                            continue  # the screen has not shown the last text yet: it takes this with it
                    self.post_message(ReplyUpdate(conversation_id, event))  # type: ignore[arg-type]
        except Exception as exc:  # noqa: BLE001 - shown as one sentence
            self.log.error(exc)
            ended.error = failure_text(exc)
        finally:
            self.post_message(ended)

    def _shown(self, conversation_id: str) -> bool:
        return self.conversation is not None and self.conversation.id == conversation_id

    @on(ReplyUpdate)
    async def _reply_update(self, message: ReplyUpdate) -> None:
        event, shown, now = message.event, self._shown(message.conversation_id), self.app.clock()
        if isinstance(event, UserMessageSaved):
            self._unsent = None
            if shown:
                await self._chat.add(event.message, now)
                self._refresh_conversation()
        elif isinstance(event, ReplyStarted):
            self._live[event.message.id] = ""
            self._first_delta = self._next_rate = 0.0
            if shown:
                await self._chat.add(event.message, now)
        elif isinstance(event, ReplyDelta):
            # Every delta that arrived while the screen was busy, as one.
            event, self._queued_delta = self._queued_delta or event, None
            self._live[event.message_id] = self._live.get(event.message_id, "") + event.text
            clock = time.monotonic()
            self._first_delta = self._first_delta or clock
            if shown:
                if clock >= self._next_rate:  # a few header redraws a second, not one per delta
                    self._next_rate = clock + RATE_INTERVAL
                    elapsed = clock - self._first_delta
                    rate = f"{event.completion_tokens / elapsed:,.0f} tok/s" if elapsed >= RATE_INTERVAL else ""
                    self._header.set_state("streaming", rate)
                await self._chat.append(event.message_id, event.text)
        elif isinstance(event, ReplyDone):
            self._live.pop(event.message.id, None)
            if shown:
                await self._chat.finish(event.message, self.app.clock())
            if event.message.state == "error":
                self.notify(event.message.error or "The reply failed.", severity="error", markup=False, timeout=8)

    @on(ReplyEnded)
    async def _reply_ended(self, message: ReplyEnded) -> None:
        shown = self._shown(message.conversation_id)
        self._replying = None
        self._stop_wait_ticker()
        self.refresh_bindings()
        if shown:
            self._header.set_state("idle")
        if message.reply_id in self._live:
            # Cancelled: no ReplyDone came, but the studio settled the row before the task ended.
            self._live.pop(message.reply_id)
            if shown:
                await self._chat.finish(self.studio.messages.get(message.reply_id), self.app.clock())
        if message.error:
            await self._show_refusal(message.error, shown)
        self._unsent = None
        self._list.reload()
        self._show_settings()

    async def _show_refusal(self, error: str, shown: bool) -> None:
        """A reply that never started: say why where the user looks, and keep their text."""
        if self._unsent is not None and not self._composer.text:
            self._composer.set_text(self._unsent)
        elif self._unsent is None:
            error += f" Your message is saved; press {self.key_hint('studio.retry')} to try again."
        if shown:
            await self._chat.show_notice(f"⚠ {error}")
        self.notify(error, severity="error", markup=False, timeout=10)

    def _refresh_conversation(self) -> None:
        """The first message titles a new conversation: show the new title."""
        if self.conversation is not None:
            self.conversation = self.studio.conversations.get(self.conversation.id)
            self._header.conversation = self.conversation

    def action_stop(self) -> None:
        if self._replying or self._generating:
            self.workers.cancel_group(self, "reply")
            self.workers.cancel_group(self, "prompt")
        elif self.overlay:
            self._set_pane(self.overlay, False)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "stop":
            # When there is nothing to stop, Esc is left to whatever else wants it.
            return bool(self._replying or self._generating or self.overlay)
        return True

    async def on_unmount(self) -> None:
        """Settle streaming replies (kept, marked interrupted) before the store closes."""
        running = [w for w in self.workers if w.node is self and w.group in ("reply", "prompt") and w.is_running]
        for worker in running:
            worker.cancel()
        if running:
            await asyncio.gather(*(w.wait() for w in running), return_exceptions=True)

    # -- prompts ------------------------------------------------------------------

    async def action_generate_prompt(self) -> None:
        conversation = self.conversation
        if conversation is None:
            self.notify("Open a conversation and talk it through first.", severity="warning")
            return
        if self._generating is not None:
            self.notify("A prompt is already being generated.", severity="warning")
            return
        if self._busy(conversation.id):
            return
        self._reveal("right")
        self._generating = conversation.id
        self._header.set_state("generating")
        self.refresh_bindings()
        await self._panel.start_generation()
        self._generate(conversation.id)

    @work(exclusive=True, group="prompt", exit_on_error=False)
    async def _generate(self, conversation_id: str) -> None:
        ended = PromptEnded(conversation_id)
        try:
            async with aclosing(self.studio.generate(conversation_id)) as stream:
                async for event in stream:
                    self.post_message(PromptUpdate(conversation_id, event))  # type: ignore[arg-type]
        except asyncio.CancelledError:
            ended.error = "Generation stopped; nothing was saved."
            raise
        except Exception as exc:  # noqa: BLE001 - shown as one sentence
            self.log.error(exc)
            ended.error = failure_text(exc)
        finally:
            self.post_message(ended)

    @on(PromptUpdate)
    async def _prompt_update(self, message: PromptUpdate) -> None:
        event = message.event
        if isinstance(event, PromptDelta):
            await self._panel.append(event.text, event.completion_tokens)
            if self._shown(message.conversation_id):
                self._header.set_state("generating", f"~{event.completion_tokens:,} tokens")
        elif isinstance(event, PromptReady):
            await self._panel.end_generation(None)
            await self._panel.show_prompt(event.prompt)
            self._load_prompts()
            self.notify(f"Prompt ready: {event.prompt.tokens_used:,} tokens. Save, copy or export it on the right.")

    @on(PromptEnded)
    async def _prompt_ended(self, message: PromptEnded) -> None:
        self._generating = None
        self.refresh_bindings()
        if self._shown(message.conversation_id):
            self._header.set_state("idle")
        if message.error:
            await self._panel.end_generation(message.error)
            self.notify(message.error, severity="error", markup=False, timeout=10)
        self._show_settings()

    def _load_prompts(self) -> None:
        conversation_id = self.conversation.id if self.conversation else None
        if self.prompt_scope == "conversation" and conversation_id is None:
            prompts: list[Prompt] = []
        else:
            scope_id = conversation_id if self.prompt_scope == "conversation" else None
            prompts = self.studio.prompts.list(conversation_id=scope_id, limit=PROMPT_LIST_LIMIT)
        self._panel.set_prompts(prompts, self.prompt_scope)

    def action_toggle_prompt_scope(self) -> None:
        self.prompt_scope = "all" if self.prompt_scope == "conversation" else "conversation"
        self.studio.preferences.set("ui.prompt_scope", self.prompt_scope)
        self._load_prompts()

    def _shown_prompt(self) -> Prompt | None:
        prompt = self._panel.current
        if prompt is None:
            self.notify(
                f"No prompt shown: press {self.key_hint('studio.generate_prompt')} or pick one from the list.",
                severity="warning",
                markup=False,
            )
        return prompt

    async def _prompt_changed(self, prompt: Prompt | None) -> None:
        await self._panel.show_prompt(prompt)
        self._load_prompts()

    def action_copy_prompt(self) -> None:
        prompt = self._shown_prompt()
        if prompt is not None:
            text = inert(prompt.content)  # exactly what is shown: no control sequences
            self.app.copy_to_clipboard(text)
            self.notify(f"Copied {len(text):,} characters to the clipboard (OSC 52).")

    def action_save_prompt(self) -> None:
        from promptstudio_tui.screens.modals import SavePromptModal

        prompt = self._shown_prompt()
        if prompt is None:
            return

        async def save(result: tuple[str, str, list[str]] | None) -> None:
            if result is None:
                return
            title, category, tags = result
            try:
                saved = self.studio.save_prompt(prompt.id, title=title, category=category, tags=tags)
            except StudioError as exc:
                self.notify(str(exc), severity="error", markup=False)
                return
            await self._prompt_changed(saved)
            self.notify(f"Saved “{one_line(saved.title, 60)}”.", markup=False)

        self.app.push_screen(SavePromptModal(prompt), save)

    def action_export_prompt(self) -> None:
        from promptstudio_tui.screens.modals import ExportModal

        prompt = self._shown_prompt()
        if prompt is None:
            return

        def export(result: tuple[str, Path] | None) -> None:
            if result is None:
                return
            fmt, path = result
            try:
                written = self.studio.write_export(prompt, fmt, Path(path))
            except StudioError as exc:
                self.notify(str(exc), severity="error", markup=False)
                return
            self.notify(f"Exported to {written}", markup=False)

        self.app.push_screen(ExportModal(prompt, Path.cwd()), export)

    async def action_favourite_prompt(self) -> None:
        prompt = self._shown_prompt()
        if prompt is not None:
            await self._prompt_changed(self.studio.prompts.update(prompt.id, is_favorite=not prompt.is_favorite))

    def action_delete_prompt(self) -> None:
        from promptstudio_tui.screens.modals import ConfirmModal

        prompt = self._shown_prompt()
        if prompt is None:
            return

        async def delete(confirmed: bool | None) -> None:
            if confirmed:
                self.studio.prompts.delete(prompt.id)
                await self._prompt_changed(None)
                self.notify("Prompt deleted.")

        self.app.push_screen(ConfirmModal(f"Delete the prompt “{one_line(prompt.title, 60)}”?"), delete)

