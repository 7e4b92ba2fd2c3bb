"""The instant token estimate, and how a token count is written, for every place showing one.

Plain Python (no tiktoken): the composer shows it while the exact count (tokens.py) is
worked out off the UI thread, and the chat shows it beside each message sent.
"""

from __future__ import annotations

import re
from functools import cache


@cache
def _dense() -> re.Pattern[str]:
    """Han, kana and Hangul: about one token a character in the OpenAI encodings (less in
    o200k, more in cl100k), where English averages four characters a token. Compiled on
    first use: its ranges take ~3 ms, which the start does not need to pay."""
    return re.compile("[\u1100-\u11ff\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\uff66-\uff9f]")


def estimate(text: str) -> int:
    dense = len(_dense().findall(text))
    return dense + (len(text) - dense + 3) // 4


def label(tokens: int, *, exact: bool, say_estimate: bool = True) -> str:
    """ "32 tokens" for an exact count; "~32 tokens (estimate)" for an estimate, or "~32
    tokens" where there is no room to say so."""
    words = f"{tokens:,} token" + ("" if tokens == 1 else "s")
    if exact:
        return words
    return f"~{words} (estimate)" if say_estimate else f"~{words}"
