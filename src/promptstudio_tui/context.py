"""How much a model can read, and what of a conversation is sent to it.

Pure functions (no I/O): the service asks the endpoint for the window once per model
(`LLMClient.context_window`), then calls these.

Context windows
    `resolve_window(model, *, configured=None, endpoint=None) -> Window`
        Precedence: `configured` (config.toml `context_window`) > `endpoint` (what the
        server reported) > this module's table > `ASSUMED_WINDOW`. The user's explicit
        setting wins over the endpoint because servers report the model's trained
        maximum, not what they actually serve: Ollama reports 131,072 for llama3.1 in
        /api/show yet runs it with a 2k-4k `num_ctx` unless told otherwise, and silently
        cuts the prompt's start beyond that. The user who sets `context_window` knows
        their server; we never second-guess them. `Window.source` says which applied,
        so Settings and the generate status can say "assumed".
    `table_window(model) -> int | None`: the table alone (OpenAI and the common open
        families, spelled as OpenAI, Ollama, OpenRouter or Hugging Face name them).

Chat replies
    `fit_chat(system_prompt, turns, *, model, window, reply_tokens) -> ChatContext`
        Sends the system prompt and as many turns as fit in `window.tokens -
        reply_tokens`: the newest turn always; then the turns up to and including the
        first user turn (the goal is stated there); then newer turns, newest first,
        until one does not fit. What is left out is one contiguous run in the middle,
        reported as `ChatContext.omitted` (`Omission(start, count)`, indices into
        `turns`) so the chat can show "12 earlier turns not sent to the model" at the cut.
        `turns` are mappings with "role" and "content"; other keys (an id, say) are
        ignored and never sent.

The generator never drops turns: see `generation.py`, which reports instead.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Literal

from promptstudio_tui import tokens

WindowSource = Literal["config", "endpoint", "table", "assumed"]
Turn = Mapping[str, str]

# For a model nobody describes: small enough that every current chat model holds it.
ASSUMED_WINDOW = 8_192

_SOURCE_WORDS = {
    "config": "set in config.toml",
    "endpoint": "reported by the endpoint",
    "table": "known for this model",
    "assumed": "assumed",
}

# (pattern, tokens), first match wins: specific names before their families. A pattern
# matches at the start of the name or after a separator ("hermes-3-llama-3.1-405b").
# Where a family's sizes differ, the smallest common one: overstating a window lets a
# server cut the conversation silently, understating only refuses a little early.
_TABLE: tuple[tuple[str, int], ...] = (
    # OpenAI
    (r"gpt-?4\.1", 1_047_576),
    (r"gpt-?5", 400_000),
    (r"gpt-oss", 131_072),
    (r"(?:chat)?gpt-?4o|gpt-?4\.5", 128_000),
    (r"gpt-?4-turbo|gpt-?4-(?:1106|0125)", 128_000),
    (r"gpt-?4-32k", 32_768),
    (r"gpt-?4", 8_192),
    (r"gpt-?3\.?5-turbo-instruct", 4_096),
    (r"gpt-?3\.?5", 16_385),
    (r"o1-(?:mini|preview)", 128_000),
    (r"o[134](?:$|-)", 200_000),
    # Others' hosted models, as routers name them
    (r"claude", 200_000),
    (r"gemini-?(?:1\.5|2|3)", 1_048_576),
    # DeepSeek (before llama/qwen: "deepseek-r1-distill-llama-70b")
    (r"deepseek-?(?:chat|reasoner)", 65_536),  # DeepSeek's own API
    (r"deepseek-?r1", 131_072),
    (r"deepseek-?v3", 131_072),
    (r"deepseek-?coder-?v2", 131_072),
    (r"deepseek-?v2\.5", 131_072),
    (r"deepseek-?v2", 32_768),
    (r"deepseek-?coder", 16_384),
    # Llama (Meta-Llama-3.1-8B-Instruct, llama3.1:8b, meta-llama/llama-3.3-70b-instruct)
    (r"(?:meta-)?llama-?3[._-]?[123](?:$|[^0-9])", 131_072),
    (r"(?:meta-)?llama-?3", 8_192),
    (r"(?:meta-)?llama-?2", 4_096),
    (r"codellama", 16_384),
    # Qwen: native windows (the 128k ones need YaRN switched on by the server)
    (r"qwen-?3", 32_768),
    (r"qwen-?2\.5", 32_768),
    (r"qwen-?2", 32_768),
    (r"qwq", 32_768),
    # Mistral
    (r"mistral-?nemo|open-mistral-nemo", 131_072),
    (r"mistral-?large", 131_072),
    (r"mixtral-?8x22b", 65_536),
    (r"mixtral", 32_768),
    (r"mistral", 32_768),
    (r"codestral", 32_768),
    # Gemma (gemma3:1b is the small exception)
    (r"gemma-?3[-:]?1b", 32_768),
    (r"gemma-?3n", 32_768),
    (r"gemma-?3", 131_072),
    (r"gemma", 8_192),
    # Phi
    (r"phi-?4-?mini", 131_072),
    (r"phi-?4", 16_384),
    (r"phi-?3\.5", 131_072),
    (r"phi-?3.*128k", 131_072),
    (r"phi-?3", 4_096),
)


@cache
def _compiled() -> tuple[tuple[re.Pattern[str], int], ...]:
    """The table's patterns, compiled on first use (~3 ms: not on the way to the first frame)."""
    return tuple((re.compile(rf"(?:^|[-_.:/ ]){pattern}"), size) for pattern, size in _TABLE)


@dataclass(frozen=True)
class Window:
    tokens: int
    source: WindowSource

    @property
    def assumed(self) -> bool:
        return self.source == "assumed"

    def describe(self) -> str:
        """E.g. "8,192 tokens (assumed)", "131,072 tokens (reported by the endpoint)"."""
        return f"{self.tokens:,} tokens ({_SOURCE_WORDS[self.source]})"


def table_window(model: str) -> int | None:
    """The window the table knows for `model`, or None."""
    name = model.strip().lower().rsplit("/", 1)[-1]
    for pattern, size in _compiled():
        if pattern.search(name):
            return size
    return None


def resolve_window(model: str, *, configured: int | None = None, endpoint: int | None = None) -> Window:
    """The window to plan with and where it came from (see the module docstring).

    `configured` and `endpoint` of None or below 1 count as not given.
    """
    if configured and configured > 0:
        return Window(configured, "config")
    if endpoint and endpoint > 0:
        return Window(endpoint, "endpoint")
    known = table_window(model)
    if known is not None:
        return Window(known, "table")
    return Window(ASSUMED_WINDOW, "assumed")


def message_tokens(role: str, content: str, model: str) -> int:
    """Tokens one message adds to a chat request (its framing included)."""
    return tokens.count_chat([{"role": role, "content": content}], model) - tokens.count_chat([], model)


@dataclass(frozen=True)
class Omission:
    """Turns `start` .. `start + count - 1` (indices into the given turns) were not sent."""

    start: int
    count: int

    @property
    def end(self) -> int:
        return self.start + self.count

    def describe(self) -> str:
        noun = "turn" if self.count == 1 else "turns"
        return f"{self.count} earlier {noun} not sent to the model"


@dataclass(frozen=True)
class ChatContext:
    messages: list[dict[str, str]]  # system prompt first, then the kept turns in order
    omitted: Omission | None  # None: every turn was sent
    tokens: int  # the request's tokens as counted here


def fit_chat(
    system_prompt: str, turns: Sequence[Turn], *, model: str, window: Window, reply_tokens: int
) -> ChatContext:
    """The chat request that fits `window` with `reply_tokens` left for the reply.

    The newest turn is sent even when it alone is too long (the endpoint then says so,
    which is clearer than sending nothing).
    """
    budget = max(window.tokens - reply_tokens, 1)
    used = tokens.count_chat([{"role": "system", "content": system_prompt}], model)
    costs = [message_tokens(t["role"], t["content"], model) for t in turns]
    first_user = next((i for i, t in enumerate(turns) if t["role"] == "user"), 0)
    kept: set[int] = set()

    def take(index: int) -> bool:
        nonlocal used
        if index in kept:
            return True
        if kept and used + costs[index] > budget:
            return False
        kept.add(index)
        used += costs[index]
        return True

    if turns:
        newest = len(turns) - 1
        take(newest)
        head = 0
        while head <= first_user and take(head):
            head += 1
        tail = newest
        while tail - 1 >= head and take(tail - 1):
            tail -= 1
        # Whatever failed to fit lies in [head, tail): one run, between the goal and the newest.
        omitted = Omission(head, tail - head) if tail > head else None
    else:
        omitted = None
    messages = [{"role": "system", "content": system_prompt}]
    messages += [{"role": turns[i]["role"], "content": turns[i]["content"]} for i in sorted(kept)]
    return ChatContext(messages, omitted, used)
