"""Every place the studio relies on a dependency's private API or undocumented behaviour.

Each touch names the upstream issue whose fix would retire it, and tests/test_compat.py
fails with a clear message when an upgrade removes or changes what it relies on. Nothing
outside this module may reach into textual, rich, openai, sqlite_utils or httpx2 privates
(tests/test_compat.py scans src/ and tests/ for it).

Imports are local: this module is imported on start-up, and each touch loads only what it needs.
"""

from __future__ import annotations

from enum import Enum
from typing import TYPE_CHECKING, cast

if TYPE_CHECKING:
    import argparse

    from rich.markdown import Markdown
    from textual.message import Message

# -- Textual: alt+enter from terminals without the kitty keyboard protocol ------------------
#
# tmux and most SSH sessions send alt+enter as ESC CR, which Textual 8.2 reads as a bare
# "enter" (it drops alt on named keys): the key meant to add a line would send the message.
# Retired by https://github.com/Textualize/textual/issues/6663 (open; PR #6577 adds the
# sequence to the same table).

LEGACY_ALT_ENTER = "\x1b\r"


class _LegacyKey(str, Enum):
    # The parser reads `.value` off the table's entries, as off its own `Keys` members.
    ALT_ENTER = "alt+enter"


def teach_legacy_alt_enter() -> None:
    """Make the input parser read ESC CR as alt+enter. Idempotent; call once the app starts."""
    from textual._ansi_sequences import ANSI_SEQUENCES_KEYS

    table = cast("dict[str, object]", ANSI_SEQUENCES_KEYS)  # typed read-only; a dict, read on every key
    table.setdefault(LEGACY_ALT_ENTER, (_LegacyKey.ALT_ENTER,))


# -- Textual: where a bubbling message goes next --------------------------------------------
#
# OrderedKeys (keyorder.py) lets a key go only once the one before it has finished its trip
# up the DOM, so it must know whether a message handled by a node went on to the node's
# parent. Textual keeps that state private (`Message._stop_propagation`, `Message._sender`)
# and decides in `MessagePump._dispatch_message`. No upstream issue yet for a public "is
# propagation stopped" property, which would retire this touch. Textual's side of the
# ordering problem is https://github.com/Textualize/textual/issues/6605 (open; PR #6631
# orders a widget's own bindings with typing, not keys that move focus or close a dialog).


def bubbled_to(message: Message, parent: object) -> bool:
    """Did `message`, just handled by a child of `parent`, go on to `parent`?

    Textual's rule: a bubbling message goes up unless stopped; one whose sender is the
    parent is stopped there, yet still reaches that parent.
    """
    return message.bubble and (not message._stop_propagation or message._sender is parent)


# -- Rich: the blank line Markdown puts between top-level blocks ----------------------------
#
# A streaming reply is rendered in pieces (widgets/message_view.py) that must join exactly as
# the whole reply renders. Rich decides the blank line before an element in
# `Markdown.__rich_console__` from a local `new_line` flag, set from the `new_line` of the
# element that closed last; no API exposes it. No upstream issue yet.


def markdown_blank_line_first(markdown: Markdown) -> bool:
    """Would Rich write the pending blank line before this document's first output?

    True when it renders something before its first element closes: a top-level block, or
    an image (drawn on its own, even inside a list or quote). A nested block's close is not
    rendered (its list or quote renders it later).
    """
    for token in markdown.parsed:
        if token.type == "inline":
            if any(child.type == "image" for child in token.children or ()):
                return True
        elif token.nesting != 1:
            return token.level == 0
    return False


def markdown_new_line_after(markdown: Markdown, before: bool) -> bool:
    """The `new_line` flag Rich carries past this document's last top-level block.

    `before`: the flag carried into it (kept when the document has no block).
    """
    from rich.markdown import UnknownElement

    blocks = [token for token in markdown.parsed if token.level == 0 and token.map]
    if not blocks:
        return before
    return markdown.elements.get(blocks[-1].type, UnknownElement).new_line


# -- argparse: the arguments a parser takes --------------------------------------------------
#
# The CLI names a refused argument as the user writes it (--title, TEXT), found by walking
# the parser and its subcommands' parsers: argparse keeps both private (`_actions`,
# `_SubParsersAction`). Retired by https://github.com/python/cpython/issues/144932 (open: a
# public way to the parsers of subcommands) with gh-101503 (public names for argparse's
# subparsers action and groups).


def argument_label(parser: argparse.ArgumentParser, dest: str) -> str | None:
    """How the user writes the argument stored in `dest`: its longest option, or its metavar."""
    import argparse

    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                if found := argument_label(sub, dest):
                    return found
        elif action.dest == dest:
            return max(action.option_strings, key=len) if action.option_strings else str(action.metavar or dest)
    return None
