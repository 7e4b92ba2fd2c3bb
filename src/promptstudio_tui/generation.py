"""What is sent to the model to write or revise a prompt, and what of its answer is kept.

Pure functions (no I/O, no Textual); the words live in `catalog`.

Requests — each returns `(messages, report)`; `messages` is ready for
`LLMClient.stream_chat`, `report` (a `FitReport`) says whether it fits the window:

    generator_request(turns, *, category, target, window, model, reply_tokens)
        ctrl+g on a conversation with no prompt yet. Carries EVERY turn, numbered and
        delimited (`<conversation><turn n="1" role="user">…</turn>…</conversation>`).
    refine_request(current_version_text, new_turns, *, instruction=None, target, window,
                   model, reply_tokens, category=None, first_turn_number=1)
        ctrl+g after more conversation, or the refine box: carries the current version
        (`<current_prompt>`), only `new_turns` (the turns since that version was made,
        numbered from `first_turn_number` so they match the chat) and/or the user's
        `instruction` (`<instruction>`), asking for the smallest change. ValueError when
        there are neither new turns nor an instruction (nothing to refine with).
    improve_request(imported_text, turns, *, category, target, window, model, reply_tokens)
        v2 of an imported prompt: carries the imported text (`<existing_prompt>`) and the
        conversation about it; asks for an improvement with minimal changes where it is
        already good.

    `turns`: mappings with "role" ("user"/"assistant") and "content", oldest first
    (other keys are ignored). `target`: one of `config.GENERATE_TARGETS`. `window`: from
    `context.resolve_window`. `reply_tokens`: the generate mode's max_tokens, kept free
    for the answer.

Nothing is ever left out of a request. When it does not fit, the service must not send
it: `report.fits` is False and `report.refusal(model)` is the one sentence to show (how
many turns do not fit, the window and where it came from, what to do). We refuse rather
than condense the middle of the conversation: a summary written by the same model is
exactly where a requirement like "always answer in French" would be lost, and the
user could not tell. With windows taken from the endpoint or the table, a refusal
means a conversation really larger than the model can read.

The answer — the model plans first inside <plan>…</plan>; that block (and a leading
<think>…</think> that reasoning models served by Ollama or vLLM put into the content)
never reaches the user:

    strip_plan(text) -> str
        The answer without its leading plan/think blocks and leading whitespace. A block
        that is opened and never closed hides everything after it (returns "").
        Only blocks at the very start count: a prompt may itself use <plan> tags.
    PlanFilter
        The same while streaming: `visible = f.feed(delta)` for each delta, then
        `f.finish()` once for the remainder; the concatenation of what they return equals
        `strip_plan(whole answer)` however the answer was split. `f.planning` is True
        while inside a block (to show "planning…"); `f.unclosed` is True after `finish()`
        if a block never closed (the model ran out of tokens while planning).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from promptstudio_tui import catalog, tokens
from promptstudio_tui.context import Turn, Window

Messages = list[dict[str, str]]

# Our delimiters; a closing tag inside the user's text is escaped so it cannot end them early.
_DELIMITERS = ("turn", "conversation", "current_prompt", "existing_prompt", "instruction")
# Leading blocks that are the model's working, not its answer.
_BLOCKS = ((f"<{catalog.PLAN_TAG}>", f"</{catalog.PLAN_TAG}>"), ("<think>", "</think>"))


@dataclass(frozen=True)
class FitReport:
    """Whether a request fits the window with `reply_tokens` left for the answer."""

    tokens: int  # the whole request as built
    window: Window
    reply_tokens: int
    turns: int  # turns carried by the request
    turn_tokens: int  # of `tokens`, how many are the turns
    turns_over: int  # turns that would have to go for the rest to fit (0 when it fits)
    subject: str  # what the user would shorten: "conversation", "prompt to improve", "current prompt"

    @property
    def budget(self) -> int:
        return max(self.window.tokens - self.reply_tokens, 0)

    @property
    def fits(self) -> bool:
        return self.tokens <= self.budget

    def refusal(self, model: str) -> str | None:
        """None when it fits; else one sentence telling the user what does not fit and what to do."""
        if self.fits:
            return None
        takes = f"{model} at this endpoint takes {self.window.tokens:,} ({_SOURCE_SHORT[self.window.source]})"
        kept = f"{self.reply_tokens:,} of them kept for the answer"
        advice = (
            "raise context_window in config.toml if the server allows more"
            if self.window.source == "config"
            else "set context_window in config.toml if the server allows more"
        )
        if self.turns_over and self.turns_over < self.turns:
            over = f"{self.turns_over} of its {self.turns} turns do not fit"
            return f"The conversation is {self.tokens:,} tokens and {takes}, {kept} — {over}; {advice}, or use a model with a larger window."
        return f"The request with the {self.subject} is {self.tokens:,} tokens and {takes}, {kept} — shorten the {self.subject}, {advice}, or use a model with a larger window."


_SOURCE_SHORT = {
    "config": "set in config.toml",
    "endpoint": "reported by the endpoint",
    "table": "known for this model",
    "assumed": "assumed",
}


def render_turns(turns: Sequence[Turn], *, first_number: int = 1) -> str:
    """The turns as one delimited block: each `<turn n="…" role="…">` on its own."""
    body = "".join(_turn(t, n) for n, t in enumerate(turns, start=first_number))
    return f"<conversation>\n{body}</conversation>"


def generator_request(
    turns: Sequence[Turn], *, category: str, target: str, window: Window, model: str, reply_tokens: int
) -> tuple[Messages, FitReport]:
    blocks = [_category(category), render_turns(turns)]
    ask = "Write the prompt this conversation asks for. Plan first inside <plan> tags, then write the prompt."
    return _request("generate", target, blocks, ask, turns, 1, window, model, reply_tokens, "conversation")


def refine_request(
    current_version_text: str,
    new_turns: Sequence[Turn],
    *,
    instruction: str | None = None,
    target: str,
    window: Window,
    model: str,
    reply_tokens: int,
    category: str | None = None,
    first_turn_number: int = 1,
) -> tuple[Messages, FitReport]:
    instruction = (instruction or "").strip() or None
    if not new_turns and instruction is None:
        raise ValueError("nothing to refine with: no new turns and no instruction")
    blocks = [_category(category) if category else "", _tagged("current_prompt", current_version_text)]
    if new_turns:
        blocks.append(
            "What the person said since this version was written:\n"
            + render_turns(new_turns, first_number=first_turn_number)
        )
    if instruction is not None:
        blocks.append(_tagged("instruction", instruction))
    ask = (
        "Revise the current prompt with the smallest change that satisfies "
        + (
            "the new turns and the instruction"
            if new_turns and instruction
            else "the new turns"
            if new_turns
            else "the instruction"
        )
        + ". Plan first inside <plan> tags, then write the complete revised prompt."
    )
    return _request(
        "refine",
        target,
        [b for b in blocks if b],
        ask,
        new_turns,
        first_turn_number,
        window,
        model,
        reply_tokens,
        "current prompt",
    )


def improve_request(
    imported_text: str,
    turns: Sequence[Turn],
    *,
    category: str,
    target: str,
    window: Window,
    model: str,
    reply_tokens: int,
) -> tuple[Messages, FitReport]:
    blocks = [_category(category), _tagged("existing_prompt", imported_text)]
    if turns:
        blocks.append("What the person said about it:\n" + render_turns(turns))
    ask = (
        "Improve the existing prompt: change what the conversation asks for and what clearly weakens it, "
        "and as little as possible elsewhere. Plan first inside <plan> tags, then write the complete improved prompt."
    )
    return _request("improve", target, blocks, ask, turns, 1, window, model, reply_tokens, "prompt to improve")


def _request(
    kind: str,
    target: str,
    blocks: list[str],
    ask: str,
    turns: Sequence[Turn],
    first_number: int,
    window: Window,
    model: str,
    reply_tokens: int,
    subject: str,
) -> tuple[Messages, FitReport]:
    system = catalog.generator_instructions(kind, target)
    # Long material first, the request for the answer last (the order the research favours).
    messages = [{"role": "system", "content": system}, {"role": "user", "content": "\n\n".join([*blocks, ask])}]
    total = tokens.count_chat(messages, model)
    costs = [_tokens(_turn(t, n), model) for n, t in enumerate(turns, start=first_number)]
    report = FitReport(
        tokens=total,
        window=window,
        reply_tokens=reply_tokens,
        turns=len(turns),
        turn_tokens=min(sum(costs), total),
        turns_over=_turns_over(costs, total - max(window.tokens - reply_tokens, 0)),
        subject=subject,
    )
    return messages, report


def _turns_over(costs: list[int], over: int) -> int:
    """How many turns must go to shed `over` tokens, taking the middle first (oldest after
    the first), then the first and the newest; len(costs) when even that is not enough."""
    if over <= 0:
        return 0
    order = [*range(1, len(costs) - 1), 0, len(costs) - 1] if len(costs) > 1 else list(range(len(costs)))
    shed = 0
    for count, index in enumerate(order, start=1):
        shed += costs[index]
        if shed >= over:
            return count
    return len(costs)


def _turn(turn: Turn, number: int) -> str:
    return f'<turn n="{number}" role="{turn["role"]}">\n{_guard(turn["content"])}\n</turn>\n'


def _tagged(tag: str, text: str) -> str:
    return f"<{tag}>\n{_guard(text)}\n</{tag}>"


def _category(category: str) -> str:
    return f"Category of the prompt: {category}"


def _guard(text: str) -> str:
    for tag in _DELIMITERS:
        text = text.replace(f"</{tag}", f"&lt;/{tag}")
    return text


def _tokens(text: str, model: str) -> int:
    return tokens.count(text, model).tokens


# -- the answer -----------------------------------------------------------------------------


def strip_plan(text: str) -> str:
    rest = text
    while True:
        rest = rest.lstrip()
        for opener, closer in _BLOCKS:
            if rest.startswith(opener):
                end = rest.find(closer, len(opener))
                if end < 0:
                    return ""
                rest = rest[end + len(closer) :]
                break
        else:
            return rest


class PlanFilter:
    """Streams an answer with its leading plan/think blocks removed (see the module docstring)."""

    def __init__(self) -> None:
        self._pending = ""
        self._closer: str | None = None  # set while inside a block
        self._visible = False  # past the leading blocks: everything passes
        self.unclosed = False

    @property
    def planning(self) -> bool:
        return self._closer is not None

    def feed(self, delta: str) -> str:
        if self._visible:
            return delta
        self._pending += delta
        shown = ""
        while not self._visible:
            if self._closer is not None:
                end = self._pending.find(self._closer)
                if end < 0:
                    # Keep only what could be the start of the closing tag.
                    self._pending = self._pending[max(0, len(self._pending) - len(self._closer) + 1) :]
                    break
                self._pending = self._pending[end + len(self._closer) :]
                self._closer = None
                continue
            self._pending = self._pending.lstrip()
            opened = next(((o, c) for o, c in _BLOCKS if self._pending.startswith(o)), None)
            if opened is not None:
                self._pending = self._pending[len(opened[0]) :]
                self._closer = opened[1]
            elif not self._pending or any(o.startswith(self._pending) for o, _ in _BLOCKS):
                break  # wait: this may still become an opening tag
            else:
                self._visible = True
                shown, self._pending = self._pending, ""
        return shown

    def finish(self) -> str:
        """What is left to show once the answer has ended."""
        rest, self._pending = self._pending, ""
        if self._closer is not None:
            self.unclosed = True
            return ""
        self._visible = True
        return rest
