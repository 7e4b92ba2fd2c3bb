"""The model one conversation talks to: picked from what the endpoint offers, or typed."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Button, Input, OptionList, Static
from textual.widgets.option_list import Option

from promptstudio_tui.actions import NO_KEYMAP
from promptstudio_tui.errors import describe
from promptstudio_tui.sanitize import one_line
from promptstudio_tui.screens.modals import Modal, _buttons, show_text
from promptstudio_tui.studio import Studio


class ModelPicker(Modal[str | None]):
    """Dismisses with the model chosen or typed, or None when cancelled."""

    AUTO_FOCUS = "#model"

    def __init__(self, studio: Studio, current: str, *, keymap: Mapping[str, str] = NO_KEYMAP) -> None:
        super().__init__(keymap=keymap)
        self.studio = studio
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static("Model for this conversation", classes="title")
            yield Input(self.current, placeholder="gpt-4o-mini", id="model")
            yield Static(Text(f"Default for new conversations: {one_line(self.studio.settings.model)}"), classes="hint")
            yield Static("Asking the endpoint for its models…", id="model-status", classes="hint", markup=False)
            yield OptionList(id="models")
            yield Static(classes="error")
            yield _buttons("Use")

    def on_mount(self) -> None:
        self.query_one("#models", OptionList).display = False
        self._list_models()

    @work(exclusive=True, group="conversation-models", exit_on_error=False)
    async def _list_models(self) -> None:
        status = self.query_one("#model-status", Static)
        try:
            await asyncio.to_thread(self.studio.warm_up)  # the SDK loads on first use: off the event loop
            models = await self.studio.list_models()
        except Exception as exc:  # noqa: BLE001 - any failure means "type the name"; never a traceback here
            status.update(Text(f"Could not list models ({describe(exc) or type(exc).__name__}); type the name."))
            return
        if not models:
            status.update(Text("The endpoint offers no model list; type the name."))
            return
        status.update(Text(f"{len(models)} models offered; Enter on one uses it."))
        listed = self.query_one("#models", OptionList)
        listed.add_options([Option(Text(one_line(model)), id=model) for model in models])
        listed.display = True
        if self.current in models:
            listed.highlighted = models.index(self.current)

    @on(OptionList.OptionSelected, "#models")
    def _picked(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    @on(Input.Submitted)
    @on(Button.Pressed, "#confirm")
    def _submit(self) -> None:
        model = self.query_one("#model", Input).value.strip()
        if not model:
            show_text(self.query_one(".error", Static), f"Type a model name, or press {self.cancel_key} to cancel.")
            return
        self.dismiss(model)
