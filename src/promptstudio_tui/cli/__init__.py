"""`promptstudio`: the studio TUI with no arguments, headless commands otherwise.

Each group of commands lives in its own module and adds its parsers and handlers here;
modules import what they need inside their handlers, so opening the TUI stays fast.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from promptstudio_tui import __version__
from promptstudio_tui.cli import chat, conversations, prompts, system
from promptstudio_tui.cli.common import common_options, overrides

EPILOG = """\
Run with no command to open the studio. Settings come from config.toml
(see `promptstudio config-path`), OPENAI_BASE_URL / OPENAI_API_KEY, and the
--base-url / --model / --plan flags, in rising order of precedence."""

Handler = Callable[[argparse.Namespace], int]


def build_parser() -> tuple[argparse.ArgumentParser, dict[str, Handler]]:
    parser = argparse.ArgumentParser(
        prog="promptstudio",
        description="Talk with an LLM about what you need; press ctrl+g to turn it into a copy-ready prompt.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"promptstudio {__version__}")
    common_options(parser, suppress=False)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    def command(name: str, help_text: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text, description=help_text)
        common_options(p, suppress=True)
        return p

    handlers = {
        **chat.add_commands(command),
        **conversations.add_command(command),
        **prompts.add_command(command),
        **system.add_commands(command),
    }
    return parser, handlers


def main(argv: Sequence[str] | None = None) -> int:
    parser, handlers = build_parser()
    args = parser.parse_args(argv)
    handler = handlers.get(args.command)
    try:
        if handler is None:
            return _run_tui(args)
        return handler(args)
    except KeyboardInterrupt:
        print("promptstudio: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        from promptstudio_tui.errors import describe

        message = describe(exc)
        if message is None:
            raise
        print(f"promptstudio: {message}", file=sys.stderr)
        return 1


def _run_tui(args: argparse.Namespace) -> int:
    from promptstudio_tui.app import PromptStudioApp

    PromptStudioApp(overrides=overrides(args)).run()
    return 0
