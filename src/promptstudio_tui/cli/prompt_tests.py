"""`promptstudio prompts render|run|test|compare|cases|case-add|case-delete|propose-cases`:
fill a prompt's variables, try it, test it (exit 1 unless every case passes: usable in CI),
compare two versions or two models, and keep its test cases.

Exit codes: 0 done; 1 a failure (a case not passing, a run that did not complete, a refusal);
2 bad input (an unfilled variable, a bad --var or --vars file); 130 interrupted (what finished is kept).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from collections.abc import Callable
from contextlib import aclosing
from pathlib import Path
from typing import Any

from promptstudio_tui.cli.common import PathArgument, json_out, out, read_text, version_number
from promptstudio_tui.cli.common import run as run_async
from promptstudio_tui.safe_files import shown

Handler = Callable[..., int]
USAGE_ERROR = 2


def add_actions(action: Callable[..., argparse.ArgumentParser]) -> dict[str, Handler]:
    """Add the workshop's run and test actions to `prompts`; handlers take (studio, prompt, args)."""
    a = action("render", "print a version with its {{variables}} filled")
    _version_and_values(a)
    a = action("run", "try a version, filled, against the model; streams the output (--model picks another)")
    _version_and_values(a)
    a.add_argument("--json", action="store_true", help="print the stored run as JSON instead of streaming")
    a = action("test", "run every test case and its evaluators; exit 1 unless every case passes")
    a.add_argument("--version", metavar="N", help="this version instead of the latest")
    a.add_argument("--json", action="store_true", help="the results as JSON")
    # "resolve": its --model is given twice, replacing the one-value --model of every command.
    a = action(
        "compare",
        "the same cases (or one input) across two versions or two models, side by side",
        conflict_handler="resolve",
    )
    a.add_argument("--version", dest="versions", action="append", metavar="N", help="a version to compare (twice)")
    a.add_argument("--model", dest="models", action="append", metavar="M", help="a model to compare (twice)")
    a.add_argument("--var", action="append", default=[], metavar="NAME=VALUE", help="one input, instead of the cases")
    a.add_argument(
        "--vars", metavar="FILE.json", type=PathArgument, help="values from a JSON object (the --var values win)"
    )
    a.add_argument("--json", action="store_true", help="both sides as JSON")
    a = action("cases", "list the prompt's test cases")
    a.add_argument("--json", action="store_true", help="machine-readable list")
    a = action("case-add", "add a test case: values for the variables, optionally the expected output")
    a.add_argument("--var", action="append", default=[], metavar="NAME=VALUE", help="a variable's value (repeat)")
    a.add_argument(
        "--vars", metavar="FILE.json", type=PathArgument, help="values from a JSON object (the --var values win)"
    )
    a.add_argument("--expected", metavar="TEXT", help="the expected output (- reads stdin)")
    a.add_argument("--name", default="", metavar="NAME", help="a short name for the case")
    a.add_argument("--from-run", metavar="RUN", help="take the values of this run (see `prompts run --json`)")
    a = action("case-delete", "delete one test case")
    a.add_argument("case", metavar="CASE", help="case id or unique prefix (see `prompts cases`)")
    a = action("propose-cases", "propose cases and evaluators from the requirements said in the prompt's conversation")
    a.add_argument("--accept", action="store_true", help="save every proposal (else they are only printed)")
    a.add_argument("--json", action="store_true", help="the proposals as JSON")
    return {
        "render": render,
        "run": run,
        "test": test,
        "compare": compare,
        "cases": cases,
        "case-add": case_add,
        "case-delete": case_delete,
        "propose-cases": propose_cases,
    }


def _version_and_values(a: argparse.ArgumentParser) -> None:
    a.add_argument("--version", metavar="N", help="this version instead of the latest")
    a.add_argument("--var", action="append", default=[], metavar="NAME=VALUE", help="a variable's value (repeat)")
    a.add_argument(
        "--vars", metavar="FILE.json", type=PathArgument, help="values from a JSON object (the --var values win)"
    )


# ---- values from the command line


class _BadInput(Exception):
    """Exit 2 with this one line."""


def _values(args: argparse.Namespace) -> dict[str, str]:
    from promptstudio_tui.workshop import variables

    values: dict[str, str] = {}
    try:
        if args.vars:
            path = Path(args.vars).expanduser()
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
            except OSError as exc:
                raise _BadInput(f"Cannot read the variables file {shown(path)}: {exc.strerror or exc}.") from None
            except ValueError as exc:
                raise _BadInput(f"The variables file {shown(path)} is not JSON: {exc}.") from None
            values.update(variables.from_json_object(data))
        for argument in args.var:
            name, value = variables.parse_assignment(argument)
            values[name] = value
    except ValueError as exc:
        raise _BadInput(str(exc)) from None
    return values


def _warn_unknown(studio, prompt_id: str, number: int | None, values: dict[str, Any]) -> None:
    have = set(studio.variables(prompt_id, number))
    for name in values:
        if name not in have:
            print(f"warning: --var {name}: the prompt has no {{{{{name}}}}}", file=sys.stderr)


def _number(args: argparse.Namespace) -> int | None:
    return None if args.version is None else version_number(args.version)


def _bad_input(handler: Handler) -> Handler:
    """Unfilled variables and bad --var/--vars input: one line on stderr, exit 2."""

    def wrapped(studio, prompt, args: argparse.Namespace) -> int:
        from promptstudio_tui.events import UnfilledVariables

        try:
            return handler(studio, prompt, args)
        except (UnfilledVariables, _BadInput) as exc:
            print(f"promptstudio: {exc}", file=sys.stderr)
            return USAGE_ERROR

    return wrapped


# ---- render and run


@_bad_input
def render(studio, prompt, args: argparse.Namespace) -> int:
    number, values = _number(args), _values(args)
    _warn_unknown(studio, prompt.id, number, values)
    out(studio.render(prompt.id, number, values) + "\n")
    return 0


@_bad_input
def run(studio, prompt, args: argparse.Namespace) -> int:
    from promptstudio_tui.events import RunDelta, RunDone, StudioError

    number, values = _number(args), _values(args)
    _warn_unknown(studio, prompt.id, number, values)

    async def go() -> int:
        async with aclosing(studio.run(prompt.id, number, values)) as events:
            async for event in events:
                if isinstance(event, RunDelta) and not args.json:
                    out(event.text)
                elif isinstance(event, RunDone):
                    done = event.run
                    if args.json:
                        json_out(_run_json(done))
                    else:
                        out("\n")
                        print(f"run {done.id} v{done.version} {done.model}: {_spend(done)}", file=sys.stderr)
                    if done.state != "complete":
                        raise StudioError(done.error or f"The run ended {done.state}.")
                    if done.error:
                        print(f"promptstudio: {done.error}", file=sys.stderr)
        return 0

    return run_async(studio, go)


# ---- test and compare


def test(studio, prompt, args: argparse.Namespace) -> int:
    from promptstudio_tui.events import CaseDone, CaseStarted, TestDone

    number = _number(args)

    async def go() -> int:
        async with aclosing(studio.test(prompt.id, number)) as events:
            async for event in events:
                if isinstance(event, CaseStarted):
                    print(f"[{event.index + 1}/{event.total}] case {_short(event.case)} …", file=sys.stderr)
                elif isinstance(event, CaseDone):
                    print(
                        f"[{event.index + 1}/{event.total}] case {_short(event.case)} {event.verdict}", file=sys.stderr
                    )
                elif isinstance(event, TestDone):
                    summary = event.summary
                    if args.json:
                        json_out(_summary_json(summary))
                    else:
                        _test_table(summary)
                    print(_summary_line(summary), file=sys.stderr)
                    if summary.stopped:
                        print(f"promptstudio: stopped early: {summary.stopped}", file=sys.stderr)
                    return 0 if summary.ok else 1
        return 1

    return run_async(studio, go)


@_bad_input
def compare(studio, prompt, args: argparse.Namespace) -> int:
    from promptstudio_tui.events import CaseDone, CompareDone, StudioError

    versions, models = args.versions or [], args.models or []
    if bool(versions) == bool(models) or len(versions or models) != 2:
        raise StudioError("Give --version twice or --model twice, e.g. --version 1 --version 2.")
    values = _values(args) if args.var or args.vars else None

    async def go() -> int:
        compared = studio.compare(
            prompt.id,
            versions=(version_number(versions[0]), version_number(versions[1])) if versions else None,
            models=(models[0], models[1]) if models else None,
            values=values,
        )
        async with aclosing(compared) as events:
            async for event in events:
                if isinstance(event, CaseDone):
                    where = f"case {_short(event.case)}" if event.case else "input"
                    print(f"[{event.index + 1}/{event.total}] {where} {event.side}: {event.verdict}", file=sys.stderr)
                elif isinstance(event, CompareDone):
                    if args.json:
                        json_out({"by_case": event.by_case, "sides": [_summary_json(s) for s in event.sides]})
                    else:
                        _compare_table(event)
                    for side in event.sides:
                        print(_summary_line(side), file=sys.stderr)
                    return 0
        return 1

    return run_async(studio, go)


# ---- cases


def cases(studio, prompt, args: argparse.Namespace) -> int:
    from promptstudio_tui.sanitize import one_line

    found = studio.cases(prompt.id)
    if args.json:
        json_out([dataclasses.asdict(c) for c in found])
        return 0
    for case in found:
        values = ", ".join(f"{k}={one_line(str(v), 30)}" for k, v in case.vars.items())
        expected = "" if case.expected is None else f"  expected: {one_line(case.expected, 40)}"
        out(f"{case.id}  {case.source:<8} {one_line(case.name, 20):<20} {values}{expected}\n")
    if not found:
        print("no test cases yet: add one with `promptstudio prompts case-add ID --var NAME=VALUE`", file=sys.stderr)
    return 0


@_bad_input
def case_add(studio, prompt, args: argparse.Namespace) -> int:
    expected = None if args.expected is None else read_text(args.expected)
    if args.from_run:
        if args.var or args.vars:
            raise _BadInput("Give either --from-run or --var/--vars, not both.")
        run_found = studio.find_run(args.from_run)
        if run_found.prompt_id != prompt.id:
            raise _BadInput(f"Run {args.from_run} is not a run of prompt {prompt.id}.")
        case = studio.case_from_run(run_found.id, expected)
    else:
        values = _values(args)
        _warn_unknown(studio, prompt.id, None, values)
        case = studio.add_case(prompt.id, values, expected=expected, name=args.name)
    print(f"added case {case.id} to prompt {prompt.id}", file=sys.stderr)
    return 0


def case_delete(studio, prompt, args: argparse.Namespace) -> int:
    from promptstudio_tui.events import StudioError

    case = studio.find_case(args.case)
    if case.prompt_id != prompt.id:
        raise StudioError(f"Case {args.case} is not a case of prompt {prompt.id}.")
    studio.delete_case(case.id)
    print(f"deleted case {case.id}", file=sys.stderr)
    return 0


def propose_cases(studio, prompt, args: argparse.Namespace) -> int:
    async def go() -> int:
        proposals = await studio.propose_cases(prompt.id)
        _show_proposals(proposals, args.json)
        if args.accept:
            added, specs = studio.accept_proposed(prompt.id, proposals)
            print(f"saved {len(added)} cases and {len(specs)} evaluators to prompt {prompt.id}", file=sys.stderr)
        else:
            print("nothing saved: run again with --accept to keep them", file=sys.stderr)
        return 0

    return run_async(studio, go)


def _show_proposals(proposals, as_json: bool) -> None:
    from promptstudio_tui.sanitize import one_line
    from promptstudio_tui.workshop.evaluators import to_mapping

    if as_json:
        json_out(
            {
                "cases": [dataclasses.asdict(c) for c in proposals.cases],
                "evaluators": [to_mapping(s) for s in proposals.evaluators],
            }
        )
        return
    for number, case in enumerate(proposals.cases, 1):
        values = ", ".join(f"{k}={one_line(str(v), 40)}" for k, v in case.vars.items())
        out(f"case {number}: {one_line(case.name, 40)}\n  {values}\n")
        if case.expected is not None:
            out(f"  expected: {one_line(case.expected, 80)}\n")
        if case.why:
            out(f"  why: {one_line(case.why, 100)}\n")
    for spec in proposals.evaluators:
        out(f"evaluator: {one_line(json.dumps(to_mapping(spec), ensure_ascii=False), 120)}\n")


# ---- output


def _short(case) -> str:
    return "-" if case is None else case.id[-8:]


def _spend(run) -> str:
    from promptstudio_tui.pricing import format_usd

    tokens = run.prompt_tokens + run.completion_tokens
    return f"{run.state}, {tokens} tokens, {run.latency_ms} ms, {format_usd(run.cost)}"


def _reason(outcome) -> str:
    """The first reason that is not a pass: what to look at."""
    for result in outcome.results:
        if result.verdict != "pass":
            return f"{result.evaluator}: {result.reason}" if result.evaluator else result.reason
    if outcome.verdict != "pass":
        return outcome.run.error or ("no evaluator checked it" if not outcome.results else "")
    return ""


def _test_table(summary) -> None:
    from promptstudio_tui.sanitize import one_line

    out(f"{'CASE':<9} {'VERDICT':<8} {'TOKENS':>7} {'MS':>7}  OUTPUT / REASON\n")
    for outcome in summary.outcomes:
        run = outcome.run
        detail = _reason(outcome) or run.output
        out(
            f"{_short(outcome.case):<9} {outcome.verdict:<8} {run.prompt_tokens + run.completion_tokens:>7}"
            f" {run.latency_ms:>7}  {one_line(detail, 80)}\n"
        )


def _compare_table(done) -> None:
    from promptstudio_tui.sanitize import one_line

    left, right = done.sides
    out(f"{'INPUT':<9} {left.label[:24]:<24} {right.label[:24]:<24}\n")
    for a, b in zip(left.outcomes, right.outcomes, strict=False):
        out(f"{_short(a.case):<9} {a.verdict:<24} {b.verdict:<24}\n")
        out(f"{'':<9} {one_line(a.run.output, 24):<24} {one_line(b.run.output, 24):<24}\n")
    out(
        f"{'tokens':<9} {left.tokens:<24} {right.tokens:<24}\n"
        f"{'ms':<9} {left.latency_ms:<24} {right.latency_ms:<24}\n"
        f"{'cost':<9} {_usd(left):<24} {_usd(right):<24}\n"
    )


def _usd(summary) -> str:
    from promptstudio_tui.pricing import format_usd

    text = format_usd(summary.cost)
    return f"{text} (+{summary.unpriced} unpriced)" if summary.unpriced else text


def _summary_line(summary) -> str:
    counts = ", ".join(
        f"{summary.count(v)} {v}" for v in ("pass", "fail", "unclear", "error") if summary.count(v) or v == "pass"
    )
    return f"{summary.label}: {counts} of {summary.total}; {summary.tokens} tokens, {summary.latency_ms} ms, {_usd(summary)}"


def _run_json(run) -> dict[str, Any]:
    return dataclasses.asdict(run)


def _summary_json(summary) -> dict[str, Any]:
    return {
        "prompt_id": summary.prompt_id,
        "version": summary.version,
        "model": summary.model,
        "label": summary.label,
        "total": summary.total,
        "passed": summary.passed,
        "failed": summary.count("fail"),
        "unclear": summary.count("unclear"),
        "errors": summary.count("error"),
        "ok": summary.ok,
        "stopped": summary.stopped,
        "tokens": summary.tokens,
        "cost_micros": summary.cost,
        "unpriced_requests": summary.unpriced,
        "latency_ms": summary.latency_ms,
        "cases": [
            {
                "case": None if o.case is None else dataclasses.asdict(o.case),
                "verdict": o.verdict,
                "results": [dataclasses.asdict(r) for r in o.results],
                "run": _run_json(o.run),
                "judge_runs": [_run_json(r) for r in o.judge_runs],
            }
            for o in summary.outcomes
        ],
    }
