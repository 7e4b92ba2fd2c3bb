"""Prompt lint: each finding fires on its shape and stays quiet on a well-written prompt."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from promptstudio_tui.workshop.lint import Cost, Finding, LintReport, lint

GOOD_PROMPT = """\
You are a support triage assistant for Acme Cloud. You read one customer ticket and decide how urgent it is, so the on-call lead knows what to open first.

# Input

<ticket>
{{ticket_text}}
</ticket>

The customer's plan is {{plan}}. Tickets from the Enterprise plan have a 1-hour response target; all others have 8 hours.

# Steps

1. Read the whole ticket, including any quoted logs or error messages.
2. Identify the affected product (Compute, Storage, Networking or Billing) and what the customer cannot do.
3. Decide the urgency from the impact, not from the customer's tone:
   - **P1**: production is down or data is being lost for many users.
   - **P2**: a production feature is degraded, or one user is blocked with no workaround.
   - **P3**: a question, a cosmetic problem, or an issue with a workaround.
4. Never invent facts that are not in the ticket. When the ticket does not say enough to decide, choose P3 and name the missing facts.

# Output format

Respond with a single JSON object and nothing else (no code fences, no prose before or after):

```json
{
  "reasoning": "Two to four sentences: the product, the impact, and why that impact maps to the urgency.",
  "product": "Compute | Storage | Networking | Billing",
  "missing_facts": ["each fact you would need to be more certain"],
  "verdict": "P1 | P2 | P3"
}
```

# Example

Ticket: "Since 09:00 UTC every request to our EU buckets returns 503. Our checkout is down."

```json
{"reasoning": "Storage fails for all traffic in one region and checkout is down: a production outage.", "product": "Storage", "missing_facts": [], "verdict": "P1"}
```

# Notes

- Write `reasoning` in English even when the ticket is in another language.
- Use the plan only for the response target, never to raise or lower the urgency.
- A ticket in $\\frac{a}{b}}$ notation or with JSON such as {"a": {"b": 1}} is still one ticket.
"""

FORMAT = " Answer in one paragraph."  # keeps no-output-format out of tests about other findings


def codes(report: LintReport) -> list[str]:
    return [f.code for f in report.findings]


def only(report: LintReport, code: str) -> list[Finding]:
    return [f for f in report.findings if f.code == code]


def test_a_good_prompt_has_no_findings() -> None:
    report = lint(
        GOOD_PROMPT,
        cases=[{"ticket_text": "Checkout is down", "plan": "Enterprise"}, {"ticket_text": "Typo", "plan": "Free"}],
        model="gpt-4o",
        window=128_000,
    )
    assert report.findings == ()
    assert not report.has_errors


def test_a_blank_text_has_no_findings() -> None:
    assert lint("  \n").findings == ()


# --- variables and test cases ---------------------------------------------------------


def test_a_variable_no_case_gives_is_an_error_at_its_first_use() -> None:
    text = "Translate this.\nText: {{text}} into {{ language }}, then {{language}} again." + FORMAT
    report = lint(text, cases=[{"text": "hi"}, {"text": "yo"}])
    assert report.findings == (
        Finding("error", "variable-never-given", "{{language}} has no value in any test case", 2, 21, 14),
    )
    assert report.has_errors


def test_a_variable_some_cases_lack_is_a_warning() -> None:
    report = lint("Say {{a}} and {{b}}." + FORMAT, cases=[{"a": "1", "b": "2"}, {"a": "1"}, {"a": "3"}])
    assert report.findings == (
        Finding("warning", "variable-sometimes-given", "{{b}} has no value in 2 of 3 test cases", 1, 15, 5),
    )


def test_case_values_the_prompt_does_not_use_are_named_once_each() -> None:
    report = lint("Say {{a}}." + FORMAT, cases=[{"a": "1", "ticket": "x"}, {"a": "2", "ticket": "y", "lang": "fr"}])
    assert report.findings == (
        Finding("warning", "unused-case-variable", "2 of 2 test cases give “ticket”, which the prompt does not use"),
        Finding("warning", "unused-case-variable", "1 of 2 test cases give “lang”, which the prompt does not use"),
    )


def test_without_cases_variables_are_not_checked_against_them() -> None:
    assert lint("Say {{a}}." + FORMAT).findings == ()


def test_an_escaped_variable_needs_no_case() -> None:
    assert lint("Say \\{{a}} literally." + FORMAT, cases=[{}]).findings == ()


# --- braces ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Hi {{name}, welcome", [("error", "brace-unclosed", 1, 4, 7)]),
        ("Hi {name}} welcome", [("error", "brace-unopened", 1, 4, 7)]),
        ("Hi {{}} and\n{{  }}", [("error", "brace-empty", 1, 4, 4), ("error", "brace-empty", 2, 1, 6)]),
        ("Hi {{ticket-id}} now", [("warning", "brace-not-a-variable", 1, 4, 13)]),
        ("Hi {{ open and never closed", [("warning", "brace-never-closed", 1, 4, 2)]),
        ("Hi {{{name}}} now", [("warning", "brace-triple", 1, 4, 10)]),
        ("```\n{{ x|upper }}\n```", [("info", "brace-not-a-variable", 2, 1, 13)]),
        ("```\nif (a) {{ b\n```", [("info", "brace-never-closed", 2, 8, 2)]),
    ],
)
def test_malformed_braces(text: str, expected: list[tuple[str, str, int, int, int]]) -> None:
    findings = lint(text + "\n" + FORMAT).findings
    assert [(f.severity, f.code, f.line, f.column, f.length) for f in findings] == expected


def test_brace_messages_show_the_fix() -> None:
    assert lint("{{name}" + FORMAT).findings[0].message == "`{{name}` needs a second `}`: `{{name}}`"
    assert lint("{name}}" + FORMAT).findings[0].message == "`{name}}` needs a second `{`: `{{name}}`"
    assert "write `\\{{#if x}}`" in lint("{{#if x}}" + FORMAT).findings[0].message


@pytest.mark.parametrize(
    "text",
    [
        "Literal \\{{ticket-id}} and \\{{ open",  # escaped braces are text
        "LaTeX: $\\frac{a}{b}}$ and $x^{n}}$ and \\text{b}}",
        'JSON: {"a": {"b": {"c": 1}}}',
        "Fine: {{a}} {{ b.c }} {single} }}",
    ],
)
def test_brace_shapes_that_are_fine(text: str) -> None:
    assert lint(text + FORMAT).findings == ()


# --- output format --------------------------------------------------------------------


def test_no_output_format_guidance_is_a_warning() -> None:
    report = lint("Summarise {{output_format}} for a manager who is busy.")  # a variable's name is not guidance
    assert report.findings == (
        Finding(
            "warning",
            "no-output-format",
            "no output format: say what the answer should look like (JSON with named keys, three bullets, one paragraph…)",
        ),
    )


@pytest.mark.parametrize(
    "guidance",
    ["Reply with three bullet points.", "Use at most 50 words.", "Return JSON.", "Answer yes or no.", "Use markdown."],
)
def test_output_format_guidance_silences_it(guidance: str) -> None:
    assert lint(f"Summarise {{{{text}}}} for a manager. {guidance}").findings == ()


# --- conclusion before reasoning ------------------------------------------------------

WRONG_ORDER = [
    '```json\n{\n  "answer": "…",\n  "reasoning": "…"\n}\n```',
    '{"type": "object", "properties": {"score": {"type": "integer"}, "justification": {"type": "string"}}}',
    '```\n{"finalAnswer": "…", "stepByStepReasoning": "…"}\n```',
    "Output:\n<verdict>pass or fail</verdict>\n<thinking>why</thinking>",
    "Use this template:\nVerdict: pass or fail\nReasoning: one sentence",
    "```\n## Rating\n1-5\n## Explanation\nwhy\n```",
]


@pytest.mark.parametrize("skeleton", WRONG_ORDER)
def test_a_conclusion_before_its_reasoning_is_a_warning(skeleton: str) -> None:
    report = lint("Grade the essay {{essay}}. Respond in this format:\n\n" + skeleton)
    assert codes(report) == ["conclusion-before-reasoning"]
    finding = report.findings[0]
    assert finding.severity == "warning"
    line = ("Grade the essay {{essay}}. Respond in this format:\n\n" + skeleton).splitlines()[finding.line - 1]
    start = finding.column - 1
    assert line[start : start + finding.length].lower() in {"answer", "score", "finalanswer", "verdict", "rating"}


@pytest.mark.parametrize(
    "skeleton",
    [
        '```json\n{"reasoning": "…", "answer": "…"}\n```',
        '```json\n[{"reasoning": "a", "answer": "x"}, {"reasoning": "b", "answer": "y"}]\n```',
        "Before the answer, give your reasoning in one sentence.",  # prose order is not a schema
        "Reasoning: one sentence\nVerdict: pass or fail",
        '```json\n{"answer": "…"}\n```\n\nIn your notes, keep "reasoning": short.',  # different regions
    ],
)
def test_reasoning_first_or_prose_passes(skeleton: str) -> None:
    assert lint("Grade the essay {{essay}}. Respond in this format:\n\n" + skeleton).findings == ()


# --- vague quantities -----------------------------------------------------------------


def test_vague_quantities_are_warnings_with_places() -> None:
    text = "List some risks, a few owners,\nseveral dates, various teams, etc. and so on.\nAsk questions as needed."
    found = [(f.line, f.column, f.length) for f in only(lint(text), "vague-quantity")]
    assert found == [(1, 6, 4), (1, 18, 5), (2, 1, 7), (2, 16, 7), (2, 31, 4), (2, 36, 9), (3, 15, 9)]
    assert all(f.severity == "warning" for f in lint(text).findings)
    assert (
        only(lint(text), "vague-quantity")[4].message
        == "vague: “etc.” — name every item, or write “such as” before the examples"
    )


def test_vague_words_in_code_variables_and_longer_words_pass() -> None:
    text = "Someone handsome lists {{some}} items and `some` code." + FORMAT + "\n```\nsome etc.\n```"
    assert lint(text).findings == ()


# --- duplicated instructions ----------------------------------------------------------


def test_a_repeated_sentence_is_a_warning_at_the_repeat() -> None:
    text = (
        "Never invent facts about the customer.\nBe brief.\n\n- **never** invent facts   about the customer!" + FORMAT
    )
    assert only(lint(text), "duplicate-instruction") == [
        Finding(
            "warning",
            "duplicate-instruction",
            "repeats line 1: “Never invent facts about the customer.”",
            4,
            1,
            46,
        )
    ]


def test_a_repeat_inside_a_line_is_found() -> None:
    text = "Keep every answer short. Cite the ticket. Keep every answer short." + FORMAT
    assert [(f.line, f.column) for f in only(lint(text), "duplicate-instruction")] == [(1, 43)]


def test_short_repeats_code_and_different_variables_pass() -> None:
    text = (
        "Input: {{a}}\nOutput: x\nInput: {{a}}\nOutput: y\n"
        "Summarise the ticket for {{lead}}.\nSummarise the ticket for {{owner}}.\n"
        "```\nreturn the same value here\nreturn the same value here\n```\n"
    )
    assert lint(text).findings == ()


# --- window, tokens, costs ------------------------------------------------------------


def test_tokens_are_estimated_without_a_counter_and_counted_with_one() -> None:
    text = "Reply in one line: " + "word " * 100
    estimated = lint(text)
    assert (estimated.tokens, estimated.tokens_estimated) == ((len(text) + 3) // 4, True)
    counted = lint(text, count_tokens=lambda t: t.count("word"))
    assert (counted.tokens, counted.tokens_estimated) == (100, False)


def test_a_prompt_over_the_window_is_an_error() -> None:
    report = lint("Reply in one line.", model="gpt-4", window=8_192, count_tokens=lambda _: 9_120)
    assert report.findings == (
        Finding("error", "too-long-for-window", "the prompt is 9,120 tokens, over gpt-4's 8,192-token window"),
    )
    assert report.has_errors


def test_a_prompt_near_the_window_is_a_warning_and_an_estimate_says_so() -> None:
    text = "Reply in one line." + "x" * 3_700  # about 930 tokens
    report = lint(text, window=1_000)
    assert report.findings == (
        Finding(
            "warning",
            "near-window",
            "the prompt is about 930 tokens: only 70 of the model's 1,000-token window are left for input and reply",
        ),
    )
    assert lint(text, window=1_100).findings == ()
    assert lint(text).findings == ()


def test_costs_for_each_priced_model_chosen_model_first() -> None:
    prices = {"gpt-4o-mini": (0.15, 0.6), "gpt-4o": (Decimal("2.50"), "10"), "o3": (2, 8)}
    report = lint("Reply in one line.", model="gpt-4o", count_tokens=lambda _: 4_001, prices=prices)
    assert report.costs == (
        Cost("gpt-4o", 10_003, 10_000),  # 4,001 × $2.50/1M = $0.0100025 → 10,002.5 µ$, half up
        Cost("gpt-4o-mini", 600, 600),  # 600.15 µ$
        Cost("o3", 8_002, 8_000),
    )
    assert lint("Reply in one line.").costs == ()


# --- report ---------------------------------------------------------------------------


def test_whole_text_findings_come_first_then_text_order() -> None:
    text = "Do some of the work.\nHi {{name}\nDo some of the work."
    report = lint(text, cases=[{"other": "1"}], window=1, count_tokens=lambda _: 5)
    assert codes(report) == [
        "too-long-for-window",
        "unused-case-variable",
        "no-output-format",
        "vague-quantity",
        "brace-unclosed",
        "duplicate-instruction",
        "vague-quantity",
    ]
    assert [(f.line, f.column) for f in report.findings[3:]] == [(1, 4), (2, 4), (3, 1), (3, 4)]
    assert report.count("error") == 2 and report.count("warning") == 5 and report.count("info") == 0


def test_as_dict_is_json() -> None:
    report = lint("Say {{a}} some time.", cases=[{}], prices={"gpt-4o": (2.5, 10)})
    data = json.loads(json.dumps(report.as_dict()))
    assert data["tokens"] == report.tokens and data["tokens_estimated"] is True
    assert data["costs"] == [
        {"model": "gpt-4o", "prompt_micros": report.costs[0].prompt_micros, "reply_micros_per_1k": 10_000}
    ]
    assert {f["code"] for f in data["findings"]} == {"variable-never-given", "no-output-format", "vague-quantity"}
    assert data["findings"][0] == {
        "severity": "warning",
        "code": "no-output-format",
        "message": report.findings[0].message,
        "line": None,
        "column": None,
        "length": None,
    }


@given(st.text(st.sampled_from(list('{}\\`~#\n .:"<>aeAs_-1')) | st.characters(), max_size=200))
def test_any_text_lints_and_places_stay_inside_their_line(text: str) -> None:
    lines = text.split("\n")
    for finding in lint(text, cases=[{"a": "1"}], window=10).findings:
        if finding.line is not None:
            assert finding.column is not None and finding.length is not None
            assert finding.column >= 1 and finding.column - 1 + finding.length <= len(lines[finding.line - 1])
