"""Shown when no conversation is open: quick tips and one starter template per category.

On a first start (no key, no endpoint) it says so and what to do, and offers a local
server that answers on its usual loopback port. That check reads the keyring and may
ask loopback ports, so it runs in a worker after the first frame.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.message import Message
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option
from textual.worker import Worker, WorkerState

from promptstudio_tui.catalog import TEMPLATES
from promptstudio_tui.local_servers import LOOPBACK
from promptstudio_tui.messages import ImportRequested, StartFromTemplate

if TYPE_CHECKING:
    from promptstudio_tui.local_servers import FoundServer

IMPORT_OPTION = "import"
SERVER_OPTION = "server:"  # + the index of the found server

# None: something is configured (nothing was probed); else the local servers that answer.
SetupCheck = Callable[[], "list[FoundServer] | None"]


class Welcome(VerticalScroll):
    DEFAULT_CSS = """
    Welcome {
        padding: 1 2;
    }
    .welcome-title {
        color: $accent;
    }
    .welcome-intro, .welcome-tips {
        margin: 1 0 0 0;
        color: $text-muted;
    }
    #setup {
        margin: 1 0 0 0;
        color: $warning;
        display: none;
    }
    .welcome-subtitle {
        margin: 1 0 0 0;
    }
    #templates {
        height: auto;
        max-height: 14;
        margin-top: 1;
    }
    """

    class UseServer(Message):
        """The user chose a local server the first-run check found."""

        def __init__(self, found: FoundServer) -> None:
            super().__init__()
            self.found = found

    def __init__(
        self,
        tips: Sequence[str],
        *,
        new_key: str,
        choose_key: str,
        settings_key: str,
        check_setup: SetupCheck | None = None,
        **kwargs,
    ) -> None:
        """The keys as the user's keymap names them; `check_setup` runs in a worker thread."""
        super().__init__(**kwargs)
        self._tips = tuple(tips)  # naming the user's keys (catalog.tips)
        self._new_key, self._choose_key, self._settings_key = new_key, choose_key, settings_key
        self._check_setup = check_setup
        self._servers: list[FoundServer] = []
        self.needs_setup = False  # known once the check has run
        self._checked = False
        self._checking = False  # a check is under way ...
        self._check_again = False  # ... and settings changed since it began

    def compose(self) -> ComposeResult:
        yield Static(Text("Welcome to Prompt Studio", style="bold"), classes="welcome-title")
        yield Static(
            Text(
                "Talk with the assistant about what you need; it asks one question at a time. "
                "When the picture is complete, it turns the conversation into a copy-ready prompt."
            ),
            classes="welcome-intro",
        )
        yield Static(id="setup")
        yield Static(Text("\n".join(f"• {tip}" for tip in self._tips)), classes="welcome-tips")
        yield Static(
            Text(
                f"Start from a template ({self._choose_key}, then Enter), "
                f"or press {self._new_key} for a blank conversation:",
                style="bold",
            ),
            classes="welcome-subtitle",
        )
        yield OptionList(*self._options(), id="templates", markup=False)

    def recheck(self) -> None:
        """Look (the screen asks each time it shows: on start, and back from Settings) unless
        already set up.
        Never two at once: they would ask the same servers twice; one asked for meanwhile
        runs when the one under way ends (the settings may have changed after it began)."""
        if self._check_setup is None or not (self.needs_setup or not self._checked):
            return
        if self._checking:
            self._check_again = True
            return
        self._checked = self._checking = True
        self._run_check()

    @work(thread=True, exit_on_error=False, group="first-run", exclusive=True)
    def _run_check(self) -> list[FoundServer] | None:
        assert self._check_setup is not None
        return self._check_setup()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group != "first-run" or not event.worker.is_finished:
            return
        self._checking = False
        if event.state == WorkerState.SUCCESS:
            self._show_setup(event.worker.result)
        if self._check_again:
            self._check_again = False
            self.recheck()

    def _show_setup(self, servers: list[FoundServer] | None) -> None:
        self.needs_setup = servers is not None
        offered_before, self._servers = self._servers, servers or []
        setup = self.query_one("#setup", Static)
        setup.display = self.needs_setup
        if self.needs_setup:
            lines = [
                f"Not set up yet: no API key and no endpoint. Press {self._settings_key} "
                "to add a key or choose an endpoint (Settings)."
            ]
            lines += [
                f"{found.server.name} answers on {LOOPBACK}:{found.server.port}: press {self._choose_key}, "
                f"then Enter, to use it ({found.model})."
                for found in self._servers
            ]
            setup.update(Text("\n".join(lines)))
        if self._servers == offered_before:
            return  # the list is as it was: leave the user's place in it alone
        options = self.query_one("#templates", OptionList)
        options.clear_options()
        options.add_options(self._options())

    def _options(self) -> list[Option]:
        servers = [
            Option(
                Text.assemble(
                    (f"Use {found.server.name}", "bold"), "  ", (f"{found.server.base_url} · {found.model}", "dim")
                ),
                id=f"{SERVER_OPTION}{index}",
            )
            for index, found in enumerate(self._servers)
        ]
        templates = [
            Option(Text.assemble((template.category, "bold"), "  ", (template.title, "dim")), id=str(index))
            for index, template in enumerate(TEMPLATES)
        ]
        improve = Option(
            Text.assemble(("Improve a prompt I already have", "bold"), "  ", ("paste it; v1 to improve on", "dim")),
            id=IMPORT_OPTION,
        )
        return [*servers, *templates, improve]

    def focus_choices(self) -> None:
        """Into the list, on its first entry: a local server to use, else the first template."""
        options = self.query_one("#templates", OptionList)
        options.focus()
        options.highlighted = 0

    @on(OptionList.OptionSelected, "#templates")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        chosen = event.option.id or "0"
        if chosen == IMPORT_OPTION:
            self.post_message(ImportRequested())
        elif chosen.startswith(SERVER_OPTION):
            self.post_message(self.UseServer(self._servers[int(chosen.removeprefix(SERVER_OPTION))]))
        else:
            self.post_message(StartFromTemplate(TEMPLATES[int(chosen)]))
