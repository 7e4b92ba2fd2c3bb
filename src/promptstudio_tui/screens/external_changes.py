"""What other processes write shows without a key press: a `send` from a shell, a second
studio, a test run or a `prompts import` from the CLI.

Every CHECK_SECONDS, and when the terminal gives the app the focus back, the studio is
asked whether another process committed (SQLite's data_version: one PRAGMA, no table
read; in a thread, as a worker may hold the store's lock for a while). If so the
conversation list reloads (its rows and count), the plan meter is read again, and the
prompt library is listed again (in a thread; the shown prompt and the list's highlighted
row stay).

The open conversation is then read again (its record and as many of its newest messages
as the chat shows, in a thread) and compared with what the chat shows: only when a message
differs (new turns, another process's reply growing or settling, a message deleted or
starred) is the chat drawn again, as opening the conversation draws it; the composer, its
draft and the focus are left alone. A new title or category elsewhere shows in the header.
The chat is not drawn again, and the comparison waits for a later check, while a reply or a
generation of that conversation streams in this studio (the stream draws it), while the
user has scrolled up to read (their place stays; it is drawn once they are back at the end)
or has a message selected to act on.

The list's relative dates ("3 min ago") are rebuilt every DATES_SECONDS as time passes,
unless the list has the focus (a rebuild would move its scroll position under the user).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import TYPE_CHECKING

from promptstudio_tui.screens.conversation_actions import HISTORY_PAGE
from promptstudio_tui.store.records import Conversation, Message

if TYPE_CHECKING:
    from promptstudio_tui.screens.main import StudioScreen

CHECK_SECONDS = 2.0
DATES_SECONDS = 60.0


@dataclass(frozen=True)
class Stored:
    """The open conversation as the store has it now."""

    conversation: Conversation
    messages: list[Message]  # its newest, as many as the chat showed when it was read
    has_earlier: bool


class ExternalChanges:
    def __init__(self, screen: StudioScreen) -> None:
        self.screen = screen
        # Another process committed since the open chat was last compared with the store.
        self.chat_maybe_stale = False
        self._reading = False

    def start(self) -> None:
        self.screen.set_interval(CHECK_SECONDS, self.check)
        self.screen.set_interval(DATES_SECONDS, self._redate)
        self.screen.watch(self.screen.app, "app_focus", self._focus_changed, init=False)

    async def check(self) -> None:
        screen = self.screen
        changed = await asyncio.to_thread(screen.studio.changed_elsewhere)
        if changed:
            self.chat_maybe_stale = True
        if self.chat_maybe_stale:
            await self._read_chat()  # before the list reloads: a reply it marks read shows read there
        if changed:
            screen.conversation_list.reload()
            screen.show_settings()  # the plan meter
            screen.prompts.load_in_background()

    def _focus_changed(self, focused: bool) -> None:
        if focused:
            self.screen.run_worker(self.check(), group="external-changes", exit_on_error=False)

    def _redate(self) -> None:
        if not self.screen.conversation_list.has_focus:
            self.screen.conversation_list.refresh_rows()

    # -- the open conversation ----------------------------------------------------------

    def _may_redraw(self, conversation_id: str) -> bool:
        chat = self.screen.chat
        return (
            self.screen.session.flight(conversation_id) is None  # its stream draws it
            and chat.selected is None  # a message picked to act on
            # Scrolled up to read: the place stays. (A log shorter than the view cannot
            # scroll: anchored to its end, its offset is even below zero.)
            and (chat.max_scroll_y == 0 or chat.scroll_offset.y >= chat.max_scroll_y)
        )

    async def _read_chat(self) -> None:
        conversation = self.screen.session.conversation
        if conversation is None:
            self.chat_maybe_stale = False
            return
        if self._reading or not self._may_redraw(conversation.id):
            return  # a later check compares it
        shown = self.screen.chat.message_ids()
        self._reading = True
        try:
            stored = await asyncio.to_thread(self._read, conversation.id, max(HISTORY_PAGE, len(shown)))
        except KeyError:  # deleted by another process: there is nothing newer to show
            self.chat_maybe_stale = False
            return
        except Exception:  # noqa: BLE001 - the store cannot answer now (held too long): a later check asks again
            return
        finally:
            self._reading = False
        # Drawn on the screen's own loop, in turn with what the user and the streams do there.
        self.screen.call_later(self._redraw, stored, shown)

    def _read(self, conversation_id: str, limit: int) -> Stored:
        """In a worker thread (the store serialises access with its lock)."""
        studio = self.screen.studio
        conversation = studio.conversation(conversation_id)
        messages = studio.history(conversation_id, limit=limit)
        has_earlier = len(messages) >= limit and bool(studio.history(conversation_id, limit=1, before=messages[0].id))
        return Stored(conversation, messages, has_earlier)

    async def _redraw(self, stored: Stored, shown: list[str]) -> None:
        screen, chat, conversation = self.screen, self.screen.chat, stored.conversation
        current = screen.session.conversation
        if (
            not chat.is_attached  # the app is closing (ctrl+q while the read ran): nothing to draw into
            or current is None
            or current.id != conversation.id
            or chat.message_ids() != shown
            or not self._may_redraw(conversation.id)
        ):
            return  # it changed here while it was read: a later check reads it again
        self.chat_maybe_stale = False
        if conversation.unread_count:  # a reply landed while another studio looked elsewhere
            conversation = screen.studio.open_conversation(conversation.id)  # read, as opening it makes it
            screen.conversation_list.reload()  # its unread badge goes
        screen.session.updated(conversation)
        if (current.title, current.category, current.model) != (
            conversation.title,
            conversation.category,
            conversation.model,
        ):
            screen.conversations.show_title()
        if not self._drawn(stored.messages):
            await chat.show(stored.messages, has_earlier=stored.has_earlier, now=screen.clock(), live={})

    def _drawn(self, messages: list[Message]) -> bool:
        """Whether the chat shows exactly these messages, each as stored."""
        return self.screen.chat.messages() == messages
