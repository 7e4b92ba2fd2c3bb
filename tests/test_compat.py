"""compat.py: each reach into a dependency's privates still works, and there are no others.

A failure here after an upgrade names the touch that broke and where to look upstream;
a failure of the scan names a private use outside compat.py, to move there or replace.
"""

from __future__ import annotations

import ast
import functools
import importlib
import importlib.util
import io
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from rich.console import Console
from rich.markdown import Markdown
from textual import events
from textual.app import App, ComposeResult
from textual.message import Message
from textual.widget import Widget

from promptstudio_tui import compat
from promptstudio_tui.widgets.message_view import _Blocks

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src" / "promptstudio_tui"
DEPENDENCIES = {"textual", "rich", "openai", "sqlite_utils", "httpx", "httpx2", "markdown_it"}
# The quarantine itself, and this test of it.
QUARANTINE = {SRC / "compat.py", Path(__file__).resolve()}


# -- Textual: ESC CR is alt+enter -------------------------------------------------------------


def parsed_keys(data: str) -> list[str]:
    from textual._xterm_parser import XTermParser

    parser = XTermParser()
    return [event.key for event in [*parser.feed(data), *parser.feed("")] if isinstance(event, events.Key)]


def test_textual_still_reads_esc_cr_as_a_bare_enter_without_the_patch() -> None:
    """When this fails, Textual reads alt+enter itself: retire compat.teach_legacy_alt_enter."""
    code = (
        "import sys; sys.path.insert(0, 'tests'); from test_compat import parsed_keys; "
        "import promptstudio_tui.app; print(parsed_keys('\\x1b\\r'))"  # importing the app must not patch
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60, check=True)
    assert out.stdout.strip() == "['enter']", (
        f"Textual now parses ESC CR as {out.stdout.strip()} on its own (Textualize/textual#6663?): "
        "remove compat.teach_legacy_alt_enter and its call in keyorder.py"
    )


def test_the_patch_makes_esc_cr_alt_enter_and_nothing_else() -> None:
    try:
        compat.teach_legacy_alt_enter()
    except ImportError as err:
        pytest.fail(f"textual._ansi_sequences is gone ({err}): find where Textual maps key sequences now")
    assert parsed_keys(compat.LEGACY_ALT_ENTER) == ["alt+enter"], "Textual's parser ignores ANSI_SEQUENCES_KEYS now"
    assert parsed_keys("a\x1b\rb\r") == ["a", "alt+enter", "b", "enter"]


def test_the_app_teaches_the_parser_when_it_starts() -> None:
    code = (
        "import sys; sys.path.insert(0, 'tests'); from test_compat import parsed_keys; "
        "from promptstudio_tui.app import PromptStudioApp; PromptStudioApp(); print(parsed_keys('\\x1b\\r'))"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60, check=True)
    assert out.stdout.strip() == "['alt+enter']"


# -- Textual: where a bubbling message goes next ----------------------------------------------


class Ping(Message):
    def __init__(self, stop_here: bool) -> None:
        super().__init__()
        self.stop_here = stop_here


class Child(Widget):
    def on_ping(self, message: Ping) -> None:
        if message.stop_here:
            message.stop()


class Parent(Widget):
    def __init__(self) -> None:
        super().__init__()
        self.seen_bubbled: list[bool] = []  # compat's answer, asked as each message arrives

    def compose(self) -> ComposeResult:
        yield Child()

    def on_ping(self, message: Ping) -> None:
        self.seen_bubbled.append(compat.bubbled_to(message, self))


class Pings(App):
    def compose(self) -> ComposeResult:
        yield Parent()


@pytest.mark.parametrize("stop_here", [False, True])
async def test_bubbled_to_agrees_with_textuals_own_dispatch(stop_here: bool) -> None:
    app = Pings()
    async with app.run_test() as pilot:
        parent, child = app.query_one(Parent), app.query_one(Child)
        ping = Ping(stop_here)
        try:
            child.post_message(ping)
            await pilot.pause()
            answer = compat.bubbled_to(ping, parent)
        except AttributeError as err:
            pytest.fail(f"Textual's Message lost a private compat.bubbled_to reads ({err}): see keyorder.py")
        if stop_here:  # it never reached the parent, and compat says so
            assert (parent.seen_bubbled, answer) == ([], False), "compat.bubbled_to sees a stopped message go up"
        else:
            assert parent.seen_bubbled == [True], "compat.bubbled_to no longer follows MessagePump._dispatch_message"


def test_a_message_sent_by_the_parent_still_reaches_it_once_stopped() -> None:
    parent = Widget()
    ping = Ping(False).set_sender(parent)
    ping.stop()  # what Textual does on the hop below the sender

    assert compat.bubbled_to(ping, parent) and not compat.bubbled_to(ping, Widget())


# -- Rich: the blank line between Markdown blocks ---------------------------------------------

# Top-level blocks of every kind, and ones that end or begin with something rendered on its own.
DOCUMENT = "\n\n".join(
    [
        "# Title",
        "A paragraph with *emphasis*.",
        "- one\n- two\n\n  nested paragraph",
        "> a quote\n>\n> - with a list",
        "```python\nprint('hi')\n```",
        "---",
        "1. ![an image](http://example.com/a.png) in a list",
        "| a | b |\n|---|---|\n| 1 | 2 |",
        "    indented code",
        "Last words.",
    ]
)


def rendered(renderable: object, width: int = 60) -> str:
    console = Console(width=width, file=io.StringIO(), color_system=None)
    console.print(renderable)
    return console.file.getvalue()  # type: ignore[attr-defined]


def block_starts(text: str) -> list[int]:
    """Where each top-level block but the first starts."""
    lines = sorted({token.map[0] for token in Markdown(text).parsed if token.level == 0 and token.map})
    offsets = [0]
    for line in text.splitlines(keepends=True):
        offsets.append(offsets[-1] + len(line))
    return [offsets[line] for line in lines[1:]]


@pytest.mark.parametrize("split", block_starts(DOCUMENT))
def test_markdown_rendered_in_two_parts_joins_exactly_as_rendered_whole(split: int) -> None:
    first = _Blocks(Markdown(DOCUMENT[:split]), False)
    second = _Blocks(Markdown(DOCUMENT[split:]), first.new_line_after)

    assert rendered(first) + rendered(second) == rendered(Markdown(DOCUMENT)), (
        f"Rich's Markdown puts blank lines between blocks differently now (split before {DOCUMENT[split:][:20]!r}): "
        "re-derive compat.markdown_blank_line_first / markdown_new_line_after from Markdown.__rich_console__"
    )


# -- Nothing else reaches into a dependency's privates ----------------------------------------


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _files() -> list[Path]:
    return sorted([*SRC.rglob("*.py"), *(ROOT / "tests").rglob("*.py")])


def _project_names(trees: dict[Path, ast.Module]) -> set[str]:
    """Private names the project defines itself (its own attributes, functions, classes)."""
    names: set[str] = set()
    for tree in trees.values():
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                names.add(node.name)
            elif isinstance(node, ast.arg):
                names.add(node.arg)
            elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                names.add(node.id)
            elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
                names.add(node.attr)
            elif isinstance(node, ast.alias):
                names.add(node.asname or node.name)
    return {name for name in names if _private(name)}


@functools.cache
def _dependency_names() -> frozenset[str]:
    """Every private name written anywhere in the dependencies' sources."""
    names: set[str] = set()
    for package in DEPENDENCIES:
        spec = importlib.util.find_spec(package)
        if spec is not None and spec.origin is not None:
            for path in Path(spec.origin).parent.rglob("*.py"):
                names.update(re.findall(r"\b_[A-Za-z]\w*", path.read_text(encoding="utf-8", errors="replace")))
    return frozenset(names)


def _imported(tree: ast.Module) -> dict[str, str]:
    """Local name -> "module:attribute" for every `from module import attribute` in a file."""
    return {
        alias.asname or alias.name: f"{node.module}:{alias.name}"
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0
        for alias in node.names
    }


def _on_the_standard_library(value: ast.expr, tree: ast.Module) -> bool:
    """`value` is a module of Python's own, imported as `import os` somewhere in the file."""
    if not isinstance(value, ast.Name) or value.id not in sys.stdlib_module_names:
        return False
    return any(
        isinstance(node, ast.Import) and any(a.name == value.id and a.asname is None for a in node.names)
        for node in ast.walk(tree)
    )


def _dependency_privates(base: type) -> set[str]:
    return {
        name
        for cls in base.__mro__
        if cls.__module__.split(".")[0] in DEPENDENCIES
        for name in vars(cls)
        if _private(name)
    }


def _touches(path: Path, tree: ast.Module, ours: set[str]) -> Iterator[str]:
    """Private uses of a dependency in one file; `ours`: private names the project defines itself.

    An attribute counts when a dependency has a private of that name and we have none.
    """
    imported = _imported(tree)
    theirs = _dependency_names()
    for node in ast.walk(tree):
        where = f"{path.relative_to(ROOT)}:{getattr(node, 'lineno', '?')}"
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            modules = [alias.name for alias in node.names] if isinstance(node, ast.Import) else [node.module or ""]
            for module in modules:
                parts = module.split(".")
                if parts[0] in DEPENDENCIES and any(map(_private, parts)):
                    yield f"{where}: imports {module}"
            if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in DEPENDENCIES:
                yield from (f"{where}: imports {node.module}.{a.name}" for a in node.names if _private(a.name))
        elif isinstance(node, ast.Attribute) and node.attr in theirs and node.attr not in ours:
            if not _on_the_standard_library(node.value, tree):  # os._exit is documented, not a dependency's
                yield f"{where}: .{node.attr}"
        elif isinstance(node, ast.ClassDef):
            inherited: set[str] = set()
            for base in node.bases:
                if isinstance(base, ast.Name) and base.id in imported:
                    module, attribute = imported[base.id].split(":")
                    value = getattr(importlib.import_module(module), attribute, None)
                    if isinstance(value, type):
                        inherited |= _dependency_privates(value)
            for item in node.body:
                if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)) and item.name in inherited:
                    yield f"{where}: {node.name}.{item.name} overrides a dependency's private method"


def test_argparse_still_lists_a_parsers_arguments_and_its_subcommands() -> None:
    """argument_label walks argparse's private `_actions` and `_SubParsersAction`."""
    import argparse

    parser = argparse.ArgumentParser(prog="promptstudio")
    parser.add_argument("--model")
    sub = parser.add_subparsers(dest="command")
    send = sub.add_parser("send")
    target = send.add_mutually_exclusive_group()
    target.add_argument("--conversation", "-c", metavar="ID")
    send.add_argument("text", metavar="TEXT")

    labels = {dest: compat.argument_label(parser, dest) for dest in ("model", "conversation", "text", "nothing")}
    assert labels == {"model": "--model", "conversation": "--conversation", "text": "TEXT", "nothing": None}, (
        "argparse no longer lists a parser's arguments as compat.argument_label reads them "
        "(see python/cpython#144932): the CLI's refusals would name no argument"
    )


def test_no_private_api_of_a_dependency_is_used_outside_compat() -> None:
    trees = {path: ast.parse(path.read_text(encoding="utf-8"), str(path)) for path in _files()}
    ours = _project_names(trees)
    touches = [touch for path, tree in trees.items() if path not in QUARANTINE for touch in _touches(path, tree, ours)]

    assert touches == [], "private APIs of dependencies used outside compat.py:\n" + "\n".join(touches)


def test_the_scan_finds_each_kind_of_touch() -> None:
    """The scan itself can fail: every kind of touch it looks for is found in a sample."""
    sample = ast.parse(
        "from textual._ansi_sequences import ANSI_SEQUENCES_KEYS\n"
        "import openai._base_client\n"
        "from textual.widgets import TextArea\n"
        "parent = node._parent\n"
        "class Input(TextArea):\n"
        "    async def _on_key(self, event): ...\n"
    )
    found = list(_touches(SRC / "sample.py", sample, ours=set()))

    assert sorted(touch.split(": ", 1)[1] for touch in found) == [
        "._parent",
        "Input._on_key overrides a dependency's private method",
        "imports openai._base_client",
        "imports textual._ansi_sequences",
    ]
