"""What the user does to one message of the chat: edit and resend it, regenerate a reply,
step between alternatives, delete it, copy it or its code.

The chat log selects the message (alt+up from the composer) and posts a command; this
carries it out through the session (edit and regenerate are requests like a send) or the
studio (the rest), and draws the branch now on screen.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from promptstudio_tui.events import StudioError
from promptstudio_tui.screens.conversation_actions import HISTORY_PAGE
from promptstudio_tui.session import Busy
from promptstudio_tui.store.records import Message
from promptstudio_tui.widgets.chat_log import ChatLog

if TYPE_CHECKING:
    from promptstudio_tui.screens.main import StudioScreen

# A fenced code block of Markdown: ``` or ~~~, an optional info string, up to the closing fence.
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})[^\n]*\n(.*?)^ {0,3}\1[ \t]*$", re.MULTILINE | re.DOTALL)


def code_blocks(text: str) -> list[str]:
    return [match.group(2) for match in _FENCE.finditer(text)]


class MessageActions:
    def __init__(self, screen: StudioScreen) -> None:
        self.screen = screen
        self.studio = screen.studio
        self.session = screen.session
        self.editing: Message | None = None  # the user message the composer's text will replace

    async def run(self, command: ChatLog.Command) -> None:
        message = command.message
        if command.name == "leave":
            self.screen.composer.focus_input()
        elif message is None:
            self.screen.notify("Select a message first: up and down move.", severity="warning")
        elif command.name == "edit":
            self.edit(message)
        elif command.name == "regenerate":
            await self.regenerate(message)
        elif command.name == "delete":
            self.delete(message)
        elif command.name == "copy":
            self._copy(message.content, "Message copied.")
        elif command.name == "copy_code":
            blocks = code_blocks(message.content)
            if not blocks:
                self.screen.notify("This message has no code block.", severity="warning")
            else:
                more = f" (the first of {len(blocks)})" if len(blocks) > 1 else ""
                self._copy(blocks[0], f"Code block copied{more}.")
        else:
            await self.step(message, -1 if command.name == "older" else 1)

    def _copy(self, text: str, said: str) -> None:
        self.screen.app.copy_to_clipboard(text)  # OSC 52: works over SSH where the terminal allows it
        self.screen.notify(said)

    # -- edit and resend ------------------------------------------------------------------

    def edit(self, message: Message) -> None:
        if message.role != "user":
            self.screen.notify(
                f"Only your own messages can be edited; {self.screen.key_hint('messages.regenerate')} regenerates a reply.",
                severity="warning",
                markup=False,
            )
            return
        self.editing = message
        self.screen.composer.set_text(message.content)
        self.screen.composer.focus_input()
        self.screen.notify(
            f"Editing: {self.screen.key_hint('composer.send')} resends it (the turns after it are kept as a branch);"
            f" {self.screen.key_hint('studio.stop')} cancels.",
            markup=False,
        )

    def cancel_edit(self) -> bool:
        if self.editing is None:
            return False
        self.editing = None
        self.screen.composer.set_text("")
        self.screen.notify("Edit cancelled.")
        return True

    async def send(self, text: str) -> None:
        """The composer's Enter: a resend of the message being edited, else a plain send."""
        original, conversation = self.editing, self.session.conversation
        if original is None or conversation is None or original.conversation_id != conversation.id:
            self.editing = None
            await self.screen.replies.send(text)
            self._show_newest()
            return
        if not text.strip():
            return
        try:
            self.session.send(conversation.id, text, editing=original.id)
        except Busy:
            self.screen.replies.warn_busy()
            return
        self.editing = None
        self.screen.composer.take(text)  # the chat puts the new turn in the old one's place as it is saved
        self.screen.replies.started()
        self._show_newest()

    def _show_newest(self) -> None:
        # Sent while scrolled up: the new message and its reply come into view.
        self.screen.chat.scroll_end(animate=False)
        self.screen.chat.anchor()

    # -- regenerate, alternatives, delete ------------------------------------------------

    async def regenerate(self, message: Message) -> None:
        if message.role != "assistant":
            self.screen.notify("Only a reply can be regenerated; e edits your own message.", severity="warning")
            return
        try:
            self.session.regenerate(message.conversation_id, message.id)
        except Busy:
            self.screen.replies.warn_busy()
            return
        # The new reply replaces the old one on screen when it starts; a refusal leaves it there.
        self.screen.replies.started()
        self.screen.composer.focus_input()

    async def step(self, message: Message, step: int) -> None:
        if self.session.flight(message.conversation_id) is not None:
            self.screen.replies.warn_busy()
            return
        try:
            shown = self.studio.switch_alternative(message.id, step)
        except StudioError as exc:
            self.screen.notify(str(exc), severity="warning", markup=False)
            return
        await self.reload(select=shown.id)
        self.screen.conversation_list.reload()

    def delete(self, message: Message) -> None:
        from promptstudio_tui.screens.modals import ConfirmModal

        if self.session.flight(message.conversation_id) is not None:
            self.screen.replies.warn_busy()
            return

        async def delete(confirmed: bool | None) -> None:
            if not confirmed:
                return
            try:
                self.studio.delete_message(message.id)
            except StudioError as exc:
                self.screen.notify(str(exc), severity="warning", markup=False)
                return
            await self.reload()
            self.screen.conversation_list.reload()  # its preview is the branch's newest message
            self.screen.notify("Message deleted.")

        question = "Delete this message? What followed it stays, after the message before it."
        self.screen.app.push_screen(ConfirmModal(question), delete)

    async def reload(self, select: str | None = None) -> None:
        """Draw the branch now on screen (newest page), keeping the chat focused."""
        conversation = self.session.conversation
        if conversation is None:
            return
        chat = self.screen.chat
        messages = self.studio.history(conversation.id, limit=HISTORY_PAGE)
        earlier = len(messages) == HISTORY_PAGE and bool(
            self.studio.history(conversation.id, limit=1, before=messages[0].id)
        )
        await chat.show(messages, has_earlier=earlier, now=self.screen.clock(), live={})
        chat.focus()
        chat.select_id(select or (messages[-1].id if messages else None))

    def select(self) -> None:
        """alt+up from the composer: the chat takes the keys, its newest message selected."""
        if self.screen.chat.message_ids():
            self.screen.chat.focus()
        else:
            self.screen.notify("No message to select yet.", severity="warning")

    def page(self, step: int) -> None:
        """PageUp/PageDown wherever the focus is: the chat scrolls."""
        chat = self.screen.chat
        if step < 0:
            chat.scroll_page_up(animate=False)
        else:
            chat.scroll_page_down(animate=False)
