"""`promptstudio conversations …`: list them, print one, export one as Markdown or JSON."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from promptstudio_tui.cli.common import Command, PathArgument, json_out, open_studio, out, subcommands
from promptstudio_tui.safe_files import shown


def _cmd_conversations(args: argparse.Namespace) -> int:
    studio = open_studio(args)
    if args.action == "list":
        return _list(studio, args)
    conversation = studio.find_conversation(args.id)
    if args.action == "show":
        out(studio.export_conversation(conversation.id, "md"))
    elif args.output:
        path = studio.write_conversation_export(conversation.id, args.format, Path(args.output), overwrite=args.force)
        print(f"exported to {shown(path)}", file=sys.stderr)
    else:
        out(studio.export_conversation(conversation.id, args.format))
    return 0


def _list(studio, args: argparse.Namespace) -> int:
    from promptstudio_tui.sanitize import one_line

    rows, _ = studio.conversation_page("archived" if args.archived else "all", "recent", args.search, 0, args.limit)
    if args.json:
        json_out([_conversation_json(c) for c in rows])
    else:
        for c in rows:
            star = "*" if c.is_starred else " "
            print(
                f"{c.id}  {star} {c.last_message_at[:16].replace('T', ' ')}  {c.category:<16}  {one_line(c.title, 60)}"
            )
    return 0


def _conversation_json(c) -> dict[str, object]:
    return {
        "id": c.id,
        "title": c.title,
        "category": c.category,
        "status": c.status,
        "starred": c.is_starred,
        "tags": c.tags,
        "last_message_at": c.last_message_at,
        "preview": c.preview,
    }


def add_command(command: Command) -> dict[str, Callable[[argparse.Namespace], int]]:
    p = command("conversations", "list conversations, print one, export one as markdown or JSON")
    action = subcommands(p, "conversation")

    a = action("list", "list conversations, newest activity first", takes_id=False)
    a.add_argument("--archived", action="store_true", help="list archived conversations")
    a.add_argument("--search", default="", metavar="WORDS", help="only conversations matching these words")
    a.add_argument("--limit", type=int, default=50)
    a.add_argument("--json", action="store_true", help="machine-readable output")
    action("show", "print a conversation: every message with its role, time, model and state")
    a = action("export", "write a conversation as markdown or JSON (to stdout unless -o)")
    a.add_argument("--format", choices=("md", "json"), default="md", help="export format (default: md)")
    a.add_argument("-o", "--output", metavar="FILE", type=PathArgument, help="write to FILE instead of stdout")
    a.add_argument("--force", action="store_true", help="replace FILE if it exists (never a link or a non-file)")
    return {"conversations": _cmd_conversations}
