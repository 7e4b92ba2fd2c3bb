"""Chat from the shell: send a message, generate the conversation's prompt."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from contextlib import aclosing

from promptstudio_tui.cli.common import Command, open_studio, out, read_text, run


def _cmd_send(args: argparse.Namespace) -> int:
    from promptstudio_tui.events import ReplyDelta, ReplyDone, StudioError, UserMessageSaved

    text = read_text(args.text)
    studio = open_studio(args)

    async def send() -> int:
        if args.conversation:
            conversation, created = studio.find_conversation(args.conversation), False
        else:
            conversation, created = studio.new_conversation(category=studio.category(args.category)), True
        saved = False
        try:
            async with aclosing(studio.send(conversation.id, text)) as events:
                async for event in events:
                    if isinstance(event, UserMessageSaved):
                        saved = True
                        print(f"conversation {conversation.id}", file=sys.stderr)
                    elif isinstance(event, ReplyDelta):
                        out(event.text)
                    elif isinstance(event, ReplyDone):
                        out("\n")
                        if event.message.state != "complete":
                            raise StudioError(event.message.error or f"The reply ended {event.message.state}.")
                        if event.message.error:
                            print(f"promptstudio: {event.message.error}", file=sys.stderr)
        except BaseException:
            if created and not saved:  # refused before the message was kept: leave no empty conversation
                studio.delete_conversation(conversation.id)
            raise
        return 0

    return run(studio, send)


def _cmd_generate(args: argparse.Namespace) -> int:
    from promptstudio_tui.events import PromptDelta, PromptReady

    studio = open_studio(args)

    async def generate() -> int:
        conversation = studio.find_conversation(args.conversation)
        async with aclosing(studio.generate(conversation.id)) as events:
            async for event in events:
                if isinstance(event, PromptDelta):
                    out(event.text)
                elif isinstance(event, PromptReady):
                    prompt = event.prompt
                    if args.title:
                        prompt = studio.save_prompt(
                            prompt.id, title=args.title, category=prompt.category, tags=prompt.tags
                        )
                    out("\n")
                    made = event.version
                    print(f"saved prompt {prompt.id} v{made.number} ({made.tokens} tokens)", file=sys.stderr)
        return 0

    return run(studio, generate)


def add_commands(command: Command) -> dict[str, Callable[[argparse.Namespace], int]]:
    p = command("send", "send a message and stream the reply to stdout")
    target = p.add_mutually_exclusive_group()
    target.add_argument("--conversation", metavar="ID", help="continue this conversation (id or unique prefix)")
    target.add_argument("--new", action="store_true", help="start a new conversation (the default)")
    p.add_argument("--category", default="General", help="category for a new conversation")
    p.add_argument("text", metavar="TEXT", help="the message, or - to read it from stdin")

    p = command("generate", "generate the conversation's prompt, or its next version; print it and save it")
    p.add_argument("--conversation", metavar="ID", required=True, help="conversation id or unique prefix")
    p.add_argument("--title", help="title for the saved prompt (default: the conversation's title)")
    return {"send": _cmd_send, "generate": _cmd_generate}
