"""The right pane: the prompt's shown version (streaming while ctrl+g runs) or what changed
from another, its actions, and the prompt list.

Only the title, the text and the list are composed at start: the version bar, the
buttons, the word diff, the lint, the Try view and the streaming view are mounted when
first needed (and their modules imported then), not on the way to the first frame.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Label, OptionList, Static

from promptstudio_tui.actions import bindings
from promptstudio_tui.messages import PromptChosen
from promptstudio_tui.sanitize import inert, one_line
from promptstudio_tui.store.records import Prompt, PromptVersion
from promptstudio_tui.widgets.formatting import plural, relative_date, spread
from promptstudio_tui.widgets.message_view import RenderedOnce, reply_markdown
from promptstudio_tui.widgets.prompt_library import LibraryBar, LibraryFilters
from promptstudio_tui.widgets.row_list import RowList

if TYPE_CHECKING:
    from textual.widgets import Markdown
    from textual.widgets.markdown import MarkdownStream

    from promptstudio_tui.widgets.diff_view import Comparison, DiffView
    from promptstudio_tui.widgets.lint_view import LintView
    from promptstudio_tui.widgets.try_view import TryView
    from promptstudio_tui.widgets.version_bar import VersionBar
    from promptstudio_tui.workshop.lint import LintReport

SCOPES = {"conversation": "This conversation", "all": "All prompts"}
RENDER_CACHE = 8  # versions kept rendered for stepping back and forth


def prompt_row(prompt: Prompt, now: datetime, width: int) -> Text:
    title = Text(one_line(prompt.title) or "Untitled")
    if prompt.is_favorite:
        title = Text.assemble(("★ ", "yellow"), title)
    return spread(title, Text(relative_date(prompt.created_at, now), style="dim"), width)


class PromptList(RowList):
    def __init__(self, clock: Callable[[], datetime], **kwargs) -> None:
        super().__init__(prompt_row, 1, clock, **kwargs)

    def show(self, prompts: list[Prompt], empty: str, current_id: str | None) -> None:
        self.rows, self.empty_text = prompts, empty
        self.fill(current_id)


def prompt_buttons() -> list[Horizontal]:
    """The shown prompt's actions: keep it, and make a new version of it."""
    return [
        Horizontal(
            Button("Save", action="screen.save_prompt", compact=True, id="prompt-save"),
            Button("Copy", action="screen.copy_prompt", compact=True, id="prompt-copy"),
            Button("Export", action="screen.export_prompt", compact=True, id="prompt-export"),
            Button("★", action="screen.favourite_prompt", compact=True, id="prompt-favourite", tooltip="Favourite"),
            Button("Delete", action="screen.delete_prompt", compact=True, variant="error", id="prompt-delete"),
            id="prompt-actions",
        ),
        Horizontal(
            Button("Refine…", action="screen.refine_prompt", compact=True, id="prompt-refine"),
            Button("Edit", action="screen.edit_prompt", compact=True, id="prompt-edit"),
            Button(
                "$EDITOR",
                action="screen.edit_prompt_externally",
                compact=True,
                id="prompt-edit-external",
                tooltip="Edit in $VISUAL or $EDITOR",
            ),
            id="prompt-work",
        ),
    ]


class PromptPanel(Vertical):
    DEFAULT_CSS = """
    #prompt-status {
        padding: 0 1;
        color: $text-muted;
        height: auto;
    }
    #prompt-status.-error {
        color: $error;
    }
    /* The shown text gets most of the height; on a short terminal the list gives way. */
    #prompt-scroll {
        height: 2fr;
        min-height: 4;
        padding: 0 1;
    }
    #prompt-text, #prompt-live {
        padding: 0;
        margin: 0;
        background: transparent;
    }
    /* Prompts read as documents: headings flush left while one streams in. */
    #prompt-live MarkdownHeader {
        content-align: left middle;
        margin: 1 0 0 0;
    }
    #prompt-meta {
        height: auto;
        padding: 0 1;
    }
    #prompt-actions, #prompt-work {
        height: 1;
        padding: 0 1;
    }
    #prompt-work {
        margin-bottom: 1;
    }
    #prompt-actions Button, #prompt-work Button {
        min-width: 0;
        width: auto;
    }
    #prompt-work Button {
        margin-right: 1;
    }
    #prompt-list {
        height: 1fr;
        min-height: 2;
        max-height: 10;
        border: none;
        padding: 0;
    }
    /* Finding a prompt: the list takes the room; on a short terminal all of the text's. */
    PromptPanel.-library #prompt-scroll {
        height: 1fr;
        min-height: 0;
    }
    PromptPanel.-library #prompt-list {
        height: 2fr;
        min-height: 3;
    }
    """
    BINDINGS = bindings("prompts")

    def __init__(self, clock: Callable[[], datetime], generate_key: str, changes_key: str = "f4", **kwargs) -> None:
        super().__init__(**kwargs)
        self._clock = clock
        self._generate_key = generate_key
        self._changes_key = changes_key
        self.current: Prompt | None = None
        self.versions: list[PromptVersion] = []  # the current prompt's, oldest first
        self.shown: PromptVersion | None = None  # the version on show (None: the prompt's text as it stands)
        self.comparison: Comparison | None = None  # set while the pane shows what changed
        self._stream: MarkdownStream | None = None
        # Mounted when first needed (see the module's docstring).
        self._bar: VersionBar | None = None
        self._buttons = False
        self._diff: DiffView | None = None
        self._lint: LintView | None = None
        self._work: TryView | None = None
        self._live: Markdown | None = None
        self._renders: dict[tuple[str, bool], RenderedOnce] = {}
        self._doing = "Generating the prompt…"
        self._generating_note = ""

    def compose(self) -> ComposeResult:
        with Horizontal(classes="pane-title"):
            yield Label("Prompt")
            yield Button("Generate", action="screen.generate_prompt", compact=True, variant="primary", id="generate")
        yield Static(id="prompt-status", markup=False)
        with VerticalScroll(id="prompt-scroll"):
            # A shown version is one Static (Rich renders a 4,000-token prompt in ~35 ms; the
            # Markdown widget builds a widget per block: ~2.4 s per step between versions).
            # The Markdown widget is kept for streaming, which it appends to block by block.
            yield Static(id="prompt-text", markup=False)
        yield Static(id="prompt-meta", markup=False)
        with Horizontal(classes="pane-title"):
            yield Label("Prompts", id="prompt-list-title")
            yield Button("Show all", action="screen.toggle_prompt_scope", compact=True, id="prompt-scope")
        yield LibraryBar(id="prompt-library")
        yield PromptList(self._clock, id="prompt-list")

    def on_mount(self) -> None:
        self._show_current()

    # -- parts mounted when first needed ------------------------------------------------

    async def _prompt_parts(self) -> None:
        """The version bar and the buttons, once a prompt is first shown."""
        if self._bar is None:
            from promptstudio_tui.widgets.version_bar import VersionBar

            self._bar = VersionBar(self._clock, self._changes_key, id="version-bar")
            await self.mount(self._bar, before="#prompt-scroll")
        if not self._buttons:
            self._buttons = True
            await self.mount_all(prompt_buttons(), after="#prompt-meta")

    def _diff_view(self) -> DiffView:
        if self._diff is None:
            from promptstudio_tui.widgets.diff_view import DiffView

            self._diff = DiffView(id="prompt-diff")
            self.query_one("#prompt-scroll").mount(self._diff)
        return self._diff

    def _lint_view(self) -> LintView:
        if self._lint is None:
            from promptstudio_tui.widgets.lint_view import LintView

            self._lint = LintView(id="prompt-lint")
            self.mount(self._lint, after="#prompt-scroll")
        return self._lint

    async def _live_view(self) -> Markdown:
        if self._live is None:
            from promptstudio_tui.widgets.safe_markdown import SafeMarkdown

            self._live = SafeMarkdown(id="prompt-live")
            await self.query_one("#prompt-scroll").mount(self._live)
        return self._live

    async def mount_work(self) -> None:
        """Mount the Try view (hidden until a run starts in it), the first time a run needs it."""
        if self._work is None:
            from promptstudio_tui.widgets.try_view import TryView

            self._work = TryView(id="try-view")
            self._work.display = False
            await self.mount(self._work, before="#prompt-meta")

    @property
    def work(self) -> TryView:
        """The Try view: a try-run's output, or a test's or compare's matrix (once opened)."""
        if self._work is None:
            raise LookupError("the Try view has not been opened")
        return self._work

    @property
    def work_shown(self) -> bool:
        return self._work is not None and self._work.display

    async def show_prompt(
        self,
        prompt: Prompt | None,
        versions: Sequence[PromptVersion] = (),
        shown: PromptVersion | None = None,
        comparison: Comparison | None = None,
    ) -> None:
        """The prompt at version `shown` (default: its text as it stands), or what changed."""
        self.current, self.versions = prompt, list(versions)
        self.shown = shown if prompt is not None else None
        self.comparison = comparison if prompt is not None else None
        text = self.shown.content if self.shown else prompt.content if prompt else ""
        if prompt is not None:
            await self._prompt_parts()
        view = self.query_one("#prompt-text", Static)
        if self.comparison is not None or self._diff is not None:
            diff = self._diff_view()
            diff.show(self.comparison)
            diff.display = self.comparison is not None
        view.display = self.comparison is None
        if self._live is not None:
            self._live.display = False
        self.show_lint(None)
        if self.comparison is None:
            # After the next frame: a conversation's messages show before its prompt is laid out.
            self.call_after_refresh(self._show_text, text)
        # A finished prompt reads from its task line: drop the streaming anchor.
        scroll = self.query_one("#prompt-scroll", VerticalScroll)
        scroll.anchor(False)
        scroll.scroll_home(animate=False)
        self._show_current()

    def _show_text(self, text: str) -> None:
        self.query_one("#prompt-text", Static).update(self._rendered(text) if text else "")

    def _rendered(self, text: str) -> RenderedOnce:
        """The text as markdown, parsed once: stepping back to a version seen before costs nothing."""
        key = (text, self.app.current_theme.dark)
        if key not in self._renders:
            if len(self._renders) >= RENDER_CACHE:
                del self._renders[next(iter(self._renders))]  # the oldest
            self._renders[key] = RenderedOnce(reply_markdown(text, key[1]))
        return self._renders[key]

    def show_lint(self, report: LintReport | None, names: Sequence[str] = ()) -> None:
        """What lint found in the shown version, with its variables, tokens and costs."""
        if report is not None or names or self._lint is not None:
            self._lint_view().show(report, names)

    @property
    def shown_text(self) -> str:
        """The text of the version on show (what copy, edit and export act on)."""
        return self.shown.content if self.shown else self.current.content if self.current else ""

    def _show_current(self) -> None:
        hint = f"Press {self._generate_key} to turn the conversation into a prompt."
        self._status("" if self.current else hint)
        if self._bar is not None:
            self._bar.show(self.versions, self.shown, self.comparison is not None)
        self._show_meta()
        self._show_actions()

    def _show_meta(self) -> None:
        prompt = self.current
        meta = self.query_one("#prompt-meta", Static)
        meta.display = prompt is not None
        if prompt is not None:
            star = "★ " if prompt.is_favorite else ""
            tags = f" · {', '.join(one_line(t) for t in prompt.tags)}" if prompt.tags else ""
            meta.update(
                Text.assemble(
                    (f"{star}{one_line(prompt.title)}", "bold"),
                    (f"\n{prompt.category} · {plural(prompt.tokens_used, 'token')}{tags}", "dim"),
                )
            )

    def _show_actions(self) -> None:
        self.query("#prompt-actions, #prompt-work").set(display=self.current is not None)

    def _status(self, text: str, *, error: bool = False) -> None:
        status = self.query_one("#prompt-status", Static)
        status.update(Text(text))
        status.set_class(error, "-error")
        status.display = bool(text)

    async def start_generation(self, doing: str = "Generating the prompt…", note: str = "") -> None:
        """Clear the pane for a prompt to stream in; `note` (e.g. an assumed context window) stays under it."""
        self.current, self.versions, self.shown, self.comparison = None, [], None, None
        self._show_current()
        markdown = await self._live_view()
        markdown.display = True
        self.query_one("#prompt-text").display = False
        if self._diff is not None:
            self._diff.display = False
        self.show_lint(None)
        await markdown.update("")
        self._stream = type(markdown).get_stream(markdown)
        self.query_one("#prompt-scroll", VerticalScroll).anchor()
        self._doing, self._generating_note = doing, note
        self._status(self._with_note(doing))

    def _with_note(self, text: str) -> str:
        return f"{text}\n{self._generating_note}" if self._generating_note else text

    async def append(self, text: str, tokens: int) -> None:
        if self._stream is not None:
            await self._stream.write(inert(text))
        self._status(self._with_note(f"{self._doing} ~{plural(tokens, 'token')}"))

    def planning(self, tokens: int) -> None:
        """The model is still planning: its plan is never shown, so say why nothing appears yet."""
        self._status(self._with_note(f"The model is planning (not shown)… ~{plural(tokens, 'token')}"))

    async def end_generation(self, error: str | None) -> None:
        if self._stream is not None:
            await self._stream.stop()
            self._stream = None
        if error:
            self._status(error, error=True)

    @property
    def prompts(self) -> list[Prompt]:
        return self.query_one(PromptList).rows

    def set_prompts(
        self,
        prompts: list[Prompt],
        scope: str,
        filters: LibraryFilters,
        tags: Sequence[str] = (),
        categories: Sequence[str] = (),
    ) -> None:
        """The list (what `filters` let through) and the library bar's choices."""
        if filters.narrowed:
            empty = "No prompt matches."
        else:
            empty = "No prompts yet." if scope == "all" else "No prompts from this conversation yet."
        listed = self.query_one(PromptList)
        # Moving through the list, the user keeps their row; else the prompt on show is highlighted.
        keep = (listed.current if listed.has_focus else None) or self.current
        listed.show(prompts, empty, keep.id if keep else None)
        self.query_one(LibraryBar).show(filters, tags, categories)
        self.query_one("#prompt-list-title", Label).update(f"{SCOPES[scope]} · {len(prompts)}")
        scope_button = self.query_one("#prompt-scope", Button)
        scope_button.label = "Show all" if scope == "conversation" else "Show this"
        scope_button.refresh(layout=True)  # a new label repaints at the old width: "Show this" was cut to "Show"

    def focus_library(self) -> None:
        self.query_one(LibraryBar).focus_search()

    @on(events.DescendantFocus)
    def _library_focused(self, event: events.DescendantFocus) -> None:
        library = (self.query_one(LibraryBar), self.query_one(PromptList))
        self.set_class(any(node in library for node in event.widget.ancestors_with_self), "-library")

    @on(events.DescendantBlur)
    def _library_left(self) -> None:
        self.remove_class("-library")  # a focus in the library that follows puts it back

    @on(OptionList.OptionSelected, "#prompt-list")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id is not None:
            self.post_message(PromptChosen(event.option.id))
