""".prompt.yml files: golden files survive load → dump byte for byte, bad files are one sentence with
the file (and line), fingerprints see content not layout, and export names are safe."""

from __future__ import annotations

import datetime
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from promptstudio_tui.workshop.evaluators import GitHubBuiltin, GitHubLLM, JsonSchemaCheck, JudgeCheck, StringCheck
from promptstudio_tui.workshop.promptyml import Message, PromptFile, PromptFileError, dump, file_name_for, load

GOLDEN = sorted((Path(__file__).parent / "data" / "promptyml").glob("*.prompt.yml"))


def test_there_are_golden_files() -> None:
    assert len(GOLDEN) >= 3


@pytest.mark.parametrize("path", GOLDEN, ids=lambda p: p.name)
def test_golden_file_dumps_byte_for_byte(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    loaded = load(text, source_name=path.name)
    assert dump(loaded) == text
    assert load(dump(loaded), source_name=path.name) == loaded


def test_golden_triage_reads_every_field() -> None:
    path = next(p for p in GOLDEN if p.name == "ticket-triage.prompt.yml")
    loaded = load(path.read_text(encoding="utf-8"), source_name=path.name)
    assert loaded.name == "Ticket triage"
    assert loaded.model == "openai/gpt-4o-mini"
    assert loaded.model_parameters == {"temperature": 0.2, "maxTokens": 300}
    assert loaded.request_parameters() == {"temperature": 0.2, "max_tokens": 300}
    assert [m.role for m in loaded.messages] == ["system", "user"]
    assert "{{ticket}}" in loaded.messages[1].content
    assert loaded.test_data[1]["expected"] == "shipping"
    assert loaded.test_data[1]["ticket"].endswith("Can you check where it is?\n")
    kinds = [spec.kind for spec in loaded.evaluators]
    assert kinds == ["string", "regex", "length", "judge"]
    assert loaded.evaluators[0] == StringCheck("Names the expected queue first", "startsWith", "{{expected}}:")
    assert isinstance(loaded.evaluators[3], JudgeCheck)


def test_golden_github_evaluators_and_response_format() -> None:
    by_name = {p.name: load(p.read_text(encoding="utf-8"), source_name=p.name) for p in GOLDEN}
    summarizer = by_name["text-summarizer.prompt.yml"]
    assert isinstance(summarizer.evaluators[1], GitHubBuiltin)
    llm = summarizer.evaluators[2]
    assert isinstance(llm, GitHubLLM) and [c.choice for c in llm.choices] == ["yes", "no"]
    invoice = by_name["invoice-extractor.prompt.yml"]
    assert invoice.response_format == "json_object"
    schema = invoice.evaluators[1]
    assert isinstance(schema, JsonSchemaCheck) and isinstance(schema.schema, dict)
    assert schema.schema["required"] == ["seller", "date", "total", "currency"]


def test_unknown_top_level_keys_are_kept() -> None:
    text = (
        "name: x\nmessages:\n  - role: user\n    content: hi\nowner: team-a\nlabels:\n  - prod\nreviewed: 2025-03-01\n"
    )
    loaded = load(text, source_name="x.prompt.yml")
    assert loaded.extra == {"owner": "team-a", "labels": ["prod"], "reviewed": datetime.date(2025, 3, 1)}
    assert dump(loaded) == text
    assert loaded.fingerprint() != load(text.replace("03-01", "03-02"), source_name="x").fingerprint()


def test_dump_is_readable() -> None:
    prompt = PromptFile(
        name="Reviewer",
        messages=[Message("system", "You review code.\nBe brief.\n"), Message("user", "{{diff}}")],
        test_data=[{"diff": "- a\n+ b", "expected": "LGTM", "strict": True}],
        evaluators=[StringCheck("ok", "contains", "LGTM")],
    )
    text = dump(prompt)
    assert "content: |\n      You review code.\n      Be brief.\n" in text
    assert "content: '{{diff}}'" in text  # quoted: a bare {{ would start a YAML mapping
    assert "  - role: system" in text  # lists indented under their key, as GitHub's examples
    assert "strict: true" in text
    assert load(text, source_name="r.prompt.yml") == prompt


_text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)
_value = st.one_of(_text, st.integers(-(10**6), 10**6), st.booleans(), st.floats(allow_nan=False, allow_infinity=False))


@given(
    name=_text,
    description=_text,
    contents=st.lists(_text, min_size=1, max_size=3),
    cases=st.lists(st.dictionaries(st.from_regex(r"[a-z_]{1,8}", fullmatch=True), _value, max_size=3), max_size=3),
    rubric=_text.filter(lambda s: s.strip() != ""),
)
def test_load_dump_load_loses_nothing(name, description, contents, cases, rubric) -> None:
    prompt = PromptFile(
        name=name,
        description=description,
        model="openai/gpt-4o",
        model_parameters={"temperature": 0.7},
        messages=[Message("user", content) for content in contents],
        test_data=cases,
        evaluators=[JudgeCheck("judge", rubric), StringCheck("s", "equals", "{{expected}}")],
    )
    text = dump(prompt)
    again = load(text, source_name="p.prompt.yml")
    assert again == prompt
    assert dump(again) == text


def test_fingerprint_sees_content_not_layout() -> None:
    one = "name: x\nmodel: m\nmessages:\n  - role: user\n    content: hi {{a}}\n"
    reordered = "# a comment\nmessages: [{content: 'hi {{a}}', role: user}]\nmodel: \"m\"\nname: x\n"
    changed = "name: x\nmodel: m\nmessages:\n  - role: user\n    content: hi {{b}}\n"
    fp = load(one, source_name="a").fingerprint()
    assert fp == load(reordered, source_name="b").fingerprint()
    assert fp != load(changed, source_name="c").fingerprint()
    assert fp == load(dump(load(one, source_name="a")), source_name="d").fingerprint()


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("name: x\nmessages: [\n  - role: user\n", ["bad.prompt.yml line", "does not parse"]),
        ("name: x\n  model: y\nmessages: []\n", ["bad.prompt.yml line 2", "does not parse"]),
        ("name: 'unclosed\nmessages: []\n", ["bad.prompt.yml line", "does not parse"]),
        ("", ["bad.prompt.yml is not a .prompt.yml file"]),
        ("- a\n- b\n", ["bad.prompt.yml is not a .prompt.yml file"]),
        ("name: x\n", ["messages is missing"]),
        ("name: x\nmessages: hello\n", ["messages must be a list, not text"]),
        ("name: [a]\nmessages:\n  - role: user\n    content: hi\n", ["name must be text, not a list"]),
        ("messages:\n  - role: robot\n    content: hi\n", ["messages item 1", "'robot'"]),
        ("messages:\n  - role: user\n", ["messages item 1", "role and a content"]),
        ("messages:\n  - role: user\n    content: [a]\n", ["messages item 1", "content must be text"]),
        ("messages:\n  - {role: user, content: hi}\ntestData: {a: 1}\n", ["testData must be a list"]),
        ("messages:\n  - {role: user, content: hi}\ntestData:\n  - [a]\n", ["testData item 1"]),
        ("messages:\n  - {role: user, content: hi}\ntestData:\n  - {a: [1]}\n", ["testData item 1", "a must be"]),
        ("messages:\n  - {role: user, content: hi}\nmodelParameters: 3\n", ["modelParameters must be a mapping"]),
        (
            "messages:\n  - {role: user, content: hi}\nevaluators:\n  - {name: e, uses: promptstudio/sql}\n",
            ["evaluators item 1", "Unknown evaluator type", "promptstudio/sql"],
        ),
        (
            "messages:\n  - {role: user, content: hi}\nevaluators:\n"
            "  - name: e\n    uses: promptstudio/regex\n    with: {pattern: '[a-'}\n",
            ["evaluators item 1", "'[a-'", "does not compile"],
        ),
        (
            "messages:\n  - {role: user, content: hi}\nevaluators:\n"
            "  - name: e\n    uses: promptstudio/json-schema\n    with: {schema: {minLength: -1}}\n",
            ["evaluators item 1", "JSON schema is invalid"],
        ),
    ],
)
def test_bad_files_are_one_sentence_naming_the_file(text: str, words: list[str]) -> None:
    with pytest.raises(PromptFileError) as caught:
        load(text, source_name="bad.prompt.yml")
    message = str(caught.value)
    assert message.startswith("bad.prompt.yml")
    for word in words:
        assert word in message
    assert "\n" not in message


def test_yaml_error_names_the_right_line() -> None:
    text = "name: x\nmessages:\n  - role: user\n    content: hi\n  - role: user\n   content: bad indent\n"
    with pytest.raises(PromptFileError, match=r"^t\.prompt\.yml line 6: "):
        load(text, source_name="t.prompt.yml")


def test_only_safe_yaml_is_read() -> None:
    text = "name: !!python/object/apply:os.system ['echo hi']\nmessages: []\n"
    with pytest.raises(PromptFileError, match="does not parse"):
        load(text, source_name="evil.prompt.yml")


@pytest.mark.parametrize(
    ("title", "taken", "expected"),
    [
        ("Ticket triage", (), "ticket-triage.prompt.yml"),
        ("  Café — résumé writer (v2)!  ", (), "cafe-resume-writer-v2.prompt.yml"),
        ("../../etc/passwd", (), "etc-passwd.prompt.yml"),
        ("日本語", (), "prompt.prompt.yml"),
        ("", (), "prompt.prompt.yml"),
        ("CON", (), "con-prompt.prompt.yml"),
        ("Ticket triage", ("Ticket-Triage.prompt.yml",), "ticket-triage-2.prompt.yml"),
        ("Ticket triage", ("ticket-triage.prompt.yml", "ticket-triage-2.prompt.yml"), "ticket-triage-3.prompt.yml"),
    ],
)
def test_file_name_for(title: str, taken: tuple[str, ...], expected: str) -> None:
    assert file_name_for(title, taken) == expected


@given(st.text())
def test_file_names_are_always_safe(title: str) -> None:
    name = file_name_for(title)
    stem = name.removesuffix(".prompt.yml")
    assert name.endswith(".prompt.yml") and stem
    assert len(stem) <= 60 + len("-prompt")
    assert all(c.isascii() and (c.isalnum() or c == "-") for c in stem)
    assert not stem.startswith("-") and not stem.endswith("-")


def test_importing_the_workshop_loads_neither_yaml_nor_jsonschema() -> None:
    code = (
        "import sys\n"
        "import promptstudio_tui.workshop.promptyml, promptstudio_tui.workshop.evaluators\n"
        "print(sorted(m for m in ('yaml', 'jsonschema') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
