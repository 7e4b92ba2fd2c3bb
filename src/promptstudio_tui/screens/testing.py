"""The prompt workshop's runs on screen: fill a version's `{{variables}}` (copy the filled
text or try it), the try-run streaming into the Try view, a try-run saved as a test case,
the pass/fail matrix of a test or a compare, one input's outputs and reasons, cases
proposed from the conversation, and the shown version's lint.

Try, test and compare are session flights (one at a time), so Esc, stop and closing the
app settle them as they settle a reply: what finished is stored and kept on screen.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Literal

from promptstudio_tui.events import (
    CaseDone,
    CaseStarted,
    CompareDone,
    Proposals,
    RunDone,
    RunStarted,
    StudioError,
    TestDone,
    TestSummary,
)
from promptstudio_tui.sanitize import inert, one_line
from promptstudio_tui.screens.matrix import Matrix, case_label, row_key, summary_words
from promptstudio_tui.session import Flight, FlightEnded, Refused
from promptstudio_tui.store.records import Prompt, PromptVersion, Run, TestCase

if TYPE_CHECKING:
    from promptstudio_tui.messages import FlightStep
    from promptstudio_tui.screens.main import StudioScreen
    from promptstudio_tui.screens.testing_modals import Filled
    from promptstudio_tui.widgets.try_view import TryView
    from promptstudio_tui.workshop.lint import LintReport


SHORT = 30  # rows: below this the Try view opens full screen (esc or z: back to the pane)


class Testing:
    def __init__(self, screen: StudioScreen) -> None:
        self.screen = screen
        self.session = screen.session
        self.studio = screen.studio
        self.last_run: Run | None = None  # the newest try-run shown, to save as a case
        self.matrix: Matrix | None = None
        self._drawn = 0

    @property
    def view(self) -> TryView:
        """The Try view (opened by a try, a test or a compare before anything else uses it)."""
        return self.screen.panel.work

    def _notify(self, text: str, severity: str = "information") -> None:
        self.screen.notify(text, severity=severity, markup=False)  # type: ignore[arg-type]

    def _current(self) -> tuple[Prompt, PromptVersion] | None:
        return self.screen.workshop._current()

    def _key(self, action_id: str) -> str:
        return self.screen.key_hint(action_id)

    # -- lint and variables under the prompt ------------------------------------------------

    def lint_shown(self) -> None:
        """Lint the shown version in a worker thread: the first count of a session loads the
        tokenizer (~0.3 s), which must not hold the key that showed the version."""
        panel = self.screen.panel
        prompt, shown = panel.current, panel.shown
        if prompt is None or shown is None or panel.comparison is not None:
            self.screen.workers.cancel_group(self.screen, "lint")
            panel.show_lint(None)
            return
        self.screen.run_worker(
            partial(self._lint, prompt.id, shown.number),
            thread=True,
            exclusive=True,
            group="lint",
            exit_on_error=False,
        )

    def _lint(self, prompt_id: str, number: int) -> None:
        """Runs in a worker thread; the result is shown on the event loop, if still current."""
        try:
            report = self.studio.lint_prompt(prompt_id, number)
            names = self.studio.variables(prompt_id, number)
        except StudioError as exc:
            self.screen.app.call_from_thread(self._notify, str(exc), "warning")
            return
        self.screen.app.call_from_thread(self._show_lint, prompt_id, number, report, names)

    def _show_lint(self, prompt_id: str, number: int, report: LintReport, names: list[str]) -> None:
        panel = self.screen.panel
        current, shown = panel.current, panel.shown
        if current is None or shown is None or panel.comparison is not None:
            return
        if (current.id, shown.number) == (prompt_id, number):  # not a version shown since then
            panel.show_lint(report, names)

    # -- fill, copy, try ------------------------------------------------------------------------

    def fill(self, default: Literal["copy", "try"]) -> None:
        from promptstudio_tui.screens.testing_modals import VariablesForm

        current = self._current()
        if current is None:
            return
        prompt, shown = current
        names = self.studio.variables(prompt.id, shown.number)
        remembered = self.studio.remembered_values(prompt.id)

        async def filled(result: Filled | None) -> None:
            if result is None:
                return
            if result.action == "copy":
                self.copy_filled(prompt, shown, result.values)
            else:
                await self.start_try(prompt, shown, result.values, result.model)

        heading = f"Fill v{shown.number} of “{one_line(prompt.title, 40)}”"
        form = VariablesForm(heading, names, remembered, self.studio.settings.model, default)
        self.screen.app.push_screen(form, filled)

    def copy_filled(self, prompt: Prompt, shown: PromptVersion, values: dict[str, str]) -> None:
        try:
            text = inert(self.studio.render(prompt.id, shown.number, values))  # no control sequences
        except StudioError as exc:
            self._notify(str(exc), "error")
            return
        self.screen.app.copy_to_clipboard(text)
        self._notify(f"Copied v{shown.number}, filled: {len(text):,} characters (OSC 52).")

    async def start_try(self, prompt: Prompt, shown: PromptVersion, values: dict[str, str], model: str) -> None:
        await self.screen.panel.mount_work()  # before the run starts: its reports draw there
        try:
            self.session.try_run(prompt.id, shown.number, values, model or None)
        except Refused as exc:
            self._notify(str(exc), "warning")
            return
        self._drawn, self.last_run, self.matrix = 0, None, None
        self.view.start_output(f"Try v{shown.number}", f"Sending to {model}… {self._key('studio.stop')} stops")
        self._show_view()
        self.screen.refresh_bindings()

    async def text(self, flight: Flight) -> None:
        text, self._drawn = flight.text_since(self._drawn)
        self.view.append(text)
        self.view.status(f"Streaming… ~{flight.completion_tokens:,} tokens · {self._key('studio.stop')} stops")

    def _ran(self, run: Run) -> None:
        from promptstudio_tui.screens.testing_modals import run_facts

        self.last_run = run
        self.view.show_output(run.output)
        if run.state == "error":
            self.view.status(f"v{run.version} failed: {run.error} — {self._key('prompts.try')} tries again", error=True)
            self._notify(run.error or "The run failed.", "error")
            return
        note = f" — {run.error}" if run.error else ""
        save = f" — {self._key('prompts.save_case')}: save as a test case" if run.state == "complete" else ""
        self.view.status(f"v{run.version} · {run_facts(run)}{note}{save}")

    # -- test and compare -------------------------------------------------------------------------

    async def test(self) -> None:
        current = self._current()
        if current is None:
            return
        prompt, shown = current
        cases = self.studio.cases(prompt.id)
        if not cases:
            self._notify(
                f"No test cases yet: try the prompt ({self._key('prompts.try')}) and save the run as a case "
                f"({self._key('prompts.save_case')}), or propose cases from the conversation (command palette).",
                "warning",
            )
            return
        await self.screen.panel.mount_work()  # before the run starts: its reports draw there
        try:
            specs = self.studio.evaluators(prompt.id)
            self.session.test(prompt.id, shown.number)
        except StudioError as exc:
            self._notify(str(exc), "warning")
            return
        columns = [spec.name for spec in specs] + ["all"]
        self._start_matrix("test", f"Test v{shown.number} · enter: details", columns, list(cases))

    def compare(self) -> None:
        from promptstudio_tui.screens.testing_modals import CompareSetup

        current = self._current()
        if current is None:
            return
        prompt, shown = current
        versions = self.screen.panel.versions
        cases = self.studio.cases(prompt.id)
        new = shown.number if len(versions) < 2 or shown.number > versions[0].number else versions[1].number
        old = max(new - 1, versions[0].number)
        inputs = f"its {len(cases)} test cases" if cases else "one input: the values last used"

        async def chosen(result: tuple[str, tuple] | None) -> None:
            if result is not None:
                await self.start_compare(prompt, result, cases)

        setup = CompareSetup(versions, old, new, self.studio.settings.model, inputs)
        self.screen.app.push_screen(setup, chosen)

    async def start_compare(self, prompt: Prompt, choice: tuple[str, tuple], cases: list[TestCase]) -> None:
        kind, pair = choice
        await self.screen.panel.mount_work()  # before the run starts: its reports draw there
        try:
            if kind == "versions":
                self.session.compare(prompt.id, versions=(int(pair[0]), int(pair[1])))
                labels = [f"v{n}" for n in pair]
            else:
                self.session.compare(prompt.id, models=(str(pair[0]), str(pair[1])))
                labels = [str(m) for m in pair]
        except StudioError as exc:
            self._notify(str(exc), "warning")
            return
        rows: list[TestCase | None] = list(cases) or [None]
        self._start_matrix("compare", f"{labels[0]} vs {labels[1]} · enter: details", labels, rows)

    def _start_matrix(self, kind: Literal["test", "compare"], title: str, columns: list[str], rows: list) -> None:
        self.matrix = Matrix(kind, columns, {row_key(c): c for c in rows}, total=len(rows))
        labelled = [(row_key(c), case_label(c, i)) for i, c in enumerate(rows)]
        self.view.start_matrix(title, "input" if kind == "compare" else "case", columns, labelled)
        self._show_view()
        self.view.status(f"0/{len(rows)}… {self._key('studio.stop')} stops (finished results are kept)")
        self.screen.refresh_bindings()

    def _column(self, side: str | None) -> int:
        matrix = self.matrix
        if matrix is None or matrix.kind == "test" or side is None:
            return 0
        return matrix.columns.index(side) if side in matrix.columns else 0

    def _case_started(self, event: CaseStarted) -> None:
        matrix = self.matrix
        if matrix is None:
            return
        key = row_key(event.case)
        columns = range(len(matrix.columns)) if matrix.kind == "test" else [self._column(event.side)]
        for column in columns:
            self.view.set_cell(key, column, "running")
        side = f" · {one_line(event.side)}" if event.side else ""
        stop = self._key("studio.stop")
        self.view.status(f"{event.index + 1}/{event.total}{side}… {stop} stops (finished results are kept)")

    def _case_done(self, event: CaseDone) -> None:
        matrix = self.matrix
        if matrix is None:
            return
        key, column = row_key(event.case), self._column(event.side)
        matrix.outcomes[(key, column)] = event.outcome
        if matrix.kind == "compare":
            self.view.set_cell(key, column, event.verdict)
        else:
            verdicts = {reason.evaluator: reason.verdict for reason in event.results}
            for index, name in enumerate(matrix.columns[:-1]):
                self.view.set_cell(key, index, verdicts.get(name, "error" if event.verdict == "error" else "pending"))
            self.view.set_cell(key, len(matrix.columns) - 1, event.verdict)
        matrix.done = event.index + 1

    # -- what the session reports ---------------------------------------------------------------

    async def step(self, message: FlightStep) -> None:
        event = message.event
        if isinstance(event, RunStarted):
            self.view.status(f"v{event.version} on {one_line(event.model)}… {self._key('studio.stop')} stops")
        elif isinstance(event, RunDone):
            await self.text(message.flight)
            self._ran(event.run)
        elif isinstance(event, CaseStarted):
            self._case_started(event)
        elif isinstance(event, CaseDone):
            self._case_done(event)
        elif isinstance(event, TestDone):
            self._finished([event.summary])
        elif isinstance(event, CompareDone):
            self._finished(list(event.sides))

    def _finished(self, summaries: list[TestSummary]) -> None:
        stopped = next((s.stopped for s in summaries if s.stopped), None)
        words = " | ".join(summary_words(s) for s in summaries)
        self.view.status(f"{words}{f' — {stopped}' if stopped else ''}")

    async def over(self, ended: FlightEnded) -> None:
        self.screen.refresh_bindings()
        self.screen.show_settings()  # the usage meter counts the workshop's requests too
        if ended.stopped and ended.kind == "try":
            prompt_id = ended.conversation_id.removeprefix("workshop:")
            latest = self.studio.runs(prompt_id, kind="try", limit=1)
            if latest:
                self._ran(latest[0])
        elif ended.stopped and self.matrix is not None:
            self.view.status(f"Stopped after {self.matrix.done} of {self.matrix.total}: the finished results are kept.")
        if ended.error:
            self.view.status(ended.error, error=True)
            self._notify(ended.error, "error")

    # -- one input in detail, cases kept -----------------------------------------------------------

    def detail(self, key: str) -> None:
        from promptstudio_tui.screens.testing_modals import CaseDetail

        matrix = self.matrix
        if matrix is None or key not in matrix.cases:
            return
        case = matrix.cases[key]
        prompt = self.screen.panel.current
        values = case.vars if case is not None else self.studio.remembered_values(prompt.id) if prompt else {}
        facts = "Values: " + (", ".join(f"{k}={one_line(str(v), 80)}" for k, v in values.items()) or "none")
        if case is not None and case.expected is not None:
            facts += f"\nExpected: {one_line(case.expected, 200)}"
        if matrix.kind == "test":
            sides = [("this version", matrix.outcomes.get((key, 0)))]
        else:
            sides = [(label, matrix.outcomes.get((key, index))) for index, label in enumerate(matrix.columns)]
        heading = case_label(case, list(matrix.cases).index(key))
        self.screen.app.push_screen(CaseDetail(one_line(heading, 80), facts, sides))

    def save_case(self) -> None:
        from promptstudio_tui.screens.testing_modals import SaveCaseModal

        run = self.last_run
        if run is None or not run.id or run.state != "complete":
            self._notify(f"Try the prompt first ({self._key('prompts.try')}): a finished try-run becomes a case.")
            return

        def saved(result: tuple[str | None] | None) -> None:
            if result is None:
                return
            try:
                case = self.studio.case_from_run(run.id, expected=result[0])
            except StudioError as exc:
                self._notify(str(exc), "error")
                return
            count = len(self.studio.cases(case.prompt_id))
            self._notify(f"Saved as test case {count} — {self._key('prompts.test')} runs them all.")
            self.lint_shown()  # cases change what lint says about the variables

        heading = f"Save the try-run of v{run.version} as a test case"
        self.screen.app.push_screen(SaveCaseModal(heading, run.output, keymap=self.studio.settings.keymap), saved)

    def propose(self) -> None:
        current = self._current()
        if current is None:
            return
        prompt, _ = current
        self._notify("Asking the model for test cases from your conversation…")
        self.screen.run_worker(self._propose(prompt), group="propose", exclusive=True, exit_on_error=False)

    async def _propose(self, prompt: Prompt) -> None:
        from promptstudio_tui.screens.testing_modals import ProposalsModal

        try:
            proposals = await self.studio.propose_cases(prompt.id)
        except StudioError as exc:
            self._notify(str(exc), "error")
            return
        finally:
            self.screen.show_settings()

        def kept(chosen: Proposals | None) -> None:
            if chosen is None or not (chosen.cases or chosen.evaluators):
                return
            try:
                cases, specs = self.studio.accept_proposed(prompt.id, chosen)
            except StudioError as exc:
                self._notify(str(exc), "error")
                return
            self._notify(f"Kept {len(cases)} cases and {len(specs)} checks — {self._key('prompts.test')} runs them.")
            self.lint_shown()

        self.screen.app.push_screen(ProposalsModal(proposals), kept)

    # -- the view ------------------------------------------------------------------------------------

    def _show_view(self) -> None:
        """The pane, and on a short terminal the view full screen (the pane cannot hold it)."""
        self.screen.panes.reveal("right")
        if self.screen.size.height < SHORT and self.screen.maximized is None:
            self.screen.maximize(self.view, container=False)

    def zoom(self) -> None:
        screen = self.screen
        if screen.maximized is not None:
            screen.minimize()
        elif not self.screen.panel.work_shown:
            self._notify(f"Nothing to zoom yet: {self._key('prompts.try')} tries the prompt, "
                         f"{self._key('prompts.test')} tests it.")  # fmt: skip
        else:
            screen.maximize(self.view, container=False)

    def close(self) -> None:
        if self.session.stop_workshop():
            self._notify("Stopped; what finished is kept.")
        if self.screen.maximized is not None:
            self.screen.minimize()
        if self.screen.panel.work_shown:
            self.view.display = False
