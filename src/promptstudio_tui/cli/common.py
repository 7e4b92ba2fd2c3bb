"""What every command shares: the endpoint options, opening the studio, untrusted text to stdout."""

from __future__ import annotations

import argparse
import json
import re
import sys


def common_options(parser: argparse.ArgumentParser, suppress: bool) -> None:
    default = argparse.SUPPRESS if suppress else None
    parser.add_argument(
        "--base-url", default=default, help="OpenAI-compatible endpoint, e.g. http://localhost:11434/v1"
    )
    parser.add_argument("--model", default=default, help="model name, e.g. gpt-4o-mini")
    parser.add_argument("--plan", default=default, choices=("free", "pro", "enterprise"), help="plan tier for quota")


def overrides(args: argparse.Namespace) -> dict[str, str | None]:
    return {k: getattr(args, k, None) for k in ("base_url", "model", "plan")}


def read_text(value: str) -> str:
    return sys.stdin.read() if value == "-" else value


def out(text: str) -> None:
    """Model output is untrusted: on a terminal its control characters are made inert."""
    from promptstudio_tui.sanitize import inert

    sys.stdout.write(inert(text) if sys.stdout.isatty() else text)
    sys.stdout.flush()


def json_out(data: object) -> None:
    """JSON with stored text in it (titles, previews): json.dumps escapes C0 controls but
    leaves C1 ones (U+0080-U+009F, e.g. U+009B CSI, which terminals may obey) and DEL raw;
    escape those too. Still the same JSON value."""
    text = json.dumps(data, indent=2, ensure_ascii=False)
    print(re.sub("[\x7f-\x9f]", lambda m: f"\\u{ord(m.group()):04x}", text))


def open_studio(args: argparse.Namespace):
    from promptstudio_tui.studio import Studio

    studio = Studio.open(overrides(args))
    for notice in studio.notices:
        print(f"promptstudio: {notice}", file=sys.stderr)
    return studio


def category(value: str) -> str:
    from promptstudio_tui.catalog import CATEGORIES
    from promptstudio_tui.events import StudioError

    for name in CATEGORIES:
        if name.lower() == value.lower():
            return name
    raise StudioError(f"Unknown category {value!r}; choose one of: {', '.join(CATEGORIES)}.")


def version_number(text: str) -> int:
    """A version as the user writes it: 3 or v3."""
    from promptstudio_tui.events import StudioError

    digits = text.strip().lower().removeprefix("v")
    if not digits.isdigit():
        raise StudioError(f"A version is a number such as 2 or v2, not {text!r}.")
    return int(digits)
