"""The prompt's versions on screen: step through them, see what changed, restore one,
refine by instruction, edit by hand (in the app or in $VISUAL/$EDITOR), and bring in
a prompt the user already has."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from textual.app import SuspendNotSupported

from promptstudio_tui.editor import EditorError, edit_text
from promptstudio_tui.events import StudioError
from promptstudio_tui.sanitize import one_line
from promptstudio_tui.session import Busy, Refused
from promptstudio_tui.store.records import Prompt, PromptVersion

if TYPE_CHECKING:
    from promptstudio_tui.screens.main import StudioScreen
    from promptstudio_tui.widgets.prompt_panel import PromptPanel

NO_CHANGES = "No changes; no version made."

WINDOW_SOURCES = {
    "assumed": "assumed — set context_window in config.toml",
    "endpoint": "from the endpoint",
    "table": "known model",
    "config": "config.toml",
}


def window_words(window: Any) -> str:
    """A context window as Settings and the generate status name it:
    "8,192 tokens (assumed — set context_window in config.toml)"."""
    return f"{window.tokens:,} tokens ({WINDOW_SOURCES.get(window.source, window.source)})"


class Workshop:
    def __init__(self, screen: StudioScreen) -> None:
        self.screen = screen
        self.session = screen.session
        self.studio = screen.studio

    @property
    def panel(self) -> PromptPanel:
        return self.screen.panel

    def _notify(self, text: str, severity: str = "information") -> None:
        self.screen.notify(text, severity=severity, markup=False)  # type: ignore[arg-type]

    # -- showing versions ---------------------------------------------------------------

    async def show(self, prompt: Prompt | None, number: int | None = None, *, compare: int | None = None) -> None:
        """`prompt` at version `number` (None: the newest); with `compare`, what changed from that version."""
        if prompt is None:
            await self.panel.show_prompt(None)
            return
        versions = self.studio.versions(prompt.id)
        shown = next((v for v in versions if v.number == number), versions[-1] if versions else None)
        comparison = None
        if compare is not None and shown is not None:
            from promptstudio_tui.widgets.diff_view import Comparison

            diff = self.studio.diff(prompt.id, compare, shown.number)
            comparison = Comparison(diff.old.number, diff.new.number, diff.words)
        await self.panel.show_prompt(prompt, versions, shown, comparison)
        self.screen.testing.lint_shown()

    def _current(self) -> tuple[Prompt, PromptVersion] | None:
        panel = self.panel
        if panel.current is None or panel.shown is None:
            self.screen.prompts.no_prompt_shown()
            return None
        return panel.current, panel.shown

    async def step(self, delta: int) -> None:
        current = self._current()
        if current is None:
            return
        prompt, shown = current
        numbers = [v.number for v in self.panel.versions]
        target = shown.number + delta
        if target not in numbers:
            edge = "oldest" if delta < 0 else "newest"
            self._notify(f"v{shown.number} is the {edge} version.")
            return
        comparing = self.panel.comparison is not None and target > numbers[0]
        await self.show(prompt, target, compare=target - 1 if comparing else None)

    async def toggle_changes(self) -> None:
        current = self._current()
        if current is None:
            return
        prompt, shown = current
        if self.panel.comparison is not None:
            await self.show(prompt, shown.number)
        elif len(self.panel.versions) < 2:
            self._notify("This prompt has one version: there is nothing to compare yet.")
        elif shown.number == self.panel.versions[0].number:
            await self.show(prompt, shown.number + 1, compare=shown.number)
        else:
            await self.show(prompt, shown.number, compare=shown.number - 1)

    def compare(self) -> None:
        from promptstudio_tui.screens.workshop_modals import CompareModal

        current = self._current()
        if current is None:
            return
        prompt, shown = current
        versions = self.panel.versions
        if len(versions) < 2:
            self._notify("This prompt has one version: there is nothing to compare yet.")
            return
        new = shown.number if shown.number > versions[0].number else versions[1].number
        old = new - 1

        async def chosen(pair: tuple[int, int] | None) -> None:
            if pair is not None:
                a, b = sorted(pair)
                await self.show(prompt, b, compare=a)

        self.screen.app.push_screen(CompareModal(versions, old, new), chosen)

    async def restore(self) -> None:
        current = self._current()
        if current is None:
            return
        prompt, shown = current
        if shown.number == self.panel.versions[-1].number:
            self._notify(f"v{shown.number} is the newest version: step back to an older one to restore it.")
            return
        try:
            made = self.studio.restore(prompt.id, shown.number)
        except StudioError as exc:
            self._notify(str(exc), "warning")
            return
        await self.changed(prompt.id)
        self._notify(f"Restored v{shown.number} as v{made.number}.")

    async def changed(self, prompt_id: str) -> None:
        """The prompt has a new version: show its newest, and the list."""
        await self.show(self.studio.prompt(prompt_id))
        self.screen.prompts.load()

    # -- new versions by hand or by instruction ---------------------------------------------

    def refine(self) -> None:
        from promptstudio_tui.screens.modals import TextInputModal

        current = self._current()
        if current is None:
            return
        prompt, _ = current

        async def ask(instruction: str | None) -> None:
            if instruction:
                await self.start_refine(prompt, instruction)

        dialog = TextInputModal(
            f"Ask for a change to “{one_line(prompt.title, 40)}”",
            placeholder="make it shorter, add a JSON output format…",
            keymap=self.studio.settings.keymap,
        )
        self.screen.app.push_screen(dialog, ask)

    async def start_refine(self, prompt: Prompt, instruction: str) -> None:
        screen = self.screen
        try:
            self.session.check_generate(prompt.conversation_id or prompt.id)
        except Busy:
            screen.replies.warn_busy()
            return
        except Refused as exc:
            self._notify(str(exc), "warning")
            return
        screen.panes.reveal("right")
        await screen.prompts.prepare(f"Refining v{prompt.version}: {one_line(instruction, 60)}…")
        self.session.refine(prompt, instruction)
        screen.replies.started()

    def edit(self, note: str = "") -> None:
        from promptstudio_tui.screens.workshop_modals import PromptEditor

        current = self._current()
        if current is None:
            return
        prompt, shown = current

        async def saved(text: str | None) -> None:
            if text is not None:
                await self.save_edit(prompt, shown, text)

        heading = f"Edit v{shown.number} of “{one_line(prompt.title, 50)}”"
        self.screen.app.push_screen(
            PromptEditor(heading, shown.content, note=note, keymap=self.studio.settings.keymap), saved
        )

    async def save_edit(self, prompt: Prompt, shown: PromptVersion, text: str) -> None:
        if text.strip() == shown.content.strip():
            self._notify(NO_CHANGES)
            return
        try:
            made = self.studio.edit_prompt(prompt.id, text)
        except StudioError as exc:
            self._notify(str(exc), "error")
            return
        if made is None:
            self._notify(NO_CHANGES)
            return
        await self.changed(prompt.id)
        self._notify(f"Saved your edit as v{made.number}.")

    async def edit_externally(self) -> None:
        current = self._current()
        if current is None:
            return
        prompt, shown = current
        if not (os.environ.get("VISUAL") or os.environ.get("EDITOR")):
            self.edit("$VISUAL and $EDITOR are not set: editing here instead.")
            return
        try:
            with self.screen.app.suspend():
                # The file lives in the app's private cache, not the shared /tmp.
                text = edit_text(shown.content, self.studio.paths.cache_dir)
        except SuspendNotSupported:
            self.edit("This terminal cannot hand over to your editor: editing here instead.")
            return
        except EditorError as exc:
            self._notify(str(exc), "error")
            return
        await self.save_edit(prompt, shown, text)

    # -- a prompt the user already has ------------------------------------------------------

    def import_prompt(self) -> None:
        from promptstudio_tui.screens.workshop_modals import ImportPromptModal

        async def imported(result: tuple[str, str] | None) -> None:
            if result is None:
                return
            text, title = result
            try:
                prompt = self.studio.import_prompt(text, title=title or None)
            except StudioError as exc:
                self._notify(str(exc), "error")
                return
            await self.opened_import(prompt)

        self.screen.app.push_screen(ImportPromptModal(keymap=self.studio.settings.keymap), imported)

    async def opened_import(self, prompt: Prompt) -> None:
        """Open the seeded conversation with v1 on the right; the assistant answers the seed at once."""
        screen = self.screen
        conversation_id = prompt.conversation_id
        if conversation_id is None:
            return
        await screen.conversations.open(conversation_id)
        screen.conversation_list.reload(keep=conversation_id)
        screen.panes.reveal("right")
        self._notify(f"Imported as v1 of “{one_line(prompt.title, 50)}”: the assistant looks at what it lacks.")
        screen.replies.retry()  # the seed is the user's turn: the engineer's first reply comes now
