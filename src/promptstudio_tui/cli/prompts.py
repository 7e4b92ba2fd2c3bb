"""`promptstudio prompts …`: saved prompts and their versions."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable
from contextlib import aclosing
from pathlib import Path

from promptstudio_tui.cli import prompt_files, prompt_tests
from promptstudio_tui.cli.common import (
    Command,
    PathArgument,
    json_out,
    open_studio,
    out,
    read_stdin,
    read_text,
    run,
    subcommands,
    version_number,
)
from promptstudio_tui.safe_files import shown


def _cmd_prompts(args: argparse.Namespace) -> int:
    studio = open_studio(args)
    if args.action == "list":
        return _prompts_list(studio, args)
    if args.action == "import":
        return _prompts_import(studio, args)
    if args.action in STUDIO_ACTIONS:  # actions on the studio, not on one prompt: (studio, args)
        return STUDIO_ACTIONS[args.action](studio, args)
    prompt = studio.find_prompt(args.id)
    return PROMPT_ACTIONS[args.action](studio, prompt, args)


def _prompts_list(studio, args: argparse.Namespace) -> int:
    from promptstudio_tui.sanitize import one_line

    prompts = studio.find_prompts(
        search=" ".join(args.search or ()),
        tag=args.tag,
        category=args.category,
        favourites=args.favourite,
        sort="title" if args.sort == "a-z" else "recent",
    )
    if args.json:
        json_out([json.loads(studio.export_prompt(p, "json")) for p in prompts])
        return 0
    for p in prompts:
        fav = "*" if p.is_favorite else " "
        when = p.created_at[:16].replace("T", " ")
        print(f"{p.id}  {fav} {when}  v{p.version:<3} {p.tokens_used:>6} tok  {one_line(p.title, 60)}")
    return 0


def _prompts_show(studio, prompt, args: argparse.Namespace) -> int:
    number = None if args.version is None else version_number(args.version)
    out(studio.version(prompt.id, number).content + "\n")
    return 0


def _prompts_export(studio, prompt, args: argparse.Namespace) -> int:
    if args.format == "prompt-yml":
        return prompt_files.export(studio, prompt, args)
    if args.output:
        path = studio.write_export(prompt, args.format, Path(args.output), overwrite=args.force)
        print(f"exported to {shown(path)}", file=sys.stderr)
    else:
        out(studio.export_prompt(prompt, args.format))
    return 0


def _prompts_versions(studio, prompt, args: argparse.Namespace) -> int:
    for v in studio.versions(prompt.id):
        print(f"v{v.number:<4} {v.created_at[:16].replace('T', ' ')}  {v.source:<9}  {v.tokens:>6} tok")
    return 0


def _prompts_diff(studio, prompt, args: argparse.Namespace) -> int:
    a = None if args.a is None else version_number(args.a)
    b = None if args.b is None else version_number(args.b)
    compared = studio.diff(prompt.id, a, b)
    words = compared.words
    summary = f"+{words.words_added} -{words.words_removed} words" if words.changed else "no changes"
    print(f"v{compared.old.number} → v{compared.new.number}: {summary}", file=sys.stderr)
    if not words.changed:
        print("no changes")
        return 0
    if sys.stdout.isatty() and not os.environ.get("NO_COLOR"):
        sys.stdout.write(_coloured(words))  # not out: its runs are inert already, the colours are ours
    else:
        out(words.plain())
    out("" if words.new.endswith("\n") else "\n")
    return 0


def _coloured(words) -> str:
    """Removed words red, added green (as `git diff --word-diff=color`); each run made inert first."""
    from promptstudio_tui.sanitize import inert

    styles = {"delete": "\x1b[31m", "insert": "\x1b[32m"}
    return "".join(
        f"{styles[run.kind]}{inert(run.text)}\x1b[0m" if run.kind in styles else inert(run.text) for run in words.runs
    )


def _prompts_restore(studio, prompt, args: argparse.Namespace) -> int:
    version = studio.restore(prompt.id, version_number(args.number))
    print(f"restored v{version.metadata['restored_from']} as v{version.number} of prompt {prompt.id}", file=sys.stderr)
    return 0


def _prompts_refine(studio, prompt, args: argparse.Namespace) -> int:
    from promptstudio_tui.events import PromptDelta, PromptReady

    instruction = read_text(args.instruction)

    async def refine() -> int:
        async with aclosing(studio.refine(prompt.id, instruction)) as events:
            async for event in events:
                if isinstance(event, PromptDelta):
                    out(event.text)
                elif isinstance(event, PromptReady):
                    out("\n")
                    made = event.version
                    print(f"saved v{made.number} of prompt {prompt.id} ({made.tokens} tokens)", file=sys.stderr)
        return 0

    return run(studio, refine)


def _prompts_edit(studio, prompt, args: argparse.Namespace) -> int:
    from promptstudio_tui.editor import edit_text

    latest = studio.version(prompt.id)
    edited = edit_text(latest.content + "\n", studio.paths.cache_dir)
    made = studio.edit_prompt(prompt.id, edited)
    if made is None:
        print("no changes; no version made", file=sys.stderr)
    else:
        print(f"saved v{made.number} of prompt {prompt.id} (edited, {made.tokens} tokens)", file=sys.stderr)
    return 0


def _prompts_import(studio, args: argparse.Namespace) -> int:
    from promptstudio_tui.events import StudioError

    if prompt_files.handles_import(args.file):
        return prompt_files.import_(studio, args)
    if args.file == "-":
        text, title = read_stdin(), None
    else:
        path = Path(args.file).expanduser()
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            raise StudioError(f"{shown(path)} is not UTF-8 text; save it as UTF-8 and import it again.") from None
        title = os.fsencode(path.stem).decode("utf-8", "replace")  # a name that is not UTF-8 is still a file
    prompt = studio.import_prompt(text, title=title)
    print(prompt.id)
    print(
        f"imported as v1 of prompt {prompt.id} ({prompt.tokens_used} tokens), with conversation "
        f"{prompt.conversation_id} to talk it over; `promptstudio generate --conversation ID` improves it",
        file=sys.stderr,
    )
    return 0


PROMPT_ACTIONS: dict[str, Callable[..., int]] = {  # actions on one prompt: (studio, prompt, args)
    "show": _prompts_show,
    "export": _prompts_export,
    "versions": _prompts_versions,
    "diff": _prompts_diff,
    "restore": _prompts_restore,
    "refine": _prompts_refine,
    "edit": _prompts_edit,
}
STUDIO_ACTIONS: dict[str, Callable[..., int]] = {}


def add_command(command: Command) -> dict[str, Callable[[argparse.Namespace], int]]:
    p = command("prompts", "saved prompts and their versions: list, show, diff, refine, edit, import …")
    action = subcommands(p, "prompt")

    a = action("list", "list saved prompts, newest first; the options narrow the list", takes_id=False)
    a.add_argument("--json", action="store_true", help="machine-readable list")
    a.add_argument("--search", nargs="+", metavar="WORD", help="only prompts whose title, text or tags hold every WORD")
    a.add_argument("--tag", metavar="TAG", help="only prompts tagged TAG")
    a.add_argument("--category", metavar="CATEGORY", help="only prompts in CATEGORY")
    a.add_argument("--favourite", "--favorite", action="store_true", help="only favourite prompts")
    a.add_argument("--sort", choices=("recent", "a-z"), default="recent", help="newest first (default) or by title")
    a = action("show", "print a prompt's latest text, or another version's")
    a.add_argument("--version", metavar="N", help="this version instead of the latest")
    a = action("export", "write a prompt as markdown, JSON or a .prompt.yml (GitHub Models)")
    a.add_argument("--format", choices=("md", "json", "prompt-yml"), default="md", help="export format")
    a.add_argument("-o", "--output", metavar="FILE", type=PathArgument, help="export to FILE instead of stdout")
    a.add_argument(
        "--force", action="store_true", help="replace FILE if it exists (prompt-yml: even if it is not this prompt's)"
    )
    action("versions", "one line per version: number, time, source, tokens")
    a = action("diff", "word diff between two versions (default: the previous one against the latest)")
    a.add_argument("a", nargs="?", metavar="A", help="the older version (default: the one before B)")
    a.add_argument("b", nargs="?", metavar="B", help="the newer version (default: the latest)")
    a = action("restore", "make an old version's text the latest, as a new version")
    a.add_argument("number", metavar="N", help="the version to restore")
    a = action("refine", "ask the model for a new version that follows INSTRUCTION; prints it")
    a.add_argument("instruction", metavar="INSTRUCTION", help='e.g. "make it shorter", or - to read stdin')
    action("edit", "edit the latest version in $VISUAL or $EDITOR; a changed text becomes a new version")
    a = action("import", "bring in a prompt (text, markdown with front matter, .prompt.yml) or a folder of them", False)
    a.add_argument(
        "file",
        metavar="FILE|DIR",
        type=PathArgument,
        help="the file, a folder of .prompt.yml files, or - to read stdin",
    )
    STUDIO_ACTIONS.update(prompt_files.add_actions(action))
    PROMPT_ACTIONS.update(prompt_tests.add_actions(action))
    return {"prompts": _cmd_prompts}
