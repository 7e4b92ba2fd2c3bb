"""The main three-pane screen: conversations, chat, prompts.

This screen composes the panes, routes messages and actions, and lays the panes
out for the width. What is open and in flight lives in the session (session.py);
the controllers beside this module act on it: the reply flow, the conversation
list's actions, the prompt pane's, the side panes (panes.py), and the prompt's
versions and runs (workshop.py, testing.py: imported on first use, not on the way
to the first frame). Widgets render what they are handed and post messages;
nothing running in the background touches them.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from functools import cached_property
from typing import TYPE_CHECKING

from textual import events, on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import ContentSwitcher, Footer, TextArea
from textual.worker import get_current_worker

from promptstudio_tui import catalog
from promptstudio_tui.actions import bindings
from promptstudio_tui.commands import keys_for
from promptstudio_tui.events import PromptReady
from promptstudio_tui.messages import (
    FlightOver,
    FlightStep,
    FlightText,
    ImportRequested,
    ListChanged,
    OpenConversation,
    PromptChosen,
    SendRequested,
    StartFromTemplate,
)
from promptstudio_tui.sanitize import one_line
from promptstudio_tui.screens.comfort_actions import ComfortActions
from promptstudio_tui.screens.conversation_actions import ConversationActions
from promptstudio_tui.screens.everyday_actions import EverydayActions
from promptstudio_tui.screens.external_changes import ExternalChanges
from promptstudio_tui.screens.message_actions import MessageActions
from promptstudio_tui.screens.panes import BREAKPOINTS, Panes
from promptstudio_tui.screens.prompt_actions import PromptActions
from promptstudio_tui.screens.reply_flow import ReplyFlow
from promptstudio_tui.screens.testing_actions import TestingActions
from promptstudio_tui.screens.warm_up import Pause, WarmUp, highlight
from promptstudio_tui.session import WORKSHOP_KINDS, Session
from promptstudio_tui.studio import Studio
from promptstudio_tui.widgets.chat_header import ChatHeader
from promptstudio_tui.widgets.chat_log import ChatLog
from promptstudio_tui.widgets.composer import Composer, ComposerInput
from promptstudio_tui.widgets.conversation_list import ConversationList
from promptstudio_tui.widgets.conversation_pane import ConversationPane
from promptstudio_tui.widgets.prompt_panel import PromptPanel
from promptstudio_tui.widgets.usage_meter import Meter, UsageMeter

if TYPE_CHECKING:
    from textual.widgets import Markdown

    from promptstudio_tui.screens.testing import Testing
    from promptstudio_tui.screens.workshop import Workshop


class StudioScreen(ComfortActions, EverydayActions, TestingActions, Screen[None]):
    HORIZONTAL_BREAKPOINTS = BREAKPOINTS
    AUTO_FOCUS = "#composer-input"
    BINDINGS = bindings("main")

    def __init__(self, studio: Studio, clock: Callable[[], datetime], pause: Pause) -> None:
        """`clock` dates messages and rows; `pause` waits for a pause in the user's input."""
        self.panes = Panes(self, studio)
        # Classes given up front, the width's too: each later class change restyles the whole screen.
        classes = [name for name, on in self.panes.classes().items() if on]
        super().__init__(classes=" ".join([*classes, Panes.width_class(self.app.size.width)]))
        self.studio = studio
        self.clock = clock
        self.session = Session(studio)
        self.replies = ReplyFlow(self)
        self.session.listener = self.replies.report
        self.conversations = ConversationActions(self)
        self.prompts = PromptActions(self)
        self.warm = WarmUp(pause, highlight, studio.warm_up)
        self.external = ExternalChanges(self)  # what other processes write
        self.messages = MessageActions(self)  # edit, regenerate, delete, copy one message

    @cached_property
    def workshop(self) -> Workshop:
        from promptstudio_tui.screens.workshop import Workshop

        return Workshop(self)

    @cached_property
    def testing(self) -> Testing:
        from promptstudio_tui.screens.testing import Testing

        return Testing(self)

    # -- layout -------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        clock = self.clock
        with Horizontal(id="body"):
            yield ConversationPane(
                self.conversations.fetch,
                clock,
                tab=self.studio.preference("ui.tab", "all"),
                sort=self.studio.preference("ui.sort", "recent"),
                id="left",
            )
            with Vertical(id="centre"):
                yield ChatHeader(id="chat-header")
                with ContentSwitcher(initial="welcome", id="chat-switcher"):
                    tips = catalog.tips(self.studio.settings.keymap)
                    yield self.welcome(tips)
                    yield ChatLog(
                        f"Retry ({self.key_hint('studio.retry')})", tips, self.studio.alternative_counts, id="chat-log"
                    )
                hint = f"{self.key_hint('composer.send')} send · {self.key_hint('composer.newline')} new line"
                yield Composer(hint, count_tokens=self.studio.count_tokens, id="composer")
            yield PromptPanel(
                clock, self.key_hint("studio.generate_prompt"), self.key_hint("studio.show_changes"), id="right"
            )
        yield Footer()

    def on_mount(self) -> None:
        self.show_settings()
        if not self.conversations.resume():  # a reopened conversation lists its prompts as it fills
            self.prompts.load_in_background()
        self.call_after_refresh(self._warm_up)  # after the first frame, not competing with it
        self.external.start()

    @work(thread=True, exit_on_error=False, group="warm-up")
    def _warm_up(self) -> None:
        worker = get_current_worker()
        self.warm.run(lambda: worker.is_cancelled)

    @on(TextArea.Changed, "#composer-input")
    def _composing(self) -> None:
        text = self.composer.text  # joined from the editor's lines: once per change, not per use
        self.conversations.typed(text)
        if text and not self.warm.sdk_loaded:  # in time for its send
            self._warm_sdk()

    @work(thread=True, exit_on_error=False, group="warm-up-sdk")
    def _warm_sdk(self) -> None:
        self.warm.sdk()

    def on_screen_resume(self) -> None:
        # Settings may have changed the model or plan while a dialog was open.
        self.show_settings()

    async def on_unmount(self) -> None:
        """Settle streaming replies (kept, marked interrupted) before the store closes."""
        await self.session.aclose()

    def on_resize(self, event: events.Resize) -> None:
        self.panes.resized()
        self.call_after_refresh(self._keep_focus_visible)

    def _keep_focus_visible(self) -> None:
        """A pane that collapsed must not keep the focus (its keys would act unseen)."""
        focused = self.focused
        if focused is not None and not all(node.display for node in focused.ancestors_with_self):
            self.composer.focus_input()

    def key_hint(self, binding_id: str) -> str:
        owners = (type(self.app), type(self), ComposerInput, ConversationList, PromptPanel)
        return keys_for(binding_id, self.studio.settings.keymap, owners)

    @cached_property
    def chat(self) -> ChatLog:
        return self.query_one(ChatLog)

    @cached_property
    def header(self) -> ChatHeader:
        return self.query_one(ChatHeader)

    @cached_property
    def conversation_list(self) -> ConversationList:
        return self.query_one(ConversationList)

    @cached_property
    def panel(self) -> PromptPanel:
        return self.query_one(PromptPanel)

    @cached_property
    def composer(self) -> Composer:
        return self.query_one(Composer)

    def show_settings(self) -> None:
        """The model in the header and composer, this month's use in the meter."""
        self.show_model()
        status = self.studio.quota_status(self.clock())
        self.query_one(UsageMeter).meter = Meter(
            plan=status.plan,
            tokens=(status.used.tokens, status.limits.tokens_limit),
            requests=(status.used.requests, status.limits.requests_limit),
            resets=date.fromisoformat(status.window.last_day) + timedelta(days=1),
        )

    def restore_draft(self, conversation_id: str) -> None:
        """Text sent in this conversation that was never saved goes back before what is in the composer."""
        self.composer.set_text(self.session.take_unsent(conversation_id) + self.composer.text)

    # -- side panes (screens/panes.py) ---------------------------------------------------

    def action_toggle_conversations(self) -> None:
        if self.panes.toggle("left"):
            self.conversation_list.focus()

    def action_toggle_prompts(self) -> None:
        if self.panes.toggle("right"):
            self.query_one("#prompt-list").focus()

    def action_search(self) -> None:
        self.panes.reveal("left")
        self.query_one(ConversationPane).focus_search()

    def action_show_tab(self, tab: str) -> None:
        self.panes.reveal("left")
        self.query_one(ConversationPane).set_tab(tab)

    def action_sort_by(self, sort: str) -> None:
        self.panes.reveal("left")
        self.query_one(ConversationPane).set_sort(sort)

    def action_cycle_sort(self) -> None:
        self.query_one(ConversationPane).cycle_sort()

    # -- messages -----------------------------------------------------------------

    @on(ListChanged)
    def _list_changed(self, message: ListChanged) -> None:
        self.studio.set_preference("ui.tab", message.tab)
        self.studio.set_preference("ui.sort", message.sort)

    @on(OpenConversation)
    async def _open_requested(self, message: OpenConversation) -> None:
        if self.panes.overlay == "left":
            self.panes.set("left", False)
        await self.conversations.open(message.conversation_id)

    @on(StartFromTemplate)
    async def _start_from_template(self, message: StartFromTemplate) -> None:
        await self.conversations.open_new(message.template.category)
        self.composer.set_text(message.template.text)

    @on(PromptChosen)
    async def _prompt_chosen(self, message: PromptChosen) -> None:
        await self.prompts.chosen(message.prompt_id)

    @on(ImportRequested)
    def _import_requested(self) -> None:
        self.workshop.import_prompt()

    @on(SendRequested)
    async def _send_requested(self, message: SendRequested) -> None:
        await self.messages.send(message.text)

    @on(ChatLog.Command)
    async def _message_command(self, command: ChatLog.Command) -> None:
        await self.messages.run(command)

    def action_page_chat(self, step: int) -> None:
        self.messages.page(step)

    def action_select_message(self) -> None:
        self.messages.select()

    @on(FlightStep)
    async def _flight_step(self, message: FlightStep) -> None:
        if message.flight.kind in WORKSHOP_KINDS:
            await self.testing.step(message)
        elif isinstance(message.event, PromptReady):
            await self.prompts.ready(message.flight, message.event)
        else:
            await self.replies.step(message)

    @on(FlightText)
    async def _flight_text(self, message: FlightText) -> None:
        if message.flight.kind in WORKSHOP_KINDS:
            await self.testing.text(message.flight)
        elif message.flight.kind == "prompt":
            await self.prompts.text(message.flight)
        else:
            await self.replies.text(message.flight)

    @on(FlightOver)
    async def _flight_over(self, message: FlightOver) -> None:
        if message.ended.kind in WORKSHOP_KINDS:
            await self.testing.over(message.ended)
        elif message.ended.kind == "prompt":
            await self.prompts.over(message.ended)
        else:
            await self.replies.over(message.ended)

    def on_markdown_link_clicked(self, event: Markdown.LinkClicked) -> None:  # by name: Markdown loads later
        # Links in model output are never opened for the user; they are shown to copy.
        self.notify(f"Link: {one_line(event.href, 300)}", markup=False)

    # -- actions (bound keys, buttons and the palette name these) -----------------------

    def action_stop(self) -> None:
        # Esc in the prompt pane stops its run first (a reply elsewhere keeps streaming).
        in_pane = self.focused is not None and self.panel in self.focused.ancestors_with_self
        stopped = (in_pane and self.session.stop_workshop()) or self.session.stop() or self.session.stop_workshop()
        if not stopped and not self.messages.cancel_edit():
            self.panes.close_overlay()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "stop":
            # When there is nothing to stop, Esc is left to whatever else wants it.
            busy = self.session.flight() is not None or self.session.workshop() is not None
            return busy or self.panes.overlay is not None or self.messages.editing is not None
        return True

    def action_retry(self) -> None:
        self.replies.retry()

    async def action_new_conversation(self) -> None:
        await self.conversations.new()

    async def action_load_earlier(self) -> None:
        await self.conversations.load_earlier()

    def action_rename_conversation(self) -> None:
        self.conversations.rename()

    def action_categorize_conversation(self) -> None:
        self.conversations.categorize()

    def action_star_conversation(self) -> None:
        self.conversations.star()

    def action_archive_conversation(self) -> None:
        self.conversations.archive()

    def action_delete_conversation(self) -> None:
        self.conversations.delete()

    async def action_generate_prompt(self) -> None:
        await self.prompts.generate()

    def action_toggle_prompt_scope(self) -> None:
        self.prompts.toggle_scope()

    def action_copy_prompt(self) -> None:
        self.prompts.copy()

    def action_save_prompt(self) -> None:
        self.prompts.save()

    def action_export_prompt(self) -> None:
        self.prompts.export()

    async def action_favourite_prompt(self) -> None:
        await self.prompts.favourite()

    def action_delete_prompt(self) -> None:
        self.prompts.delete()

    # -- the prompt's versions (screens/workshop.py) ------------------------------------

    async def action_show_changes(self) -> None:
        await self.workshop.toggle_changes()

    async def action_previous_version(self) -> None:
        await self.workshop.step(-1)

    async def action_next_version(self) -> None:
        await self.workshop.step(1)

    def action_compare_versions(self) -> None:
        self.workshop.compare()

    async def action_restore_version(self) -> None:
        await self.workshop.restore()

    def action_refine_prompt(self) -> None:
        self.workshop.refine()

    def action_edit_prompt(self) -> None:
        self.workshop.edit()

    async def action_edit_prompt_externally(self) -> None:
        await self.workshop.edit_externally()

    def action_import_prompt(self) -> None:
        self.workshop.import_prompt()
