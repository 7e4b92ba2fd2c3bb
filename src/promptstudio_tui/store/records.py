"""Plain records the store hands out; the UI never sees sqlite rows."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any


def loads(text: str | None, default: Any) -> Any:
    try:
        return json.loads(text) if text else default
    except ValueError:
        return default


@dataclass(frozen=True)
class Conversation:
    id: str
    title: str
    category: str
    status: str
    is_starred: bool
    tags: list[str]
    preview: str
    unread_count: int
    created_at: str
    updated_at: str
    last_message_at: str
    metadata: dict[str, Any] = field(default_factory=dict)
    model: str | None = None  # the model it talks to; None: the configured default

    @classmethod
    def from_row(cls, row: Any) -> Conversation:
        return cls(
            id=row["id"],
            title=row["title"],
            category=row["category"],
            status=row["status"],
            is_starred=bool(row["is_starred"]),
            tags=loads(row["tags"], []),
            preview=row["preview"],
            unread_count=row["unread_count"],
            created_at=row["created_at"],
            updated_at=row["updated_at"],
            last_message_at=row["last_message_at"],
            metadata=loads(row["metadata"], {}),
            model=row["model"],
        )


@dataclass(frozen=True)
class Message:
    id: str
    conversation_id: str
    role: str
    content: str
    state: str
    error: str | None
    model: str | None
    prompt_tokens: int
    completion_tokens: int
    cost: int | None
    created_at: str
    is_starred: bool = False
    metadata: dict[str, Any] = field(default_factory=dict)
    parent_id: str | None = None  # the message this one follows (None for the first); see store/messages.py

    @classmethod
    def from_row(cls, row: Any) -> Message:
        return cls(
            id=row["id"],
            conversation_id=row["conversation_id"],
            role=row["role"],
            content=row["content"],
            state=row["state"],
            error=row["error"],
            model=row["model"],
            prompt_tokens=row["prompt_tokens"],
            completion_tokens=row["completion_tokens"],
            cost=row["cost"],
            created_at=row["created_at"],
            is_starred=bool(row["is_starred"]),
            metadata=loads(row["metadata"], {}),
            parent_id=row["parent_id"],
        )


@dataclass(frozen=True)
class Prompt:
    id: str
    conversation_id: str | None
    title: str
    content: str
    category: str
    tags: list[str]
    is_favorite: bool
    model: str | None
    tokens_used: int
    cost: int | None
    created_at: str
    updated_at: str
    metadata: dict[str, Any] = field(default_factory=dict)
    version: int = 1  # the latest version's number; content, model, tokens and cost are that version's

    @classmethod
    def from_row(cls, row: Any) -> Prompt:
        return cls(
            id=row["id"],
            conversation_id=row["conversation_id"],
            title=row["title"],
            content=row["content"],
            category=row["category"],
            tags=loads(row["tags"], []),
            is_favorite=bool(row["is_favorite"]),
            model=row["model"],
            tokens_used=row["tokens_used"],
            cost=row["cost"],
            created_at=row["created_at"],
            updated_at=row["updated_at"],
            metadata=loads(row["metadata"], {}),
            version=row["version"],
        )


@dataclass(frozen=True)
class PromptVersion:
    """One text of a prompt. Versions are never changed: restoring an old one adds a new one."""

    id: str
    prompt_id: str
    number: int  # 1, 2, 3 … within its prompt
    content: str
    source: str  # generated, refined, edited, imported or restored
    model: str | None
    tokens: int
    cost: int | None  # micro-dollars of the request that made it; None when no price is known or no request
    created_at: str
    metadata: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_row(cls, row: Any) -> PromptVersion:
        return cls(
            id=row["id"],
            prompt_id=row["prompt_id"],
            number=row["number"],
            content=row["content"],
            source=row["source"],
            model=row["model"],
            tokens=row["tokens"],
            cost=row["cost"],
            created_at=row["created_at"],
            metadata=loads(row["metadata"], {}),
        )


@dataclass(frozen=True)
class TestCase:
    """One input of a prompt's tests: values for its variables, optionally the expected output."""

    __test__ = False  # not a pytest class, whatever its name

    id: str
    prompt_id: str
    name: str
    vars: dict[str, Any]  # scalars: text as typed, numbers and booleans as a .prompt.yml gave them
    expected: str | None
    source: str  # manual, run (saved from a try-run), proposed (generated, then accepted) or imported
    created_at: str

    @classmethod
    def from_row(cls, row: Any) -> TestCase:
        return cls(
            id=row["id"],
            prompt_id=row["prompt_id"],
            name=row["name"],
            vars=loads(row["vars"], {}),
            expected=row["expected"],
            source=row["source"],
            created_at=row["created_at"],
        )


@dataclass(frozen=True)
class Reason:
    """One evaluator's result within a run's verdict."""

    evaluator: str  # its name
    verdict: str  # pass, fail, unclear or error
    reason: str


@dataclass(frozen=True)
class Run:
    """One request made by the workshop: a try, a test case's run, or a judge's grading."""

    id: str
    prompt_id: str
    version: int  # the prompt version's number
    kind: str  # try, test or judge
    case_id: str | None
    vars: dict[str, Any]
    model: str
    output: str
    state: str  # complete, interrupted or error
    error: str | None
    prompt_tokens: int
    completion_tokens: int
    cost: int | None  # micro-dollars; None when the model's price is unknown
    latency_ms: int
    created_at: str
    verdict: str | None = None  # test runs: pass, fail, unclear or error once graded
    reasons: list[Reason] = field(default_factory=list)

    @classmethod
    def from_row(cls, row: Any) -> Run:
        reasons = [
            Reason(str(r.get("evaluator", "")), str(r.get("verdict", "")), str(r.get("reason", "")))
            for r in loads(row["reasons"], [])
            if isinstance(r, dict)
        ]
        return cls(
            id=row["id"],
            prompt_id=row["prompt_id"],
            version=row["version"],
            kind=row["kind"],
            case_id=row["case_id"],
            vars=loads(row["vars"], {}),
            model=row["model"],
            output=row["output"],
            state=row["state"],
            error=row["error"],
            prompt_tokens=row["prompt_tokens"],
            completion_tokens=row["completion_tokens"],
            cost=row["cost"],
            latency_ms=row["latency_ms"],
            created_at=row["created_at"],
            verdict=row["verdict"],
            reasons=reasons,
        )


@dataclass(frozen=True)
class UsageTotals:
    tokens: int = 0
    requests: int = 0
    cost: int = 0  # micro-dollars of requests whose price is known
    unpriced_requests: int = 0


@dataclass(frozen=True)
class DayUsage:
    date: str  # local YYYY-MM-DD
    tokens: int
    requests: int
    cost: int


@dataclass(frozen=True)
class BreakdownRow:
    key: str  # a request type or a model name
    tokens: int
    requests: int
    cost: int  # micro-dollars of the requests whose price is known
    unpriced_requests: int = 0  # requests that used tokens at an unknown price
