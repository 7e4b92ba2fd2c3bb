"""What one streamed request produced and what it cost: the facts the studio settles a request from."""

from __future__ import annotations

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
    usage: Usage | None = None
    finish_reason: str | None = None
    error: LLMError | None = None
    cancelled: bool = False

    def append(self, delta: str) -> None:
        self.parts.append(delta)
        self.chars += len(delta)

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
