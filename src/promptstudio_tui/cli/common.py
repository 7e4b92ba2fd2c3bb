"""What every command shares: the endpoint options, opening the studio, reading the user's text,
untrusted text to stdout, and running a command's async part so that it always settles."""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import re
import signal
import sys
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from promptstudio_tui.compat import argument_label

if TYPE_CHECKING:
    from promptstudio_tui.studio import Studio


class Stopped(Exception):
    """SIGTERM or SIGHUP stopped the command, after its work was cancelled and settled."""

    def __init__(self, signum: int):
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


class OutputFailed(Exception):
    """stdout takes no more: its reader left (a broken pipe) or its disk is full. The cause is the OSError."""


Command = Callable[[str, str], argparse.ArgumentParser]  # (name, help) -> the command's parser


def subcommands(parser: argparse.ArgumentParser, item: str) -> Callable[..., argparse.ArgumentParser]:
    """`action(name, help, takes_id=True)`: a subcommand of `parser` with the common options,
    and an ID argument naming one `item` ("conversation", "prompt") unless told otherwise."""
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)

    def action(name: str, help_text: str, takes_id: bool = True, **options: Any) -> argparse.ArgumentParser:
        a = actions.add_parser(name, help=help_text, description=help_text, **options)
        common_options(a, suppress=True)
        if takes_id:
            a.add_argument("id", metavar="ID", help=f"{item} id or unique prefix")
        return a

    return action


def common_options(parser: argparse.ArgumentParser, suppress: bool) -> None:
    default = argparse.SUPPRESS if suppress else None
    parser.add_argument(
        "--base-url", default=default, help="OpenAI-compatible endpoint, e.g. http://localhost:11434/v1"
    )
    parser.add_argument("--model", default=default, help="model name, e.g. gpt-4o-mini")
    parser.add_argument("--plan", default=default, choices=("free", "pro", "enterprise"), help="plan tier for quota")


def overrides(args: argparse.Namespace) -> dict[str, str | None]:
    return {k: getattr(args, k, None) for k in ("base_url", "model", "plan")}


class PathArgument(str):
    """A file or folder argument: the command opens or writes it, so it may hold any bytes the
    system allows, UTF-8 or not (`check_text_arguments` leaves it alone). Declared `type=PathArgument`."""


def check_text_arguments(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """Every argument but a path is text the command stores, sends or looks up, so it must be
    UTF-8: argument bytes that are not arrive as lone surrogates (surrogateescape) and are
    refused here, before the studio is opened, anything is stored or a request is sent."""
    for dest, value in vars(args).items():
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, str) and not isinstance(item, PathArgument) and not is_utf8(item):
                raise _not_utf8(f"The text given is not UTF-8 text ({argument_label(parser, dest) or dest})")


def is_utf8(text: str) -> bool:
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return True


def read_text(value: str) -> str:
    """The argument, or stdin for "-" (text that is not UTF-8 is refused before anything is stored;
    the argument was checked with the others, by `check_text_arguments`)."""
    return read_stdin() if value == "-" else value


def read_stdin() -> str:
    stream = io.TextIOWrapper(sys.stdin.buffer, encoding="utf-8")  # universal newlines, as sys.stdin
    try:
        return stream.read()
    except UnicodeDecodeError:
        raise _not_utf8("stdin is not UTF-8 text") from None
    finally:
        stream.detach()  # sys.stdin keeps its buffer


def _not_utf8(what: str) -> Exception:
    from promptstudio_tui.events import StudioError

    return StudioError(f"{what}; convert it first (e.g. `iconv -t UTF-8`). Nothing was saved.")


def out(text: str) -> None:
    """Model output is untrusted: on a terminal its control characters are made inert."""
    from promptstudio_tui.sanitize import inert

    try:
        sys.stdout.write(inert(text) if sys.stdout.isatty() else text)
        sys.stdout.flush()
    except OSError as exc:
        raise OutputFailed() from exc


def flush_output() -> None:
    """What print() left buffered meets a closed pipe or a full disk here, not at exit."""
    try:
        sys.stdout.flush()
    except OSError as exc:
        raise OutputFailed() from exc


def run(studio: Studio, work: Callable[[], Awaitable[int]]) -> int:
    """A command's async part, with the studio closed after it whatever happens.

    Streams must be consumed under `contextlib.aclosing`, so one left early (stdout failed,
    an error) settles its reply before the studio closes. SIGTERM and SIGHUP stop the work
    as ctrl+c does (see signals.py): it is cancelled, the reply in flight settles through
    its normal path, then `Stopped` is raised.
    """
    from promptstudio_tui.signals import on_stop_signals

    async def guarded() -> int:
        task = asyncio.current_task()
        assert task is not None
        received: list[int] = []

        def stop(signum: int) -> None:
            received.append(signum)
            task.cancel()

        undo = on_stop_signals(stop)
        try:
            result = await work()
        except asyncio.CancelledError:
            if received:
                raise Stopped(received[0]) from None
            raise
        finally:
            undo()
            await studio.aclose()
        if received:  # the work ended on its own meanwhile: still say why the command stops
            raise Stopped(received[0])
        return result

    return asyncio.run(guarded())


def json_out(data: object) -> None:
    """JSON with stored text in it (titles, previews): json.dumps escapes C0 controls but
    leaves C1 ones (U+0080-U+009F, e.g. U+009B CSI, which terminals may obey) and DEL raw;
    escape those too. Still the same JSON value."""
    text = json.dumps(data, indent=2, ensure_ascii=False)
    print(re.sub("[\x7f-\x9f]", lambda m: f"\\u{ord(m.group()):04x}", text))


def open_studio(args: argparse.Namespace) -> Studio:
    from promptstudio_tui.studio import Studio

    studio = Studio.open(overrides(args))
    for notice in studio.notices:
        print(f"promptstudio: {notice}", file=sys.stderr)
    return studio


def version_number(text: str) -> int:
    """A version as the user writes it: 3 or v3."""
    from promptstudio_tui.events import StudioError

    digits = text.strip().lower().removeprefix("v")
    if not digits.isdigit():
        raise StudioError(f"A version is a number such as 2 or v2, not {text!r}.")
    return int(digits)
