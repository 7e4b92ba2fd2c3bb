"""The shown version of a prompt: "v2 of 3 · refined · 2 min ago", and buttons to step
through the versions, see what changed and restore an old one."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Static

from promptstudio_tui.store.records import PromptVersion
from promptstudio_tui.widgets.formatting import ago


def version_line(shown: PromptVersion, count: int, now: datetime) -> str:
    """E.g. "v2 of 3 · refined · 2 min ago"."""
    return f"v{shown.number} of {count} · {shown.source} · {ago(shown.created_at, now)}"


class VersionBar(Vertical):
    DEFAULT_CSS = """
    VersionBar {
        height: auto;
        padding: 0 1;
    }
    #version-line {
        height: auto;
    }
    #version-line.-old {
        color: $warning;
    }
    #version-buttons {
        height: 1;
    }
    #version-buttons Button {
        min-width: 0;
        width: auto;
    }
    """

    def __init__(self, clock: Callable[[], datetime], changes_key: str, **kwargs) -> None:
        super().__init__(**kwargs)
        self._clock = clock
        self._changes_key = changes_key

    def compose(self) -> ComposeResult:
        yield Static(id="version-line", markup=False)
        with Horizontal(id="version-buttons"):
            yield Button(
                "‹", action="screen.previous_version", compact=True, id="version-previous", tooltip="Older version"
            )
            yield Button("›", action="screen.next_version", compact=True, id="version-next", tooltip="Newer version")
            yield Button(
                "Diff",
                action="screen.show_changes",
                compact=True,
                id="version-changes",
                tooltip=f"What changed from the version before ({self._changes_key})",
            )
            yield Button("Restore", action="screen.restore_version", compact=True, id="version-restore")

    def show(self, versions: Sequence[PromptVersion], shown: PromptVersion | None, comparing: bool) -> None:
        """The line and the buttons that apply; nothing when there is no version to show."""
        self.display = shown is not None
        if shown is None:
            return
        latest = versions[-1].number if versions else shown.number
        line = version_line(shown, len(versions) or 1, self._clock())
        if shown.number != latest:
            line += f" · the newest is v{latest}"
        label = self.query_one("#version-line", Static)
        label.update(Text(line))
        label.set_class(shown.number != latest, "-old")
        first = versions[0].number if versions else shown.number
        self.query_one("#version-buttons").display = len(versions) > 1  # one version: nothing to step to
        previous, following = self.query_one("#version-previous", Button), self.query_one("#version-next", Button)
        previous.disabled, following.disabled = shown.number <= first, shown.number >= latest
        # Short labels naming where they go: the row fits a 34-column pane with Restore.
        previous.label = f"‹ v{shown.number - 1}" if shown.number > first else "‹"
        following.label = f"v{shown.number + 1} ›" if shown.number < latest else "›"
        changes = self.query_one("#version-changes", Button)
        changes.disabled = len(versions) < 2
        changes.label = "Text" if comparing else "Diff"
        self.query_one("#version-restore", Button).display = shown.number != latest
