"""`promptstudio`: the studio TUI with no arguments, headless commands otherwise.

Each group of commands lives in its own module and adds its parsers and handlers here;
modules import what they need inside their handlers, so opening the TUI stays fast.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import os
import sys
from collections.abc import Callable, Sequence

from promptstudio_tui import __version__, heap
from promptstudio_tui.cli import chat, conversations, prompts, system
from promptstudio_tui.cli.common import (
    OutputFailed,
    Stopped,
    check_text_arguments,
    common_options,
    flush_output,
    overrides,
)

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
        check_text_arguments(parser, args)
        if handler is None:
            return _run_tui(args)
        code = handler(args)
        flush_output()
        return code
    except KeyboardInterrupt:
        _say("interrupted")
        return 130
    except Stopped as exc:
        _say(f"stopped by {exc}")
        return 128 + exc.signum
    except (OutputFailed, BrokenPipeError) as exc:
        return _output_failed(exc)
    except Exception as exc:
        from promptstudio_tui.errors import describe

        message = describe(exc)
        if message is None:
            raise
        _say(message)
        return 1


def _say(line: str) -> None:
    """The one line a failed command ends with (stderr may be a terminal that hung up)."""
    with contextlib.suppress(OSError):
        print(f"promptstudio: {line}", file=sys.stderr)


def _output_failed(exc: OutputFailed | BrokenPipeError) -> int:
    error = exc.__cause__ if isinstance(exc, OutputFailed) else exc
    # Python's advice for a broken pipe, and right for a full disk too: stdout now goes to
    # devnull, so the flush at exit cannot fail again with a traceback.
    with contextlib.suppress(OSError, ValueError):
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    if isinstance(error, OSError) and error.errno == errno.EPIPE:
        _say("the output was closed before everything was written (broken pipe)")
    else:
        _say(f"the output could not be written: {getattr(error, 'strerror', None) or error}")
    return 1


def _run_tui(args: argparse.Namespace) -> int:
    heap.start_one_studio()
    from promptstudio_tui.app import PromptStudioApp

    heap.frozen()  # the code the studio runs: it stays for the process's life

    app = PromptStudioApp(overrides=overrides(args))
    app.run()
    return app.return_code or 0  # 128 + the signal when SIGTERM or SIGHUP ended it
