"""The scrolling conversation: the newest messages, older ones on request, live replies.

Anchored to the bottom so a streaming reply stays in view, until the user
scrolls up (Textual releases the anchor then and restores it at the bottom).
"""

from __future__ import annotations

from datetime import datetime

from rich.text import Text
from textual.containers import VerticalScroll
from textual.widgets import Button, Static

from promptstudio_tui.catalog import TIPS
from promptstudio_tui.store.records import Message
from promptstudio_tui.widgets.message_view import FAILED, MessageView


class ChatLog(VerticalScroll):
    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._views: dict[str, MessageView] = {}

    async def show(self, messages: list[Message], *, has_earlier: bool, now: datetime, live: dict[str, str]) -> None:
        """Replace the log; `live` holds the text so far of replies still streaming."""
        await self.remove_children()
        self._views.clear()
        await self.mount_all(self._header(has_earlier, bool(messages)))
        await self._mount_messages(messages, now, live)
        self._mark_retry()
        self.anchor()

    async def show_earlier(self, messages: list[Message], *, has_earlier: bool, now: datetime) -> None:
        """Put older messages above the ones shown, keeping the reader's place."""
        await self.query(".chat-header").remove()
        first = next(iter(self._views.values()), None)
        views = [MessageView(m, now) for m in messages]
        await self.mount_all(views, before=first)
        self._views = {**{v.message.id: v for v in views}, **self._views}
        await self.mount_all(self._header(has_earlier, True), before=0)
        if views:
            self.scroll_to_widget(views[-1], animate=False, top=True)

    async def add(self, message: Message, now: datetime) -> None:
        await self.query(".chat-tips, .chat-notice").remove()
        view = MessageView(message, now)
        self._views[message.id] = view
        await self.mount(view)
        self._mark_retry()

    async def append(self, message_id: str, text: str) -> None:
        view = self._views.get(message_id)
        if view is not None:
            await view.append(text)

    async def finish(self, message: Message) -> None:
        view = self._views.get(message.id)
        if view is not None:
            await view.finish(message, retry=False)
            self._mark_retry()

    async def show_notice(self, text: str) -> None:
        """A refusal or failure that produced no reply row (quota, no key, unreachable)."""
        await self.query(".chat-notice").remove()
        await self.mount(Static(Text(text), classes="chat-notice"))

    def message_ids(self) -> list[str]:
        return list(self._views)

    async def _mount_messages(self, messages: list[Message], now: datetime, live: dict[str, str]) -> None:
        views = [MessageView(m, now, text=live.get(m.id)) for m in messages]
        self._views.update((v.message.id, v) for v in views)
        await self.mount_all(views)

    def _header(self, has_earlier: bool, has_messages: bool) -> list:
        if has_earlier:
            return [Button("↑ Load earlier messages", action="screen.load_earlier", compact=True, classes="chat-header")]
        if not has_messages:
            tips = "\n".join(f"• {tip}" for tip in TIPS)
            return [Static(Text(f"Start by describing what you need.\n\n{tips}"), classes="chat-tips chat-header")]
        return []

    def _mark_retry(self) -> None:
        """Only the newest message offers a retry, and only when it failed."""
        views = list(self._views.values())
        for view in views[:-1]:
            view.set_retry(False)
        if views:
            views[-1].set_retry(views[-1].message.state in FAILED)
