"""The service's vocabulary: what a request streams to the TUI and the CLI, and how it refuses.

Plain frozen dataclasses, so the session model, the screens and the CLI share them
without importing the service itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from promptstudio_tui.quota import QuotaStatus
from promptstudio_tui.store.records import (
    BreakdownRow,
    DayUsage,
    Message,
    Prompt,
    PromptVersion,
    Reason,
    Run,
    TestCase,
)

if TYPE_CHECKING:
    from promptstudio_tui.workshop.diff import WordDiff
    from promptstudio_tui.workshop.evaluators import Spec


class StudioError(Exception):
    """A refusal or failure to show the user as one sentence with the next step."""


class UnfilledVariables(StudioError):
    """A prompt was to be filled without a value for each of its variables (`missing`, in order)."""

    def __init__(self, message: str, missing: list[str]) -> None:
        super().__init__(message)
        self.missing = missing


# -- events streamed to the TUI and the CLI --------------------------------------


@dataclass(frozen=True)
class UserMessageSaved:
    message: Message


@dataclass(frozen=True)
class Omitted:
    """Turns of a conversation that a chat request could not carry: one run in the middle."""

    count: int
    first_message_id: str  # the oldest turn left out
    last_message_id: str  # the newest turn left out

    def describe(self) -> str:
        noun = "turn" if self.count == 1 else "turns"
        return f"{self.count} earlier {noun} not sent to the model"


@dataclass(frozen=True)
class ReplyStarted:
    message: Message  # the empty assistant row, state "streaming"
    omitted: Omitted | None = None  # None: the request carries every turn


@dataclass(frozen=True)
class ReplyDelta:
    message_id: str
    text: str
    completion_tokens: int  # running estimate, for a live tokens/s


@dataclass(frozen=True)
class ReplyDone:
    message: Message  # final state: complete, interrupted or error


@dataclass(frozen=True)
class PromptDelta:
    text: str  # what the user may see: the model's planning is never in it
    completion_tokens: int
    planning: bool = False  # the model is planning (its plan is hidden): say so while text is empty


@dataclass(frozen=True)
class PromptReady:
    prompt: Prompt  # as it now stands: its content is the new version's
    version: PromptVersion  # the version this request made


@dataclass(frozen=True)
class VersionDiff:
    """What changed from one version of a prompt to another."""

    old: PromptVersion
    new: PromptVersion
    words: WordDiff


StudioEvent = UserMessageSaved | ReplyStarted | ReplyDelta | ReplyDone | PromptDelta | PromptReady


@dataclass(frozen=True)
class UsageReport:
    quota: QuotaStatus
    days: list[DayUsage]
    by_type: list[BreakdownRow]
    by_model: list[BreakdownRow]


# -- the prompt workshop: try a prompt, test it, compare ---------------------------


@dataclass(frozen=True)
class RunStarted:
    """A try-run's request is leaving: the prompt's version `version`, filled, as one user message."""

    prompt_id: str
    version: int
    model: str
    text: str  # the filled prompt, as sent


@dataclass(frozen=True)
class RunDelta:
    text: str
    completion_tokens: int  # running estimate


@dataclass(frozen=True)
class RunDone:
    run: Run  # final state: complete, interrupted or error (with its one-sentence error)


@dataclass(frozen=True)
class CaseOutcome:
    """One input run through one version and model, and what its evaluators said."""

    case: TestCase | None  # None: the one input of a compare without cases
    run: Run  # the prompt's run (kind "test", or "try" for a compare's one input)
    results: list[Reason]  # one per evaluator, in their order (empty when the run failed)
    verdict: str  # pass, fail, unclear or error
    judge_runs: list[Run] = field(default_factory=list)  # the graders' requests, each counted


@dataclass(frozen=True)
class CaseStarted:
    case: TestCase | None
    index: int  # 0-based position among `total`
    total: int
    side: str | None = None  # compare: which side ("v1", "gpt-4o" …); None in a test


@dataclass(frozen=True)
class CaseDone:
    case: TestCase | None
    run: Run
    results: list[Reason]
    verdict: str
    index: int
    total: int
    side: str | None = None
    judge_runs: list[Run] = field(default_factory=list)

    @property
    def outcome(self) -> CaseOutcome:
        return CaseOutcome(self.case, self.run, self.results, self.verdict, self.judge_runs)


@dataclass(frozen=True)
class TestSummary:
    """A test run's (or one compare side's) totals, with every case's outcome in order."""

    __test__ = False

    prompt_id: str
    version: int
    model: str
    label: str  # "v3 · gpt-4o-mini"; compare: the side's name
    outcomes: list[CaseOutcome]
    total: int  # cases planned (more than len(outcomes) when stopped)
    stopped: str | None = None  # why it ended early (a sentence), None when every case ran

    def count(self, verdict: str) -> int:
        return sum(1 for o in self.outcomes if o.verdict == verdict)

    @property
    def passed(self) -> int:
        return self.count("pass")

    @property
    def ok(self) -> bool:
        """Every planned case ran and passed (an unclear judge is never a pass)."""
        return self.stopped is None and len(self.outcomes) == self.total and self.passed == self.total

    def _runs(self) -> list[Run]:
        return [run for o in self.outcomes for run in (o.run, *o.judge_runs)]

    @property
    def tokens(self) -> int:
        """Every request's tokens, the graders' included."""
        return sum(r.prompt_tokens + r.completion_tokens for r in self._runs())

    @property
    def cost(self) -> int:
        """Micro-dollars of the requests whose price is known (see `unpriced`)."""
        return sum(r.cost or 0 for r in self._runs())

    @property
    def unpriced(self) -> int:
        """Requests that used tokens at an unknown price."""
        return sum(1 for r in self._runs() if r.cost is None and r.prompt_tokens + r.completion_tokens)

    @property
    def latency_ms(self) -> int:
        """The prompt's runs only (graders aside), summed."""
        return sum(o.run.latency_ms for o in self.outcomes)


@dataclass(frozen=True)
class TestDone:
    __test__ = False

    summary: TestSummary


@dataclass(frozen=True)
class CompareDone:
    """Both sides over the same inputs: `sides[i].outcomes[k]` is input k on side i."""

    sides: tuple[TestSummary, TestSummary]
    by_case: bool  # True: the prompt's test cases; False: one input (the values given or remembered)


@dataclass(frozen=True)
class ProposedCase:
    vars: dict[str, Any]
    expected: str | None
    name: str
    why: str  # the requirement from the conversation it checks


@dataclass(frozen=True)
class Proposals:
    """Cases and evaluators proposed from the conversation's requirements; nothing is saved
    until `accept_proposed`."""

    cases: list[ProposedCase]
    evaluators: list[Spec]


RunEvent = RunStarted | RunDelta | RunDone
TestEvent = CaseStarted | CaseDone | TestDone | CompareDone
