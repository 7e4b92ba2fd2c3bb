"""What is sent to the model: system prompt plus as many recent turns as fit."""

from __future__ import annotations

from promptstudio_tui import tokens

# Context windows of common model families (tokens); unknown models get a
# conservative default that every current chat model exceeds.
_WINDOWS = (
    ("gpt-4.1", 1_047_576),
    ("gpt-5", 400_000),
    ("gpt-4o", 128_000),
    ("gpt-4-turbo", 128_000),
    ("o1", 200_000),
    ("o3", 200_000),
    ("o4", 200_000),
    ("gpt-4", 8_192),
    ("gpt-3.5", 16_385),
)
DEFAULT_WINDOW = 8_192


def context_window(model: str, override: int | None = None) -> int:
    if override:
        return override
    name = model.rsplit("/", 1)[-1].lower()
    for prefix, size in _WINDOWS:
        if name.startswith(prefix):
            return size
    return DEFAULT_WINDOW


def fit(system_prompt: str, turns: list[dict[str, str]], *, model: str, budget: int) -> list[dict[str, str]]:
    """Keep the system prompt and the newest turns whose tokens fit in `budget`.

    The newest turn is always kept (even if it alone is too long: the endpoint
    then says so, which is clearer than sending nothing).
    """
    system = {"role": "system", "content": system_prompt}
    used = tokens.count_chat([system], model)
    kept: list[dict[str, str]] = []
    for turn in reversed(turns):
        cost = tokens.count_chat([turn], model) - 3  # count_chat adds the reply priming once
        if kept and used + cost > budget:
            break
        kept.append(turn)
        used += cost
    return [system, *reversed(kept)]
