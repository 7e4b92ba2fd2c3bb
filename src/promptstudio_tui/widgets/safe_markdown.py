"""Textual's Markdown widget, minus two costs that untrusted model output can make unbounded.

Streaming re-parses the last block on every append, so any super-linear step freezes the
UI on a big reply: linkify's pretest regex (a 1 MB one-line reply held the event loop
for ~25 s) and Pygments' language guessing for fences without a language (a 100 KB
fence took minutes). Links are never opened from model output anyway, and the settled
view (Rich's Markdown) guesses no language either.
"""

from __future__ import annotations

from markdown_it import MarkdownIt
from textual.content import Content
from textual.widgets import Markdown
from textual.widgets.markdown import MarkdownBlock, MarkdownFence


def _parser() -> MarkdownIt:
    return MarkdownIt("gfm-like").disable("linkify")


class _Fence(MarkdownFence):
    @classmethod
    def highlight(cls, code: str, language: str, ansi: bool = False, dark: bool = False) -> Content:
        return super().highlight(code, language or "text", ansi, dark)  # "text": no guessing


class SafeMarkdown(Markdown):
    def get_block_class(self, block_name: str) -> type[MarkdownBlock]:
        return _Fence if block_name in ("fence", "code_block") else super().get_block_class(block_name)

    def __init__(self, markdown: str | None = None, **kwargs) -> None:
        super().__init__(markdown, parser_factory=_parser, open_links=False, **kwargs)
