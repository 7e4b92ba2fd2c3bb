"""What changed between two versions of a prompt, word by word.

Removed words are struck through in red and added ones underlined in green, and both
also carry the plain marks of `git diff --word-diff=plain` — [-removed-] and {+added+} —
so the diff reads the same without colour (NO_COLOR, a monochrome terminal, a screen
reader, a colour-blind reader).
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.widgets import Static

from promptstudio_tui.sanitize import inert
from promptstudio_tui.widgets.formatting import plural
from promptstudio_tui.workshop.diff import WordDiff

REMOVED_STYLE = "red strike"
ADDED_STYLE = "green underline"


@dataclass(frozen=True)
class Comparison:
    """Two versions of one prompt (by number) and the word diff from the first to the second."""

    old: int
    new: int
    words: WordDiff

    def summary(self) -> str:
        if not self.words.changed:
            return f"v{self.old} → v{self.new}: no changes"
        words = self.words
        return (
            f"v{self.old} → v{self.new}: +{plural(words.words_added, 'word')}, −{plural(words.words_removed, 'word')}"
        )


def diff_text(words: WordDiff) -> Text:
    """The runs as one Text: marks always, colours where the terminal shows them."""
    text = Text()
    for run in words.runs:
        shown = inert(run.text)  # model output: never a control sequence
        if run.kind == "equal":
            text.append(shown)
        elif run.kind == "delete":
            text.append(f"[-{shown}-]", style=REMOVED_STYLE)
        else:
            text.append(f"{{+{shown}+}}", style=ADDED_STYLE)
    return text


class DiffView(Static):
    """The word diff of a comparison, with a legend; plain text, never markup."""

    DEFAULT_CSS = """
    DiffView {
        height: auto;
        padding: 0;
    }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(markup=False, **kwargs)
        self.comparison: Comparison | None = None

    def show(self, comparison: Comparison | None) -> None:
        self.comparison = comparison
        if comparison is None:
            self.update("")
            return
        legend = Text.assemble(
            (comparison.summary(), "bold"),
            "\n",
            ("[-removed-]", REMOVED_STYLE),
            " ",
            ("{+added+}", ADDED_STYLE),
            "\n\n",
        )
        body = diff_text(comparison.words) if comparison.words.changed else Text("The two texts are the same.")
        self.update(Text.assemble(legend, body))
