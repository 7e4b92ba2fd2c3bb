"""The conversation list's actions and opening conversations: new, open, rename,
categorize, star, archive, delete, and paging the chat's history; on start, the
conversation that was open; and the composer's text kept as each one's draft."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.timer import Timer
from textual.widgets import ContentSwitcher

from promptstudio_tui.events import StudioError
from promptstudio_tui.sanitize import one_line
from promptstudio_tui.store.records import Conversation, Message

if TYPE_CHECKING:
    from promptstudio_tui.screens.main import StudioScreen

# Messages rendered when a conversation opens (a 48-row terminal shows 2-4);
# older ones on request. 40 took ~4x longer to show the newest (docs/performance.md).
HISTORY_PAGE = 12
# While typing, the draft is stored at most this long after a change: what a crash or a
# closed terminal can lose. (Switching conversations and quitting store it at once.)
DRAFT_SAVE = 1.0


class ConversationActions:
    def __init__(self, screen: StudioScreen) -> None:
        self.screen = screen
        self.session = screen.session
        self.studio = screen.studio
        self._draft_timer: Timer | None = None

    def fetch(self, tab: str, sort: str, search: str, offset: int, limit: int) -> tuple[list[Conversation], int | None]:
        """A page of the list; runs in a worker thread (the store serialises access with its lock)."""
        return self.studio.conversation_page(tab, sort, search, offset, limit)  # type: ignore[arg-type]

    # -- opening --------------------------------------------------------------------

    def resume(self) -> bool:
        """On start, before the first frame: the conversation that was open (its newest
        messages and its prompts follow just after) and the draft, or the welcome with its
        draft. False: no conversation to reopen."""
        conversation = self.session.resume()
        self._show_draft()
        if conversation is None:
            return False
        self._enter(conversation)
        self.screen.call_after_refresh(self._fill, conversation)
        return True

    async def open(self, conversation_id: str) -> None:
        listed = next((row for row in self.screen.conversation_list.rows if row.id == conversation_id), None)
        self.session.typed(self.screen.composer.text)  # the draft of the one left, as it is now
        conversation = self.session.open(conversation_id)
        if listed is not None and listed.unread_count:
            self.screen.conversation_list.reload(keep=conversation_id)  # its unread badge goes
        await self._show(conversation)

    async def open_new(self, category: str = "General") -> Conversation:
        self.session.typed(self.screen.composer.text)
        conversation = self.session.open_new(category)
        await self._show(conversation)
        self.screen.conversation_list.reload(keep=conversation.id)
        return conversation

    async def _show(self, conversation: Conversation) -> None:
        self._enter(conversation)
        self._show_draft()
        await self._fill(conversation)

    def _enter(self, conversation: Conversation) -> None:
        screen = self.screen
        screen.conversation_list.select_id(conversation.id)
        self.show_title()
        screen.replies.show_state()
        screen.query_one(ContentSwitcher).current = "chat-log"

    async def _fill(self, conversation: Conversation) -> None:
        """The newest messages (the log keeps to the bottom), the prompt pane, the focus."""
        screen = self.screen
        messages = self.studio.history(conversation.id, limit=HISTORY_PAGE)
        live = screen.replies.live(conversation.id)
        await screen.chat.show(messages, has_earlier=self._has_earlier(messages), now=screen.clock(), live=live)
        await screen.prompts.conversation_opened(conversation)
        screen.composer.focus_input()

    async def close(self) -> None:
        screen = self.screen
        self.session.close()
        self.show_title()
        screen.replies.show_state()
        screen.query_one(ContentSwitcher).current = "welcome"
        self._show_draft()
        await screen.prompts.conversation_opened(None)

    def _show_draft(self) -> None:
        """The open conversation's draft in the composer, the cursor at its end."""
        if self.screen.composer.text != self.session.draft:  # unchanged: no change event (it warms the SDK)
            self.screen.composer.set_text(self.session.draft)

    def typed(self, text: str) -> None:
        """The composer changed to `text`: the open conversation's draft, stored shortly."""
        self.session.typed(text)
        if self._draft_timer is None:
            self._draft_timer = self.screen.set_timer(DRAFT_SAVE, self._save_draft)

    def _save_draft(self) -> None:
        self._draft_timer = None
        self.session.save_draft()

    def show_title(self) -> None:
        conversation = self.session.conversation
        if conversation is None:
            self.screen.header.show(None)
        else:
            self.screen.header.show(conversation.title, conversation.category)
        self.screen.show_model()

    def refresh_title(self) -> None:
        """The first message titles a new conversation: show the new title."""
        self.session.reload()
        self.show_title()

    def _has_earlier(self, messages: list[Message]) -> bool:
        if len(messages) < HISTORY_PAGE:
            return False
        return bool(self.studio.history(messages[0].conversation_id, limit=1, before=messages[0].id))

    async def load_earlier(self) -> None:
        ids = self.screen.chat.message_ids()
        conversation = self.session.conversation
        if conversation is None or not ids:
            return
        older = self.studio.history(conversation.id, limit=HISTORY_PAGE, before=ids[0])
        await self.screen.chat.show_earlier(older, has_earlier=self._has_earlier(older), now=self.screen.clock())

    async def new(self) -> None:
        screen = self.screen
        if self.session.conversation is not None and not screen.chat.message_ids():
            screen.composer.focus_input()  # already on an empty one: do not pile up blank rows
            return
        await self.open_new()

    # -- the row actions ------------------------------------------------------------

    def _target(self) -> Conversation | None:
        """The highlighted row while the list has focus, else the open conversation."""
        screen, open_one = self.screen, self.session.conversation
        target = (
            screen.conversation_list.current
            if screen.focused is screen.conversation_list or open_one is None
            else open_one
        )
        if target is None:
            screen.notify("Select a conversation first.", severity="warning")
        return target

    def _updated(self, conversation: Conversation) -> None:
        self.session.updated(conversation)
        self.show_title()
        self.screen.conversation_list.reload(keep=conversation.id)

    def rename(self) -> None:
        from promptstudio_tui.screens.modals import TextInputModal

        target = self._target()
        if target is None:
            return

        def rename(title: str | None) -> None:
            if title:
                try:
                    self._updated(self.studio.rename_conversation(target.id, title))
                except StudioError as exc:
                    self.screen.notify(str(exc), severity="error", markup=False)

        self.screen.app.push_screen(
            TextInputModal("Rename conversation", one_line(target.title), "Title", keymap=self.studio.settings.keymap),
            rename,
        )

    def categorize(self) -> None:
        from promptstudio_tui.screens.modals import CategoryModal

        target = self._target()
        if target is None:
            return

        def categorize(category: str | None) -> None:
            if category:
                self._updated(self.studio.categorize_conversation(target.id, category))

        settings = self.studio.settings
        self.screen.app.push_screen(
            CategoryModal(target.category, settings.categories, keymap=settings.keymap), categorize
        )

    def tag(self) -> None:
        from promptstudio_tui.screens.tags_modal import TagsModal

        target = self._target()
        if target is None:
            return

        def tag(tags: list[str] | None) -> None:
            if tags is not None:
                self._updated(self.studio.tag_conversation(target.id, tags))
                self.screen.notify(f"Tags: {', '.join(tags)}." if tags else "Tags removed.", markup=False)

        self.screen.app.push_screen(TagsModal(target.title, target.tags, keymap=self.studio.settings.keymap), tag)

    def star(self) -> None:
        target = self._target()
        if target is not None:
            self._updated(self.studio.star_conversation(target.id, not target.is_starred))
            self.screen.notify("Unstarred." if target.is_starred else "Starred.")

    def archive(self) -> None:
        target = self._target()
        if target is not None:
            archive = target.status != "archived"
            self._updated(self.studio.archive_conversation(target.id, archive))
            self.screen.notify("Archived: find it in the Archived tab." if archive else "Moved back to All.")

    def delete(self) -> None:
        from promptstudio_tui.screens.modals import ConfirmModal

        target = self._target()
        if target is None:
            return
        if self.session.flight(target.id) is not None:
            self.screen.replies.warn_busy()
            return

        async def delete(confirmed: bool | None) -> None:
            if not confirmed:
                return
            was_open = self.session.shown(target.id)
            self.studio.delete_conversation(target.id)
            self.session.deleted(target.id)
            if was_open:
                await self.close()
            self.screen.conversation_list.reload()
            self.screen.notify("Conversation deleted.")

        question = f"Delete “{one_line(target.title, 60)}” and all its messages? Prompts generated from it are kept."
        self.screen.app.push_screen(ConfirmModal(question), delete)
