"""What one streamed request produced and what it cost: the facts the studio settles a request from."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from promptstudio_tui.llm import LLMError, Usage


@dataclass
class Streamed:
    """What one streamed request produced, whatever way it ended."""

    # The reply arrives in many small deltas: keep the pieces and join on demand.
    # `outcome.text += delta` copied the whole reply on every delta (quadratic: a 1 MB
    # reply in 64-character deltas stalled the event loop for ~7 s).
    parts: list[str] = field(default_factory=list)
    chars: int = 0
    size: int = 0  # UTF-8 bytes: no token is shorter than one, so the most tokens there can be
    usage: Usage | None = None
    finish_reason: str | None = None
    error: LLMError | None = None
    cancelled: bool = False
    _count_at: int = 0  # see longer_than

    def append(self, delta: str) -> None:
        self.parts.append(delta)
        self.chars += len(delta)
        self.size += len(delta) if delta.isascii() else len(delta.encode())

    def longer_than(self, tokens: int, count: Callable[[str], int]) -> bool:
        """Whether the text is more than `tokens` tokens long by `count`.

        Counted only once the bytes say it could be, and then again only after enough
        new bytes to make up the difference: a few counts per reply, not one per delta.
        """
        if self.size <= max(tokens, self._count_at):
            return False
        counted = count(self.text)
        self._count_at = self.size + tokens - counted
        return counted > tokens

    def ending(self, what: str) -> tuple[str, str | None]:
        """The stored state and note of a request that ended so; `what`: "reply", "output"."""
        if self.error is not None:
            return "interrupted" if self.error.kind == "cut_off" else "error", self.error.message
        if self.cancelled or self.finish_reason is None:
            # Cancelled by the user, or the consumer stopped reading: keep what arrived.
            return "interrupted", f"Stopped before the {what} finished."
        if self.finish_reason == "length":
            return "complete", f"The {what} reached the max_tokens limit and was cut short."
        return "complete", None

    @property
    def text(self) -> str:
        if len(self.parts) > 1:
            self.parts[:] = ["".join(self.parts)]
        return self.parts[0] if self.parts else ""

    @property
    def whole(self) -> bool:
        """The server finished the reply and nothing stopped us reading it."""
        return self.error is None and not self.cancelled and self.finish_reason is not None

    @property
    def rough_tokens(self) -> int:
        """tokens.rough_estimate(self.text), without joining the text on every delta."""
        return (self.chars + 3) // 4


@dataclass(frozen=True)
class Spend:
    """What one request cost: tokens (server-reported or counted) and micro-dollars."""

    model: str
    prompt_tokens: int
    completion_tokens: int
    cost: int | None
