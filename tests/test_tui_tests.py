"""The prompt workshop's runs on screen: fill {{variables}} and copy, try a version (stored,
stoppable), save a try-run as a case, the pass/fail matrix, compare two versions, and lint
under the prompt.

Driven with keys and dialogs against the loopback endpoint answering by input, so every
output, judge answer and verdict is deterministic; asserted on what the pane shows, the
clipboard, the store and the requests sent.
"""

from __future__ import annotations

from typing import Any

from textual.widgets import DataTable, Input, Static

from loopback import Scenario
from promptstudio_tui.screens.testing_modals import CaseDetail, SaveCaseModal, VariablesForm
from promptstudio_tui.widgets.lint_view import LintView
from promptstudio_tui.widgets.try_view import TryView
from tui_fixtures import SIZE, idle, notifications, rendered, screen, wait_for

TEMPLATE = "Answer for {{item}} in one line."
PASS = '{"verdict": "pass", "reason": "fine"}'


def chat_bodies(endpoint: Any) -> list[dict[str, Any]]:
    return [r.body for r in endpoint.requests if r.path.endswith("/chat/completions")]


def make_prompt(app: Any, text: str = TEMPLATE) -> str:
    """A prompt with `text` as v1, listed in the pane (scope: all prompts)."""
    prompt = app.studio.import_prompt(text, title="Answerer")
    app.studio.set_preference("ui.prompt_scope", "all")
    return prompt.id


async def open_prompt(pilot: Any, prompt_id: str) -> None:
    """Pick the prompt from the list and move the focus into the pane, as a user does."""
    studio_screen = screen(pilot)
    studio_screen.query_one("#prompt-list").focus()
    await pilot.press("enter")
    await wait_for(pilot, lambda: studio_screen.panel.current is not None)
    assert studio_screen.panel.current.id == prompt_id
    studio_screen.query_one("#prompt-scroll").focus()
    await pilot.app.workers.wait_for_complete()  # lint runs in a worker thread
    await pilot.pause()


def view(pilot: Any) -> TryView:
    return screen(pilot).panel.work


def status(pilot: Any) -> str:
    return rendered(view(pilot).query_one("#try-status", Static))


async def fill_form(pilot: Any, value: str) -> None:
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, VariablesForm))
    field = pilot.app.screen.query_one("#var-0", Input)
    field.value = value
    field.focus()
    await pilot.pause()


async def test_fill_the_variables_and_copy_the_filled_text(make_app, endpoint):
    app = make_app()
    prompt_id = make_prompt(app, "Summarise {{ticket}} for \x1b]0;x\x07the team.")
    async with app.run_test(size=SIZE) as pilot:
        await open_prompt(pilot, prompt_id)
        lint = rendered(screen(pilot).query_one(LintView))
        assert "Variables ticket" in lint  # the pane lists the shown version's variables
        await pilot.press("x")
        await fill_form(pilot, "T-42 printer jam")
        await pilot.click("#copy")
        await wait_for(pilot, lambda: bool(app.clipboard))
        assert app.clipboard.startswith("Summarise T-42 printer jam for ")
        assert "\x1b" not in app.clipboard and "\x07" not in app.clipboard  # made inert
        assert any(n.startswith("Copied v1, filled:") for n in notifications(pilot))
        # The values are remembered for the prompt: the form opens with them.
        await pilot.press("x")
        await wait_for(pilot, lambda: isinstance(app.screen, VariablesForm))
        assert app.screen.query_one("#var-0", Input).value == "T-42 printer jam"
        assert not chat_bodies(endpoint)  # copying sends nothing


async def test_try_streams_is_stored_and_becomes_a_case(make_app, endpoint):
    app = make_app()
    prompt_id = make_prompt(app)
    endpoint.when(Scenario(reply="The answer for apples is 42.", chunk_size=4), contains="for apples")
    async with app.run_test(size=SIZE) as pilot:
        await open_prompt(pilot, prompt_id)
        await pilot.press("t")
        await fill_form(pilot, "apples")
        await pilot.press("enter")
        await wait_for(pilot, lambda: "42" in view(pilot).output)
        await idle(pilot)
        assert view(pilot).display and view(pilot).output == "The answer for apples is 42."
        assert chat_bodies(endpoint)[-1]["messages"] == [{"role": "user", "content": "Answer for apples in one line."}]
        runs = app.studio.runs(prompt_id, kind="try")
        assert len(runs) == 1 and runs[0].state == "complete" and runs[0].vars == {"item": "apples"}
        assert "complete" in status(pilot) and "k: save as a test case" in status(pilot)

        await pilot.press("k")
        await wait_for(pilot, lambda: isinstance(app.screen, SaveCaseModal))
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: bool(app.studio.cases(prompt_id)))
        (case,) = app.studio.cases(prompt_id)
        assert case.vars == {"item": "apples"} and case.expected == "The answer for apples is 42."
        assert case.source == "run"


async def test_esc_stops_a_try_run_and_keeps_what_arrived(make_app, endpoint):
    app = make_app()
    prompt_id = make_prompt(app)
    endpoint.when(Scenario(reply="slow words " * 200, chunk_size=5, delay=0.02), contains="for pears")
    async with app.run_test(size=SIZE) as pilot:
        await open_prompt(pilot, prompt_id)
        await pilot.press("t")
        await fill_form(pilot, "pears")
        await pilot.press("enter")
        await wait_for(pilot, lambda: "slow" in view(pilot).output)
        await pilot.press("escape")
        await idle(pilot)
        (run,) = app.studio.runs(prompt_id, kind="try")
        assert run.state == "interrupted" and run.output and run.output != "slow words " * 200
        await wait_for(pilot, lambda: "interrupted" in status(pilot))
        assert view(pilot).output == run.output  # the view shows exactly what was kept


async def test_the_matrix_marks_pass_fail_and_an_unclear_judge(make_app, endpoint):
    app = make_app()
    prompt_id = make_prompt(app)
    studio = app.studio
    for item in ("alpha", "beta", "gamma"):
        studio.add_case(prompt_id, {"item": item}, name=item)
    studio.set_evaluators(
        prompt_id,
        [
            {"name": "says ok", "string": {"contains": "OK"}},
            {"name": "judge", "uses": "promptstudio/judge", "with": {"rubric": "It answers in one line."}},
        ],
    )
    # The graders first (their request carries the output), then the prompt's own runs.
    endpoint.when(Scenario(reply=PASS), contains="OK-A1")
    endpoint.when(Scenario(reply=PASS), contains="NOPE-B2")
    endpoint.when(Scenario(reply="pass, I suppose"), contains="OK-C3")
    endpoint.when(Scenario(reply="OK-A1"), contains="for alpha")
    endpoint.when(Scenario(reply="NOPE-B2"), contains="for beta")
    endpoint.when(Scenario(reply="OK-C3"), contains="for gamma")
    async with app.run_test(size=SIZE) as pilot:
        await open_prompt(pilot, prompt_id)
        await pilot.press("m")
        await wait_for(pilot, lambda: "passed" in status(pilot))
        await idle(pilot)
        table = view(pilot).query_one(DataTable)
        cells = {key.value: [str(c) for c in table.get_row(key)[1:]] for key in table.rows}
        cases = {c.name: c.id for c in studio.cases(prompt_id)}
        assert cells[cases["alpha"]] == ["✓", "✓", "✓"]
        assert cells[cases["beta"]] == ["✗", "✓", "✗"]
        assert cells[cases["gamma"]] == ["✓", "?", "?"]
        assert "1/3 passed, 1 failed, 1 unclear" in status(pilot)

        table.focus()
        table.move_cursor(row=table.get_row_index(cases["gamma"]))
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, CaseDetail))
        detail = " ".join(rendered(s) for s in app.screen.query(".side Static").results(Static))
        assert "OK-C3" in detail and "unclear" in detail and "judge" in detail


async def test_compare_two_versions_shows_both_outputs(make_app, endpoint):
    app = make_app()
    prompt_id = make_prompt(app)
    app.studio.edit_prompt(prompt_id, "Answer briefly for {{item}}.")
    app.studio.add_case(prompt_id, {"item": "kiwi"}, name="kiwi")
    endpoint.when(Scenario(reply="LONG kiwi answer"), contains="Answer for kiwi")
    endpoint.when(Scenario(reply="SHORT kiwi"), contains="Answer briefly for kiwi")
    async with app.run_test(size=SIZE) as pilot:
        await open_prompt(pilot, prompt_id)
        assert screen(pilot).panel.shown.number == 2
        await pilot.press("w")
        await pilot.click("#confirm")
        await wait_for(pilot, lambda: "v1:" in status(pilot) and "v2:" in status(pilot))
        await idle(pilot)
        table = view(pilot).query_one(DataTable)
        table.focus()
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, CaseDetail))
        sides = [rendered(s) for s in app.screen.query(".side Static").results(Static)]
        assert "v1" in sides[0] and "LONG kiwi answer" in sides[0]
        assert "v2" in sides[1] and "SHORT kiwi" in sides[1]


async def test_lint_findings_show_under_the_prompt(make_app, endpoint):
    app = make_app()
    prompt_id = make_prompt(app, "Greet {{name} warmly.\nMention hobbies, pets, etc.")
    async with app.run_test(size=SIZE) as pilot:
        await open_prompt(pilot, prompt_id)
        lint = screen(pilot).query_one(LintView)
        text = rendered(lint)
        assert "✗ 1:7" in text  # the unclosed brace, an error, with its place
        assert "⚠ 2:" in text and "etc." in text
        assert "tokens" in text
        assert lint.has_class("-error")


async def test_esc_stops_the_matrix_and_keeps_the_finished_cases(make_app, endpoint):
    app = make_app()
    prompt_id = make_prompt(app)
    for item in ("fast", "slow"):
        app.studio.add_case(prompt_id, {"item": item}, name=item)
    app.studio.set_evaluators(prompt_id, [{"name": "says ok", "string": {"contains": "OK"}}])
    endpoint.when(Scenario(reply="OK fast"), contains="for fast")
    endpoint.when(Scenario(reply="OK " * 300, chunk_size=3, delay=0.02), contains="for slow")
    async with app.run_test(size=SIZE) as pilot:
        await open_prompt(pilot, prompt_id)
        await pilot.press("m")
        await wait_for(pilot, lambda: status(pilot).startswith("2/2"))
        await pilot.press("escape")  # the focus is on the matrix, in the pane
        await idle(pilot)
        await wait_for(pilot, lambda: "Stopped after 1 of 2" in status(pilot))
        table = view(pilot).query_one(DataTable)
        fast = next(c.id for c in app.studio.cases(prompt_id) if c.name == "fast")
        assert [str(c) for c in table.get_row(fast)[1:]] == ["✓", "✓"]
        states = sorted(r.state for r in app.studio.runs(prompt_id, kind="test"))
        assert states == ["complete", "interrupted"]


async def test_proposed_cases_are_saved_only_as_ticked(make_app, endpoint):
    from textual.widgets import SelectionList

    from promptstudio_tui.screens.testing_modals import ProposalsModal
    from promptstudio_tui.screens.usage import UsageScreen

    app = make_app()
    prompt_id = make_prompt(app)
    answer = (
        '{"cases": [{"name": "one", "vars": {"item": "a"}, "expected": null, "why": "w"},'
        ' {"name": "two", "vars": {"item": "b"}, "expected": null, "why": "w"}],'
        ' "evaluators": [{"name": "short", "uses": "promptstudio/length", "with": {"max": 20, "unit": "words"}}]}'
    )
    endpoint.when(Scenario(reply=answer), contains="You write test cases")
    async with app.run_test(size=SIZE) as pilot:
        await open_prompt(pilot, prompt_id)
        await screen(pilot).run_action("propose_cases")
        await wait_for(pilot, lambda: isinstance(app.screen, ProposalsModal))
        await pilot.pause()
        app.screen.query_one(SelectionList).deselect("case-1")
        await pilot.click("#confirm")
        await wait_for(pilot, lambda: bool(app.studio.cases(prompt_id)))
        assert [c.name for c in app.studio.cases(prompt_id)] == ["one"]
        assert [s.name for s in app.studio.evaluators(prompt_id)] == ["short"]
        assert "Kept 1 cases and 1 checks — m runs them." in notifications(pilot)
        await pilot.press("f3")  # the request counts as a prompt test, named so in Usage
        await wait_for(pilot, lambda: isinstance(app.screen, UsageScreen))
        await pilot.pause()
        by_type = app.screen.query_one("#by-type", DataTable)
        assert [str(by_type.get_row(key)[0]) for key in by_type.rows] == ["Prompt tests"]
