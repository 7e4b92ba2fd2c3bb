"""`promptstudio prompts render|run|test|compare|cases|case-add|case-delete|propose-cases`:
the installed CLI over real HTTP, exit codes as a script or CI sees them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from loopback import Scenario

PROPOSAL = {
    "cases": [
        {"name": "refund", "vars": {"ticket": "REFUND-7"}, "expected": "billing", "why": "refunds go to billing"},
        {"name": "crash", "vars": {"ticket": "CRASH-9"}, "expected": "bugs", "why": "crashes go to bugs"},
    ],
    "evaluators": [{"name": "queue", "string": {"equals": "{{expected}}"}}],
}


@pytest.fixture
def prompt_id(run) -> str:
    imported = run("prompts", "import", "-", stdin="Sort this ticket into a queue: {{ticket}}")
    return imported.stderr.split("of prompt ")[1].split()[0]


def chats(endpoint) -> list[dict]:
    return [r.body for r in endpoint.requests if r.path.endswith("/chat/completions")]


def test_render_fills_names_what_is_unfilled_and_warns_of_unknown_values(run, prompt_id: str, tmp_path: Path) -> None:
    assert run("prompts", "render", prompt_id, "--var", "ticket=T-1").stdout == "Sort this ticket into a queue: T-1\n"

    unfilled = run("prompts", "render", prompt_id, check=2)
    assert unfilled.stdout == ""
    assert unfilled.stderr.strip().splitlines() == ["promptstudio: Unfilled variable: ticket — give each a value."]

    extra = run("prompts", "render", prompt_id, "--var", "ticket=T", "--var", "queue=x")
    assert "warning: --var queue: the prompt has no {{queue}}" in extra.stderr

    values = tmp_path / "vars.json"
    values.write_text(json.dumps({"ticket": "from file", "n": 3}))
    from_file = run("prompts", "render", prompt_id, "--vars", str(values), "--var", "ticket=wins")
    assert from_file.stdout == "Sort this ticket into a queue: wins\n"

    for bad in (["--var", "no-equals"], ["--var", "1x=y"], ["--vars", str(tmp_path / "missing.json")]):
        refused = run("prompts", "render", prompt_id, *bad, check=2)
        assert len(refused.stderr.strip().splitlines()) == 1, refused.stderr
    values.write_text("[1, 2]")
    assert "JSON object" in run("prompts", "render", prompt_id, "--vars", str(values), check=2).stderr


def test_run_streams_the_output_and_exits_as_send_does(run, prompt_id: str, endpoint) -> None:
    endpoint.script(Scenario(reply="Queue: billing"))
    done = run("prompts", "run", prompt_id, "--var", "ticket=refund please", "--model", "loopback-small")
    assert done.stdout == "Queue: billing\n"
    assert chats(endpoint)[-1]["messages"] == [
        {"role": "user", "content": "Sort this ticket into a queue: refund please"}
    ]
    assert chats(endpoint)[-1]["model"] == "loopback-small"

    endpoint.script(Scenario(reply="ok"))
    stored = json.loads(run("prompts", "run", prompt_id, "--var", "ticket=x", "--json").stdout)
    assert (stored["state"], stored["output"], stored["kind"]) == ("complete", "ok", "try")

    endpoint.script(Scenario(status=400, error_message="Nope."))
    failed = run("prompts", "run", prompt_id, "--var", "ticket=x", check=1)
    assert failed.stderr.strip().splitlines()[-1].startswith("promptstudio: ")
    assert "Nope" in failed.stderr

    assert run("prompts", "run", prompt_id, check=2).stderr.count("\n") == 1  # unfilled: no request
    assert len(chats(endpoint)) == 3


def test_proposed_cases_then_a_test_that_fails_then_passes(run, prompt_id: str, endpoint) -> None:
    # The imported prompt's conversation is seeded with it: enough to propose from.
    endpoint.script(Scenario(reply=json.dumps(PROPOSAL)))
    shown = run("prompts", "propose-cases", prompt_id)
    assert "REFUND-7" in shown.stdout and "nothing saved" in shown.stderr
    assert json.loads(run("prompts", "cases", prompt_id, "--json").stdout) == []

    endpoint.script(Scenario(reply=json.dumps(PROPOSAL)))
    run("prompts", "propose-cases", prompt_id, "--accept")
    listed = json.loads(run("prompts", "cases", prompt_id, "--json").stdout)
    assert [(c["vars"], c["expected"], c["source"]) for c in listed] == [
        ({"ticket": "REFUND-7"}, "billing", "proposed"),
        ({"ticket": "CRASH-9"}, "bugs", "proposed"),
    ]

    endpoint.when(Scenario(reply="billing"), contains="REFUND-7")
    endpoint.when(Scenario(reply="billing"), contains="CRASH-9")
    failing = run("prompts", "test", prompt_id, check=1)
    rows = failing.stdout.splitlines()
    assert rows[0].split()[:2] == ["CASE", "VERDICT"]
    assert [row.split()[1] for row in rows[1:]] == ["pass", "fail"]
    assert "[2/2]" in failing.stderr and "1 pass, 1 fail of 2" in failing.stderr

    endpoint.reset()
    endpoint.when(Scenario(reply="billing"), contains="REFUND-7")
    endpoint.when(Scenario(reply="bugs"), contains="CRASH-9")
    passing = json.loads(run("prompts", "test", prompt_id, "--json").stdout)
    assert (passing["passed"], passing["ok"], passing["total"]) == (2, True, 2)
    assert [c["results"][0]["verdict"] for c in passing["cases"]] == ["pass", "pass"]


def test_a_test_with_an_endpoint_error_exits_1_and_keeps_the_other_cases(run, prompt_id: str, endpoint) -> None:
    run("prompts", "case-add", prompt_id, "--var", "ticket=A1", "--expected", "ok")
    run("prompts", "case-add", prompt_id, "--var", "ticket=B2", "--expected", "ok")
    endpoint.when(Scenario(status=400, error_message="Broken."), contains="B2")
    endpoint.when(Scenario(reply="ok"), contains="A1")
    result = json.loads(run("prompts", "test", prompt_id, "--json", check=1).stdout)
    assert [c["verdict"] for c in result["cases"]] == ["unclear", "error"]  # no evaluator: nothing checked A1
    assert result["cases"][0]["run"]["output"] == "ok"
    assert "Broken" in result["cases"][1]["run"]["error"]


def test_compare_two_models_prints_both_sides(run, prompt_id: str, endpoint) -> None:
    run("prompts", "case-add", prompt_id, "--var", "ticket=A1")
    endpoint.when(Scenario(reply="LARGE-SAYS"), model="loopback-large")
    endpoint.when(Scenario(reply="SMALL-SAYS"), model="loopback-small")
    table = run("prompts", "compare", prompt_id, "--model", "loopback-large", "--model", "loopback-small").stdout
    assert "loopback-large" in table.splitlines()[0] and "loopback-small" in table.splitlines()[0]
    assert "LARGE-SAYS" in table and "SMALL-SAYS" in table
    data = json.loads(
        run("prompts", "compare", prompt_id, "--model", "loopback-large", "--model", "loopback-small", "--json").stdout
    )
    assert [s["cases"][0]["run"]["output"] for s in data["sides"]] == ["LARGE-SAYS", "SMALL-SAYS"]

    wrong = run("prompts", "compare", prompt_id, "--model", "loopback-large", check=1)
    assert wrong.stderr.strip().splitlines() == [
        "promptstudio: Give --version twice or --model twice, e.g. --version 1 --version 2."
    ]


def test_cases_can_be_added_from_a_run_and_deleted(run, prompt_id: str, endpoint) -> None:
    endpoint.script(Scenario(reply="billing"))
    stored = json.loads(run("prompts", "run", prompt_id, "--var", "ticket=refund", "--json").stdout)
    run("prompts", "case-add", prompt_id, "--from-run", stored["id"], "--expected", "billing")
    listed = json.loads(run("prompts", "cases", prompt_id, "--json").stdout)
    assert [(c["vars"], c["source"]) for c in listed] == [({"ticket": "refund"}, "run")]

    refused = run("prompts", "case-add", prompt_id, "--var", "other=1", check=2)
    assert "Unfilled variable: ticket" in refused.stderr

    run("prompts", "case-delete", prompt_id, listed[0]["id"])
    assert json.loads(run("prompts", "cases", prompt_id, "--json").stdout) == []
    assert run("prompts", "case-delete", prompt_id, listed[0]["id"], check=1).stderr.count("\n") == 1


def test_a_proposal_in_the_wrong_shape_is_one_sentence_and_exit_1(run, prompt_id: str, endpoint) -> None:
    endpoint.script(Scenario(reply="Sure! Here are some ideas for cases."))
    failed = run("prompts", "propose-cases", prompt_id, "--accept", check=1)
    assert failed.stderr.strip().splitlines() == [
        "promptstudio: The model's proposal could not be read (it was not one JSON object); nothing was saved —"
        " try again."
    ]
    assert json.loads(run("prompts", "cases", prompt_id, "--json").stdout) == []
