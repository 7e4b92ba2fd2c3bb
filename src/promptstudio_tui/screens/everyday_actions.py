"""The studio screen's everyday comforts (a mixin): export a conversation, the welcome's
templates key, and the first start — a local server the welcome found, put to use."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from textual.screen import Screen

from promptstudio_tui.events import StudioError
from promptstudio_tui.widgets.composer import Composer
from promptstudio_tui.widgets.conversation_list import ConversationList
from promptstudio_tui.widgets.welcome import Welcome

if TYPE_CHECKING:
    from promptstudio_tui.screens.conversation_actions import ConversationActions
    from promptstudio_tui.session import Session
    from promptstudio_tui.studio import Studio


class EverydayActions(Screen[None]):
    """Mixed into StudioScreen."""

    if TYPE_CHECKING:
        studio: Studio
        session: Session
        conversations: ConversationActions

        def key_hint(self, binding_id: str) -> str: ...
        def show_settings(self) -> None: ...

    def welcome(self, tips: Sequence[str]) -> Welcome:
        """The welcome, naming the user's keys; it checks for a first start after the first frame."""
        return Welcome(
            tips,
            new_key=self.key_hint("studio.new_conversation"),
            choose_key=self.key_hint("studio.templates"),
            settings_key=self.key_hint("app.settings"),
            check_setup=self.studio.local_servers_to_offer,
            id="welcome",
        )

    async def action_choose_template(self) -> None:
        if self.session.conversation is not None:
            await self.conversations.close()  # the templates are on the welcome
        self.query_one(Welcome).focus_choices()

    def on_welcome_use_server(self, message: Welcome.UseServer) -> None:
        found = message.found
        try:
            self.studio.update_settings(base_url=found.server.base_url, model=found.model)
        except OSError as exc:
            self.notify(f"Could not save config.toml: {exc.strerror or exc}.", severity="error", markup=False)
            return
        self.show_settings()
        self.query_one(Welcome).recheck()
        self.notify(
            f"Using {found.server.name} at {found.server.base_url} with {found.model} "
            f"(saved in config.toml; {self.key_hint('app.settings')} changes it).",
            markup=False,
        )
        self.query_one(Composer).focus_input()

    def on_screen_resume(self) -> None:
        # Settings may have set a key or an endpoint: the first-start note goes.
        self.query_one(Welcome).recheck()

    def action_export_conversation(self) -> None:
        from promptstudio_tui.screens.modals import ExportModal

        listed = self.query_one(ConversationList)
        target = listed.current if self.focused is listed else self.session.conversation
        if target is None:
            self.notify("Open or select a conversation first.", severity="warning")
            return
        conversation_id = target.id

        def export(result: tuple[str, Path] | None) -> None:
            if result is None:
                return
            fmt, path = result
            try:  # the dialog asked before replacing a file
                written = self.studio.write_conversation_export(conversation_id, fmt, path, overwrite=True)
            except StudioError as exc:
                self.notify(str(exc), severity="error", markup=False)
                return
            self.notify(f"Exported to {written}", markup=False)

        modal = ExportModal(target.title, self.studio.export_dir(), keymap=self.studio.settings.keymap)
        self.app.push_screen(modal, export)
