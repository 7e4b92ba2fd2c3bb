"""The prompt pane's actions: generate (ctrl+g), show what streams in, and copy, save,
export, favourite, delete and the list's scope."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from promptstudio_tui.errors import describe
from promptstudio_tui.events import PromptReady, StudioError
from promptstudio_tui.sanitize import inert, one_line
from promptstudio_tui.session import Busy, Flight, FlightEnded, Refused
from promptstudio_tui.store.records import Conversation, Prompt
from promptstudio_tui.widgets.prompt_library import LibraryFilters

if TYPE_CHECKING:
    from promptstudio_tui.screens.main import StudioScreen

PROMPT_LIST_LIMIT = 200


class PromptActions:
    def __init__(self, screen: StudioScreen) -> None:
        self.screen = screen
        self.session = screen.session
        self.studio = screen.studio
        self.scope: str = self.studio.preference("ui.prompt_scope", "conversation")
        # The search and filters last for the session; the sort is remembered.
        self.filters = LibraryFilters(sort="title" if self.studio.preference("ui.prompt_sort") == "title" else "recent")
        self._drawn = 0  # pieces of the generation's text in the pane
        self._listed = 0  # listings asked for: a background one shows only if still the latest

    # -- generating -------------------------------------------------------------------

    async def generate(self) -> None:
        screen, conversation = self.screen, self.session.conversation
        if conversation is None:
            screen.notify("Open a conversation and talk it through first.", severity="warning")
            return
        try:
            self.session.check_generate(conversation.id)
        except Busy:
            screen.replies.warn_busy()
            return
        except Refused as exc:
            screen.notify(str(exc), severity="warning", markup=False)
            return
        screen.panes.reveal("right")
        prompt = self.studio.prompt_of(conversation.id)
        # Ready before the request starts: its report may be handled while this action still runs.
        await self.prepare(f"Making v{prompt.version + 1}…" if prompt else "Generating the prompt…")
        self.session.generate(conversation.id)
        screen.replies.started()

    async def prepare(self, doing: str) -> None:
        """Clear the pane for a generation; say so when the context window is only assumed."""
        from promptstudio_tui.screens.workshop import window_words

        window = self.studio.window()
        note = f"Context window: {window_words(window)}" if window.assumed else ""
        self._drawn = 0
        await self.screen.panel.start_generation(doing, note)

    async def text(self, flight: Flight) -> None:
        text, self._drawn = flight.text_since(self._drawn)
        if text:
            await self.screen.panel.append(text, flight.completion_tokens)
        elif flight.planning:
            self.screen.panel.planning(flight.completion_tokens)

    async def ready(self, flight: Flight, event: PromptReady) -> None:
        await self.text(flight)
        panel = self.screen.panel
        await panel.end_generation(None)
        await self.screen.workshop.show(event.prompt)
        self.load()
        version = event.version
        if version.number == 1:
            self.screen.notify(
                f"Prompt ready: {event.prompt.tokens_used:,} tokens. Save, copy or export it on the right."
            )
        else:
            changes = self.screen.key_hint("studio.show_changes")
            self.screen.notify(f"v{version.number} ready ({version.source}) — {changes} shows what changed.")

    async def over(self, ended: FlightEnded) -> None:
        self.screen.refresh_bindings()
        self.screen.replies.show_state()
        if ended.error:
            await self.screen.panel.end_generation(ended.error)
            self.screen.notify(ended.error, severity="error", markup=False, timeout=10)
        self.screen.show_settings()

    async def conversation_opened(self, conversation: Conversation | None) -> None:
        """Show its latest prompt; a generation in progress keeps the pane until it ends."""
        if self.session.generating() is None:
            await self.screen.workshop.show(self.studio.prompt_of(conversation.id) if conversation else None)
        self.load()

    # -- the list and the shown prompt ----------------------------------------------------

    def load(self) -> None:
        self._listed += 1  # a background listing still running is now out of date
        self._show(*self._query(*self._wanted()))

    def load_in_background(self) -> None:
        """The same, its queries in a thread: at start the library's tags take ~10 ms on 5,000
        prompts, and the first frame does not wait for them."""
        self._listed += 1
        listed, wanted = self._listed, self._wanted()

        def query() -> None:
            try:
                listing = self._query(*wanted)
            except Exception as exc:  # noqa: BLE001 - a store failure becomes one sentence
                self.screen.app.call_from_thread(self.screen.notify, describe(exc) or repr(exc), severity="error")
                return
            self.screen.app.call_from_thread(self._show_if_latest, listed, listing)

        self.screen.run_worker(query, thread=True, group="prompt-list", exit_on_error=False)

    def _wanted(self) -> tuple[bool, str | None]:
        """(anything to list, the conversation whose prompts to list; None: the whole library)."""
        if self.scope != "conversation":
            return True, None
        conversation = self.session.conversation
        return conversation is not None, conversation.id if conversation else None

    def _query(self, listed: bool, conversation_id: str | None) -> tuple[list[Prompt], list[str], list[str]]:
        studio, f = self.studio, self.filters
        prompts: list[Prompt] = []
        if listed:
            prompts = studio.find_prompts(
                conversation_id,
                search=f.search,
                tag=f.tag,
                category=f.category,
                favourites=f.favourites,
                sort=f.sort,
                limit=PROMPT_LIST_LIMIT,
            )
        return prompts, studio.prompt_tags(), studio.prompt_categories()

    def _show(self, prompts: list[Prompt], tags: list[str], categories: list[str]) -> None:
        self.screen.panel.set_prompts(prompts, self.scope, self.filters, tags, categories)

    def _show_if_latest(self, listed: int, listing: tuple[list[Prompt], list[str], list[str]]) -> None:
        if listed == self._listed:
            self._show(*listing)

    def filter(self, filters: LibraryFilters) -> None:
        """The library bar changed: list what it lets through."""
        if filters.sort != self.filters.sort:
            self.studio.set_preference("ui.prompt_sort", filters.sort)
        self.filters = filters
        self.load()

    def toggle_scope(self) -> None:
        self.scope = "all" if self.scope == "conversation" else "conversation"
        self.studio.set_preference("ui.prompt_scope", self.scope)
        self.load()

    def _shown(self) -> Prompt | None:
        prompt = self.screen.panel.current
        if prompt is None:
            self.no_prompt_shown()
        return prompt

    def no_prompt_shown(self) -> None:
        self.screen.notify(
            f"No prompt shown: press {self.screen.key_hint('studio.generate_prompt')} or pick one from the list.",
            severity="warning",
            markup=False,
        )

    async def chosen(self, prompt_id: str) -> None:
        """Picked from the list: show it at its newest version."""
        await self.screen.workshop.show(self.studio.prompt(prompt_id))

    async def _changed(self, prompt: Prompt | None) -> None:
        shown = self.screen.panel.shown  # title, tags or star changed: the same version stays on show
        await self.screen.workshop.show(prompt, shown.number if shown and prompt else None)
        self.load()

    def copy(self) -> None:
        prompt = self._shown()
        if prompt is not None:
            text = inert(self.screen.panel.shown_text)  # exactly the version shown: no control sequences
            self.screen.app.copy_to_clipboard(text)
            self.screen.notify(f"Copied {len(text):,} characters to the clipboard (OSC 52).")

    def save(self) -> None:
        from promptstudio_tui.screens.modals import SavePromptModal

        prompt = self._shown()
        if prompt is None:
            return

        async def save(result: tuple[str, str, list[str]] | None) -> None:
            if result is None:
                return
            title, category, tags = result
            try:
                saved = self.studio.save_prompt(prompt.id, title=title, category=category, tags=tags)
            except StudioError as exc:
                self.screen.notify(str(exc), severity="error", markup=False)
                return
            await self._changed(saved)
            self.screen.notify(f"Saved “{one_line(saved.title, 60)}”.", markup=False)

        self.screen.app.push_screen(SavePromptModal(prompt, self.studio.settings.categories), save)

    def export(self) -> None:
        from promptstudio_tui.screens.modals import ExportModal

        prompt = self._shown()
        if prompt is None:
            return

        def export(result: tuple[str, Path] | None) -> None:
            if result is None:
                return
            fmt, path = result
            try:
                written = self.studio.write_export(prompt, fmt, Path(path), overwrite=True)  # the dialog asked
            except StudioError as exc:
                self.screen.notify(str(exc), severity="error", markup=False)
                return
            self.screen.notify(f"Exported to {written}", markup=False)

        modal = ExportModal(prompt.title, self.studio.export_dir(), keymap=self.studio.settings.keymap)
        self.screen.app.push_screen(modal, export)

    async def favourite(self) -> None:
        prompt = self._shown()
        if prompt is not None:
            await self._changed(self.studio.favourite_prompt(prompt.id, not prompt.is_favorite))

    def delete(self) -> None:
        from promptstudio_tui.screens.modals import ConfirmModal

        prompt = self._shown()
        if prompt is None:
            return

        async def delete(confirmed: bool | None) -> None:
            if confirmed:
                self.studio.delete_prompt(prompt.id)
                await self._changed(None)
                self.screen.notify("Prompt deleted.")

        self.screen.app.push_screen(ConfirmModal(f"Delete the prompt “{one_line(prompt.title, 60)}”?"), delete)
