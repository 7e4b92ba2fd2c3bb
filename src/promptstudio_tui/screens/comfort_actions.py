"""The studio screen's comforts (a mixin): zoom a pane to the full screen, the prompt
library's search and filters, a conversation's tags, and the model it talks to."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import on
from textual.screen import Screen

from promptstudio_tui.events import StudioError
from promptstudio_tui.sanitize import one_line
from promptstudio_tui.widgets.prompt_library import LibraryBar

if TYPE_CHECKING:
    from promptstudio_tui.screens.conversation_actions import ConversationActions
    from promptstudio_tui.screens.panes import Panes
    from promptstudio_tui.screens.prompt_actions import PromptActions
    from promptstudio_tui.session import Session
    from promptstudio_tui.studio import Studio
    from promptstudio_tui.widgets.chat_header import ChatHeader
    from promptstudio_tui.widgets.composer import Composer
    from promptstudio_tui.widgets.prompt_panel import PromptPanel


class ComfortActions(Screen[None]):
    """Mixed into StudioScreen."""

    if TYPE_CHECKING:
        studio: Studio
        session: Session
        panes: Panes
        conversations: ConversationActions
        prompts: PromptActions

        @property
        def header(self) -> ChatHeader: ...
        @property
        def composer(self) -> Composer: ...
        @property
        def panel(self) -> PromptPanel: ...

        def key_hint(self, binding_id: str) -> str: ...

    def action_zoom(self) -> None:
        zoomed = self.panes.zoom()
        if zoomed is not None:
            self.notify(f"{self.key_hint('studio.zoom')} again brings the panes back.", timeout=3)

    def action_search_prompts(self) -> None:
        self.panes.reveal("right")
        self.panel.focus_library()

    @on(LibraryBar.Changed)
    def _library_changed(self, message: LibraryBar.Changed) -> None:
        self.prompts.filter(message.filters)

    def action_tag_conversation(self) -> None:
        self.conversations.tag()

    # -- the conversation's model ---------------------------------------------------

    def show_model(self) -> None:
        """The open conversation's model (else the default) in the header; the composer counts for it."""
        model = self.studio.model_of(self.session.conversation)
        self.header.model = model
        self.composer.set_model(model)

    def action_choose_conversation_model(self) -> None:
        from promptstudio_tui.screens.model_picker import ModelPicker

        conversation = self.session.conversation
        if conversation is None:
            self.notify("Open a conversation first: each one keeps its own model.", severity="warning")
            return

        def chosen(model: str | None) -> None:
            if not model:
                return
            try:
                self.session.updated(self.studio.set_conversation_model(conversation.id, model))
            except StudioError as exc:
                self.notify(str(exc), severity="error", markup=False)
                return
            self.show_model()
            self.notify(f"This conversation now talks to {one_line(model, 60)}.", markup=False)

        picker = ModelPicker(self.studio, self.studio.model_of(conversation), keymap=self.studio.settings.keymap)
        self.app.push_screen(picker, chosen)
