"""Make untrusted text inert before it reaches a terminal.

Model output, titles and imported text may carry escape sequences (OSC 52
clipboard writes, title changes, cursor moves). Every C0/C1 control except
newline and tab is replaced by its visible Unicode control picture, so the
text still shows what was there but can never drive the terminal.
"""

from __future__ import annotations

import re

_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _picture(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code < 0x20:
        return chr(0x2400 + code)  # ␀ … ␟
    if code == 0x7F:
        return "\u2421"  # ␡
    return "\ufffd"  # C1 controls have no pictures


def inert(text: str) -> str:
    return _CONTROLS.sub(_picture, text.replace("\r\n", "\n"))


def one_line(text: str, limit: int | None = None) -> str:
    """Inert, whitespace collapsed to single spaces, optionally shortened at a word."""
    flat = " ".join(inert(text).split())
    if limit is None or len(flat) <= limit:
        return flat
    cut = flat[: limit - 1]
    if " " in cut[limit // 2 :]:
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,.;:-") + "…"
