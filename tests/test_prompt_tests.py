"""The prompt workshop's runs through the service over real HTTP: fill, try, test, judge, compare, propose.

The loopback server answers by input and by model (`endpoint.when`), so a run of many
requests is deterministic whatever their order; request bodies are asserted as sent.
"""

from __future__ import annotations

import asyncio
import json

import pytest

from loopback import Scenario
from promptstudio_tui.events import (
    CaseDone,
    CaseStarted,
    CompareDone,
    Proposals,
    RunDelta,
    RunDone,
    RunStarted,
    StudioError,
    TestDone,
    UnfilledVariables,
)
from promptstudio_tui.studio import Studio
from promptstudio_tui.workshop.evaluators import JudgeCheck, RegexCheck, StringCheck

PASS = json.dumps({"verdict": "pass", "reason": "It names the queue."})
FAIL = json.dumps({"verdict": "fail", "reason": "It does not name the queue."})
RUBRIC = "RUBRIC-MARK: the answer names exactly one queue"


async def collect(events):
    return [event async for event in events]


def chats(endpoint) -> list[dict]:
    return [r.body for r in endpoint.requests if r.path.endswith("/chat/completions")]


def make_prompt(studio: Studio, text: str) -> str:
    return studio.import_prompt(text, title="Triage").id


def prompt_tests(studio: Studio) -> tuple[int, int]:
    """(prompt_test requests recorded, requests still reserved)."""
    rows = {row.key: row.requests for row in studio.usage_report().by_type}
    return rows.get("prompt_test", 0), studio.quota_status().reserved_requests


# -- variables --------------------------------------------------------------------


def test_render_fills_every_variable_and_remembers_the_values(studio: Studio) -> None:
    prompt_id = make_prompt(studio, "Sort {{ticket}} for {{team}}. Literal \\{{braces}} stay.")
    assert studio.variables(prompt_id) == ["ticket", "team"]
    assert studio.remembered_values(prompt_id) == {}

    text = studio.render(prompt_id, values={"ticket": "T-1 refund", "team": "billing", "extra": "x"})
    assert text == "Sort T-1 refund for billing. Literal {{braces}} stay."
    # Only the prompt's own variables are remembered.
    assert studio.remembered_values(prompt_id) == {"ticket": "T-1 refund", "team": "billing"}

    with pytest.raises(UnfilledVariables, match="Unfilled variable: team") as caught:
        studio.render(prompt_id, values={"ticket": "T-2"})
    assert caught.value.missing == ["team"]


# -- try it -------------------------------------------------------------------------


async def test_a_try_run_sends_the_filled_version_and_is_stored_and_counted(studio: Studio, endpoint) -> None:
    prompt_id = make_prompt(studio, "Sort {{ticket}} into a queue.")
    endpoint.script(Scenario(reply="Queue: billing"))
    events = await collect(studio.run(prompt_id, values={"ticket": "refund for order 7"}))

    assert chats(endpoint)[-1]["messages"] == [{"role": "user", "content": "Sort refund for order 7 into a queue."}]
    assert chats(endpoint)[-1]["model"] == "gpt-4o-mini"
    assert isinstance(events[0], RunStarted) and events[0].text == "Sort refund for order 7 into a queue."
    assert "".join(e.text for e in events if isinstance(e, RunDelta)) == "Queue: billing"
    run = events[-1].run
    assert isinstance(events[-1], RunDone)
    assert (run.state, run.output, run.kind, run.version, run.vars) == (
        "complete",
        "Queue: billing",
        "try",
        1,
        {"ticket": "refund for order 7"},
    )
    assert run.prompt_tokens > 0 and run.completion_tokens > 0 and run.latency_ms >= 0
    assert studio.runs(prompt_id) == [run]
    assert prompt_tests(studio) == (1, 0)
    assert studio.remembered_values(prompt_id) == {"ticket": "refund for order 7"}


async def test_a_try_run_can_use_another_model(studio: Studio, endpoint) -> None:
    prompt_id = make_prompt(studio, "Say hi.")
    endpoint.when(Scenario(reply="small hi"), model="loopback-small")
    run = (await collect(studio.run(prompt_id, model="loopback-small")))[-1].run
    assert chats(endpoint)[-1]["model"] == "loopback-small"
    assert (run.model, run.output) == ("loopback-small", "small hi")


async def test_an_unfilled_try_is_refused_before_any_request(studio: Studio, endpoint) -> None:
    prompt_id = make_prompt(studio, "Sort {{ticket}}.")
    with pytest.raises(UnfilledVariables, match="ticket"):
        await collect(studio.run(prompt_id, values={}))
    assert chats(endpoint) == []
    assert prompt_tests(studio) == (0, 0)


async def test_a_stopped_try_keeps_what_arrived_as_interrupted(studio: Studio, endpoint) -> None:
    prompt_id = make_prompt(studio, "Write a long story.")
    endpoint.script(Scenario(reply="Once upon a time there was", chunk_size=4, stall_after_chars=8))
    events = studio.run(prompt_id)
    seen = ""
    async for event in events:
        if isinstance(event, RunDelta):
            seen += event.text
            if len(seen) >= 8:
                break
    await events.aclose()
    run = studio.runs(prompt_id)[0]
    assert (run.state, run.output) == ("interrupted", "Once upon a time there was"[:8])
    assert prompt_tests(studio)[1] == 0  # the reservation is released


async def test_an_endpoint_error_is_an_error_run_with_one_sentence(studio: Studio, endpoint) -> None:
    prompt_id = make_prompt(studio, "Say hi.")
    endpoint.script(Scenario(status=400, error_message="Bad thing."))
    run = (await collect(studio.run(prompt_id)))[-1].run
    assert run.state == "error" and run.output == ""
    assert run.error and "\n" not in run.error and "Bad thing" in run.error
    assert prompt_tests(studio) == (0, 0)  # nothing was spent, nothing is held


# -- cases and evaluators -------------------------------------------------------------


def test_cases_and_evaluators_are_kept_and_validated(studio: Studio) -> None:
    prompt_id = make_prompt(studio, "Sort {{ticket}}.")
    case = studio.add_case(prompt_id, {"ticket": "refund"}, expected="billing", name="refund")
    assert [(c.vars, c.expected, c.name) for c in studio.cases(prompt_id)] == [
        ({"ticket": "refund"}, "billing", "refund")
    ]
    with pytest.raises(UnfilledVariables, match="ticket"):
        studio.add_case(prompt_id, {"other": "x"})

    specs = studio.set_evaluators(
        prompt_id,
        [
            StringCheck("queue", "contains", "billing"),
            {"name": "j", "uses": "promptstudio/judge", "with": {"rubric": "r"}},
        ],
    )
    assert studio.evaluators(prompt_id) == specs
    with pytest.raises(StudioError, match="regex"):
        studio.set_evaluators(prompt_id, [{"name": "bad", "uses": "promptstudio/regex", "with": {"pattern": "("}}])
    with pytest.raises(StudioError, match="promptstudio/nonsense"):
        studio.set_evaluators(prompt_id, [{"name": "odd", "uses": "promptstudio/nonsense"}])
    with pytest.raises(StudioError, match="named 'a'"):
        studio.set_evaluators(prompt_id, [RegexCheck("a", "x"), RegexCheck("a", "y")])
    assert studio.evaluators(prompt_id) == specs  # a refused set changes nothing

    studio.delete_case(case.id)
    assert studio.cases(prompt_id) == []
    with pytest.raises(StudioError, match="no test case"):
        studio.delete_case(case.id)


async def test_a_try_run_becomes_a_case(studio: Studio, endpoint) -> None:
    prompt_id = make_prompt(studio, "Sort {{ticket}}.")
    endpoint.script(Scenario(reply="billing"))
    run = (await collect(studio.run(prompt_id, values={"ticket": "refund"})))[-1].run
    case = studio.case_from_run(run.id[:12], expected=run.output)
    assert (case.prompt_id, case.vars, case.expected, case.source) == (
        prompt_id,
        {"ticket": "refund"},
        "billing",
        "run",
    )


# -- test ----------------------------------------------------------------------------


async def triage(studio: Studio, endpoint, *, judge_reply: str = PASS) -> str:
    """A prompt with three cases, a string check on {{expected}} and a judge; the endpoint
    answers each input (and the judge) by content."""
    prompt_id = make_prompt(studio, "Sort this ticket into a queue: {{ticket}}")
    studio.add_case(prompt_id, {"ticket": "REFUND-7 money back"}, expected="billing")
    studio.add_case(prompt_id, {"ticket": "CRASH-9 app dies"}, expected="bugs")
    studio.add_case(prompt_id, {"ticket": "LOGIN-3 password"}, expected="accounts")
    studio.set_evaluators(prompt_id, [StringCheck("queue", "equals", "{{expected}}"), JudgeCheck("judge", RUBRIC)])
    endpoint.when(Scenario(reply=judge_reply), contains="RUBRIC-MARK")  # first: the judge sees the inputs too
    endpoint.when(Scenario(reply="billing"), contains="REFUND-7")
    endpoint.when(Scenario(reply="crash team"), contains="CRASH-9")
    endpoint.when(Scenario(reply="accounts"), contains="LOGIN-3")
    return prompt_id


async def test_a_test_run_grades_every_case_with_checks_and_the_judge(studio: Studio, endpoint) -> None:
    prompt_id = await triage(studio, endpoint)
    events = await collect(studio.test(prompt_id))

    assert [type(e) for e in events] == [CaseStarted, CaseDone] * 3 + [TestDone]
    done = [e for e in events if isinstance(e, CaseDone)]
    assert [d.verdict for d in done] == ["pass", "fail", "pass"]
    assert [r.verdict for r in done[1].results] == ["fail", "pass"]
    assert done[1].results[0].evaluator == "queue"
    summary = events[-1].summary
    assert (summary.total, summary.passed, summary.count("fail"), summary.ok) == (3, 2, 1, False)

    bodies = chats(endpoint)
    # The prompt's requests carry each case's value filled in …
    sent = [b["messages"] for b in bodies if len(b["messages"]) == 1]
    assert [m[0]["content"] for m in sent] == [
        "Sort this ticket into a queue: REFUND-7 money back",
        "Sort this ticket into a queue: CRASH-9 app dies",
        "Sort this ticket into a queue: LOGIN-3 password",
    ]
    # … and each judge sees the rubric, the input and the output it grades.
    judged = [b["messages"][-1]["content"] for b in bodies if len(b["messages"]) == 2]
    assert len(judged) == 3
    assert RUBRIC in judged[1] and "CRASH-9 app dies" in judged[1] and "crash team" in judged[1]
    assert all(b["temperature"] == 0 for b in bodies if len(b["messages"]) == 2)

    # Every request is stored and counted as a prompt test: three runs and three gradings.
    kinds = sorted(r.kind for r in studio.runs(prompt_id))
    assert kinds == ["judge"] * 3 + ["test"] * 3
    graded = {r.case_id: r.verdict for r in studio.runs(prompt_id, kind="test")}
    assert sorted(graded.values()) == ["fail", "pass", "pass"]
    assert prompt_tests(studio) == (6, 0)


@pytest.mark.parametrize("answer", ["PASS", "pass, looks right", '{"verdict": "pass"}', ""])
async def test_a_judge_answer_in_the_wrong_shape_is_unclear_never_pass(studio: Studio, endpoint, answer: str) -> None:
    prompt_id = await triage(studio, endpoint, judge_reply=answer or " ")
    summary = (await collect(studio.test(prompt_id)))[-1].summary
    first = summary.outcomes[0]
    assert [r.verdict for r in first.results] == ["pass", "unclear"]
    assert first.verdict == "unclear" and not summary.ok


async def test_an_endpoint_failing_mid_run_marks_that_case_error_and_keeps_the_rest(studio: Studio, endpoint) -> None:
    prompt_id = await triage(studio, endpoint)
    endpoint.when(Scenario(status=400, error_message="Upstream broke."), contains="CRASH-9 app dies", first=True)
    summary = (await collect(studio.test(prompt_id)))[-1].summary

    assert [o.verdict for o in summary.outcomes] == ["pass", "error", "pass"]
    failed = summary.outcomes[1]
    assert failed.run.state == "error" and "Upstream broke" in (failed.run.error or "")
    assert failed.results == [] and failed.judge_runs == []
    assert [r.state for r in studio.runs(prompt_id, kind="test")].count("complete") == 2
    assert prompt_tests(studio) == (4, 0)  # two cases and their two gradings; the failure spent nothing


async def test_a_case_with_an_unfilled_variable_is_an_error_without_a_request(studio: Studio, endpoint) -> None:
    prompt_id = make_prompt(studio, "Sort {{ticket}}.")
    studio.add_case(prompt_id, {"ticket": "x"})
    studio.edit_prompt(prompt_id, "Sort {{ticket}} for {{team}}.")  # v2 needs a value the case lacks
    summary = (await collect(studio.test(prompt_id)))[-1].summary
    assert summary.outcomes[0].verdict == "error"
    assert "team" in (summary.outcomes[0].run.error or "")
    assert chats(endpoint) == []


async def test_stopping_a_test_keeps_the_finished_cases(studio: Studio, endpoint) -> None:
    prompt_id = await triage(studio, endpoint)
    endpoint.when(Scenario(reply="crash and more", stall_after_chars=5), contains="CRASH-9", first=True)
    seen: list = []

    async def consume() -> None:
        async for event in studio.test(prompt_id):
            seen.append(event)

    task = asyncio.create_task(consume())
    while not any("CRASH-9" in json.dumps(b) for b in chats(endpoint)):
        await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task

    assert [e.verdict for e in seen if isinstance(e, CaseDone)] == ["pass"]
    runs = {r.vars["ticket"]: r for r in studio.runs(prompt_id, kind="test")}
    assert runs["REFUND-7 money back"].verdict == "pass"  # finished: kept with its verdict
    assert runs["CRASH-9 app dies"].state == "interrupted"  # in flight: kept as it stood
    assert "LOGIN-3 password" not in runs
    assert prompt_tests(studio)[1] == 0


async def test_a_prompt_without_cases_cannot_be_tested(studio: Studio, endpoint) -> None:
    prompt_id = make_prompt(studio, "Say hi.")
    with pytest.raises(StudioError, match="no test cases"):
        await collect(studio.test(prompt_id))


# -- compare ---------------------------------------------------------------------------


async def test_compare_two_models_on_the_same_cases(studio: Studio, endpoint) -> None:
    prompt_id = make_prompt(studio, "Sort {{ticket}}.")
    studio.add_case(prompt_id, {"ticket": "a"}, expected="billing")
    studio.add_case(prompt_id, {"ticket": "b"}, expected="billing")
    studio.set_evaluators(prompt_id, [StringCheck("queue", "equals", "{{expected}}")])
    endpoint.when(Scenario(reply="billing"), model="loopback-large")
    endpoint.when(Scenario(reply="no idea"), model="loopback-small")

    events = await collect(studio.compare(prompt_id, models=("loopback-large", "loopback-small")))
    done = events[-1]
    assert isinstance(done, CompareDone) and done.by_case
    left, right = done.sides
    assert (left.label, [o.verdict for o in left.outcomes]) == ("loopback-large", ["pass", "pass"])
    assert (right.label, [o.verdict for o in right.outcomes]) == ("loopback-small", ["fail", "fail"])
    assert left.tokens > 0 and right.tokens > 0
    assert [e.side for e in events if isinstance(e, CaseDone)] == ["loopback-large", "loopback-small"] * 2
    assert sorted(b["model"] for b in chats(endpoint)) == ["loopback-large"] * 2 + ["loopback-small"] * 2


async def test_compare_two_versions_on_one_input_without_cases(studio: Studio, endpoint) -> None:
    prompt_id = make_prompt(studio, "V1 sort {{ticket}}.")
    studio.edit_prompt(prompt_id, "V2 sort {{ticket}} politely.")
    endpoint.when(Scenario(reply="one"), contains="V1 sort")
    endpoint.when(Scenario(reply="two"), contains="V2 sort")
    done = (await collect(studio.compare(prompt_id, versions=(1, 2), values={"ticket": "T"})))[-1]
    assert not done.by_case
    assert [s.outcomes[0].run.output for s in done.sides] == ["one", "two"]
    assert [s.outcomes[0].run.kind for s in done.sides] == ["try", "try"]
    assert [b["messages"][0]["content"] for b in chats(endpoint)] == ["V1 sort T.", "V2 sort T politely."]

    with pytest.raises(StudioError, match="not both"):
        await collect(studio.compare(prompt_id, versions=(1, 2), models=("a", "b")))
    with pytest.raises(StudioError, match="no version 9"):
        await collect(studio.compare(prompt_id, versions=(1, 9)))


# -- proposals from the conversation ------------------------------------------------------


async def conversation_prompt(studio: Studio, endpoint) -> str:
    conv = studio.new_conversation()
    endpoint.script(Scenario(reply="Noted."))
    await collect(studio.send(conv.id, "REQUIREMENT-A: refunds always go to billing"))
    endpoint.script(Scenario(reply="Sort {{ticket}} into billing, bugs or accounts."))
    await collect(studio.generate(conv.id))
    prompt = studio.prompt_of(conv.id)
    assert prompt is not None
    return prompt.id


async def test_proposed_cases_come_from_the_conversation_and_wait_for_acceptance(studio: Studio, endpoint) -> None:
    prompt_id = await conversation_prompt(studio, endpoint)
    answer = {
        "cases": [{"name": "refund", "vars": {"ticket": "I want my money back"}, "expected": "billing", "why": "A"}],
        "evaluators": [{"name": "queue", "string": {"equals": "{{expected}}"}}],
    }
    endpoint.script(Scenario(reply=json.dumps(answer)))
    proposals = await studio.propose_cases(prompt_id)

    sent = "\n".join(m["content"] for m in chats(endpoint)[-1]["messages"])
    assert "REQUIREMENT-A" in sent and "Sort {{ticket}} into billing" in sent and "Variables: ticket" in sent
    assert isinstance(proposals, Proposals)
    assert [(c.vars, c.expected, c.why) for c in proposals.cases] == [
        ({"ticket": "I want my money back"}, "billing", "A")
    ]
    assert studio.cases(prompt_id) == [] and studio.evaluators(prompt_id) == []  # nothing saved yet

    studio.set_evaluators(prompt_id, [StringCheck("queue", "contains", "x")])
    cases, _specs = studio.accept_proposed(prompt_id, proposals)
    assert [c.source for c in studio.cases(prompt_id)] == ["proposed"] == [c.source for c in cases]
    assert [s.name for s in studio.evaluators(prompt_id)] == ["queue", "queue (2)"]
    assert prompt_tests(studio)[0] == 1


@pytest.mark.parametrize(
    "reply",
    [
        "Here are some cases: …",
        json.dumps({"cases": []}),
        json.dumps({"cases": [{"vars": {"other": "x"}}], "evaluators": []}),
        json.dumps({"cases": [], "evaluators": [{"name": "x", "uses": "promptstudio/nonsense"}]}),
    ],
)
async def test_a_proposal_in_the_wrong_shape_is_one_sentence_and_saves_nothing(
    studio: Studio, endpoint, reply: str
) -> None:
    prompt_id = await conversation_prompt(studio, endpoint)
    endpoint.script(Scenario(reply=reply))
    with pytest.raises(
        StudioError, match=r"^The model's proposal could not be read \(.*\); nothing was saved"
    ) as caught:
        await studio.propose_cases(prompt_id)
    assert "\n" not in str(caught.value)
    assert studio.cases(prompt_id) == [] and studio.evaluators(prompt_id) == []
    assert prompt_tests(studio) == (1, 0)  # the request is counted all the same
