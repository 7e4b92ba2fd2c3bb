"""The workshop's test dialogs: fill a version's variables (then copy or try it), save a
try-run as a test case, choose what to compare, read one input's outputs and reasons,
and pick which proposed cases to keep.

Everything shown here may come from a model or a file: plain text, made inert."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Input, Label, RadioButton, RadioSet, Select, SelectionList, Static, TextArea

from promptstudio_tui.actions import NO_KEYMAP, bindings, key_hint
from promptstudio_tui.events import CaseOutcome, Proposals
from promptstudio_tui.pricing import format_usd
from promptstudio_tui.sanitize import inert, one_line
from promptstudio_tui.screens.modals import Modal
from promptstudio_tui.store.records import PromptVersion, Run
from promptstudio_tui.widgets.try_view import mark

WIDE_CSS = """
CaseDetail > #dialog, SaveCaseModal > #dialog {
    width: 100%;
    height: 100%;
    max-height: 100%;
    padding: 0 1;
}
CaseDetail #sides {
    height: 1fr;
}
CaseDetail .side {
    width: 1fr;
    padding: 0 1;
}
SaveCaseModal TextArea {
    height: 1fr;
}
CompareSetup .pair {
    height: auto;
}
CompareSetup .pair Select {
    width: 1fr;
}
VariablesForm #fields {
    height: auto;
    max-height: 20;
}
"""


def _buttons(*buttons: Button) -> Horizontal:
    return Horizontal(Button("Cancel", id="cancel"), *buttons, classes="buttons")


@dataclass(frozen=True)
class Filled:
    """What the variables form asks for: copy the filled text, or try it on `model`."""

    action: Literal["copy", "try"]
    values: dict[str, str]
    model: str


class VariablesForm(Modal[Filled | None]):
    """One input per variable, prefilled with the values last used; and the model to try on."""

    DEFAULT_CSS = WIDE_CSS

    def __init__(
        self,
        heading: str,
        names: Sequence[str],
        remembered: Mapping[str, str],
        model: str,
        default: Literal["copy", "try"] = "try",
    ) -> None:
        super().__init__()
        self.heading = heading
        self.names = list(names)
        self.remembered = dict(remembered)
        self.model = model
        self.default = default

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(Text(self.heading), classes="title")
            if not self.names:
                yield Static("This version has no {{variables}}: it is sent as written.", classes="hint", markup=False)
            with VerticalScroll(id="fields"):
                for index, name in enumerate(self.names):
                    yield Label(Text(name), classes="field-label")
                    yield Input(self.remembered.get(name, ""), id=f"var-{index}")
            yield Label("Model (try)", classes="field-label")
            yield Input(self.model, placeholder="the configured model", id="model")
            yield Static(classes="error")
            yield _buttons(
                Button("Copy filled", id="copy", variant="primary" if self.default == "copy" else "default"),
                Button("Try", id="try", variant="primary" if self.default == "try" else "default"),
            )

    def on_mount(self) -> None:
        first = self.query("#fields Input").first() if self.names else self.query_one("#model", Input)
        first.focus()

    def _values(self) -> dict[str, str]:
        # An empty field is left unfilled, so the service names it rather than sending a blank.
        fields = (self.query_one(f"#var-{index}", Input).value for index in range(len(self.names)))
        return {name: value for name, value in zip(self.names, fields, strict=True) if value}

    def _finish(self, action: Literal["copy", "try"]) -> None:
        missing = [name for name in self.names if not self._values().get(name)]
        if missing:
            self.show_error(f"Give {', '.join(missing)} a value.")
            return
        self.dismiss(Filled(action, self._values(), self.query_one("#model", Input).value.strip() or self.model))

    @on(Input.Submitted)
    def _submitted(self) -> None:
        self._finish(self.default)

    @on(Button.Pressed, "#copy")
    def _copy(self) -> None:
        self._finish("copy")

    @on(Button.Pressed, "#try")
    def _try(self) -> None:
        self._finish("try")


class SaveCaseModal(Modal[tuple[str | None] | None]):
    """The expected output of a new case, prefilled with the run's (editable; empty: none).
    Dismisses with (expected,) or None when cancelled."""

    DEFAULT_CSS = WIDE_CSS
    BINDINGS = bindings("editor")
    AUTO_FOCUS = "#expected"

    def __init__(self, heading: str, output: str, *, keymap: Mapping[str, str] = NO_KEYMAP) -> None:
        super().__init__(keymap=keymap)
        self.heading = heading
        self.output = output

    def compose(self) -> ComposeResult:
        save = key_hint("editor.save", self.keymap)
        with Vertical(id="dialog"):
            yield Static(Text(self.heading), classes="title")
            yield Static(
                "Expected output (edit it to what is right; empty: the case has no expected output, "
                "and the evaluators alone grade it).",
                classes="hint",
                markup=False,
            )
            yield TextArea(inert(self.output), soft_wrap=True, show_line_numbers=False, id="expected")
            yield Static(Text(f"{save} saves the case · {self.cancel_key} cancels"), classes="hint")
            yield _buttons(Button("Save case", id="confirm", variant="primary"))

    @on(Button.Pressed, "#confirm")
    def action_save(self) -> None:
        text = self.query_one("#expected", TextArea).text
        self.dismiss((text if text.strip() else None,))


class CompareSetup(Modal[tuple[str, tuple] | None]):
    """Two versions (same model) or two models (latest version). Dismisses with
    ("versions", (a, b)) or ("models", (m1, m2)), or None."""

    AUTO_FOCUS = "#compare-kind"

    def __init__(self, versions: Sequence[PromptVersion], old: int, new: int, model: str, inputs: str) -> None:
        super().__init__()
        self.versions = list(versions)
        self.old, self.new, self.model, self.inputs = old, new, model, inputs

    def compose(self) -> ComposeResult:
        options = [(Text(f"v{v.number} · {v.source}"), v.number) for v in self.versions]
        with Vertical(id="dialog"):
            yield Static("Compare side by side", classes="title")
            yield Static(Text(f"On {self.inputs}."), classes="hint")
            with RadioSet(id="compare-kind"):
                yield RadioButton("Two versions", value=len(self.versions) > 1, name="versions")
                yield RadioButton("Two models (latest version)", value=len(self.versions) < 2, name="models")
            yield Label("Versions", classes="field-label")
            with Horizontal(classes="pair"):
                yield Select(options, value=self.old, allow_blank=False, id="version-a")
                yield Select(options, value=self.new, allow_blank=False, id="version-b")
            yield Label("Models", classes="field-label")
            yield Input(self.model, id="model-a")
            yield Input(placeholder="another model", id="model-b")
            yield Static(classes="error")
            yield _buttons(Button("Compare", id="confirm", variant="primary"))

    @on(Input.Submitted)
    @on(Button.Pressed, "#confirm")
    def _submit(self) -> None:
        pressed = self.query_one(RadioSet).pressed_button
        if pressed is not None and pressed.name == "models":
            a, b = (self.query_one(f"#model-{side}", Input).value.strip() for side in "ab")
            if not a or not b or a == b:
                self.show_error("Name two different models.")
                return
            self.dismiss(("models", (a, b)))
            return
        va, vb = self.query_one("#version-a", Select).value, self.query_one("#version-b", Select).value
        if not isinstance(va, int) or not isinstance(vb, int) or va == vb:
            self.show_error("Choose two different versions.")
            return
        self.dismiss(("versions", (va, vb)))


def run_facts(run: Run) -> str:
    tokens = run.prompt_tokens + run.completion_tokens
    return f"{run.model} · {run.state} · {tokens:,} tokens · {run.latency_ms:,} ms · {format_usd(run.cost)}"


def outcome_text(label: str, outcome: CaseOutcome) -> Text:
    """One side of an input: its verdict, facts, each evaluator's reason, then the output."""
    run = outcome.run
    parts = [Text.assemble(mark(outcome.verdict), (f" {label} · {outcome.verdict}", "bold")), Text(run_facts(run))]
    if run.error:
        parts.append(Text(one_line(run.error), style="red"))
    for reason in outcome.results:
        parts.append(Text.assemble(mark(reason.verdict), f" {one_line(reason.evaluator)}: ", one_line(reason.reason)))
    parts.append(Text("Output", style="dim"))
    parts.append(Text(inert(run.output) or "(nothing)"))
    return Text("\n").join(parts)


class CaseDetail(Modal[None]):
    """One input's values, expected output and, per side, output and reasons."""

    DEFAULT_CSS = WIDE_CSS
    AUTO_FOCUS = "#close"

    def __init__(self, heading: str, facts: str, sides: Sequence[tuple[str, CaseOutcome | None]]) -> None:
        super().__init__()
        self.heading, self.facts, self.sides = heading, facts, list(sides)

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(Text(self.heading), classes="title")
            yield Static(Text(self.facts), classes="hint")
            with Horizontal(id="sides"):
                for label, outcome in self.sides:
                    with VerticalScroll(classes="side"):
                        body = outcome_text(label, outcome) if outcome else Text(f"{label}: not run")
                        yield Static(body, markup=False)
            yield Horizontal(Button("Close", id="close", variant="primary"), classes="buttons")

    @on(Button.Pressed, "#close")
    def _close(self) -> None:
        self.dismiss(None)


class ProposalsModal(Modal[Proposals | None]):
    """Proposed cases and evaluators with checkboxes (all ticked); dismisses with those kept."""

    AUTO_FOCUS = "#proposals"
    DEFAULT_CSS = "ProposalsModal > #dialog { width: 100; } ProposalsModal SelectionList { max-height: 24; }"

    def __init__(self, proposals: Proposals) -> None:
        super().__init__()
        self.proposals = proposals

    def compose(self) -> ComposeResult:
        items: list[tuple[Text, str, bool]] = []
        for index, case in enumerate(self.proposals.cases):
            values = ", ".join(f"{k}={one_line(str(v), 30)}" for k, v in case.vars.items())
            why = f" — {one_line(case.why, 60)}" if case.why else ""
            items.append((Text(f"case {one_line(case.name, 30) or index + 1}: {values}{why}"), f"case-{index}", True))
        for index, spec in enumerate(self.proposals.evaluators):
            items.append((Text(f"check {one_line(spec.name, 40)}"), f"check-{index}", True))
        with Vertical(id="dialog"):
            yield Static("Proposed from the conversation: keep which?", classes="title")
            yield SelectionList[str](*items, id="proposals")
            yield Static("Space ticks or unticks · nothing is saved until you press Keep", classes="hint")
            yield _buttons(Button("Keep", id="confirm", variant="primary"))

    @on(Button.Pressed, "#confirm")
    def _submit(self) -> None:
        kept = set(self.query_one(SelectionList).selected)
        cases = [c for i, c in enumerate(self.proposals.cases) if f"case-{i}" in kept]
        specs = [s for i, s in enumerate(self.proposals.evaluators) if f"check-{i}" in kept]
        self.dismiss(Proposals(cases, specs))
