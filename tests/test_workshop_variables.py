"""`{{variables}}` in prompt texts: found in order with positions, filled verbatim, literal braces by `\\{{`."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from promptstudio_tui.workshop.variables import (
    NAME,
    Occurrence,
    UnfilledVariablesError,
    escape,
    find,
    from_json_object,
    is_valid_name,
    names,
    parse_assignment,
    render,
    unused,
)


def test_names_in_order_of_first_appearance_with_whitespace_tolerated() -> None:
    text = "Summarise {{ ticket }} for {{customer.name}}.\nAgain: {{ticket}} in {{\tlanguage\t}}."
    assert names(text) == ["ticket", "customer.name", "language"]


def test_occurrences_have_offsets_lines_and_columns() -> None:
    text = "Hi {{a}}\n  {{ b }} and {{a}}"
    assert find(text) == [
        Occurrence("a", 3, 8, 1, 4),
        Occurrence("b", 11, 18, 2, 3),
        Occurrence("a", 23, 28, 2, 15),
    ]
    for occurrence in find(text):
        assert text[occurrence.start : occurrence.end].strip("{} ") == occurrence.name


@pytest.mark.parametrize(
    "text",
    ["{{}}", "{{ }}", "{{1st}}", "{{ticket-id}}", "{{#if x}}", "{{a b}}", "{{a.}}", "{{.a}}", "{{a..b}}", "{{a\n}}"],
)
def test_shapes_that_are_not_variables_stay_text(text: str) -> None:
    assert names(text) == []
    assert render(text, {}) == text


def test_unicode_letters_and_underscores_make_names() -> None:
    assert names("{{pays_été}} {{_private}} {{v2}}") == ["pays_été", "_private", "v2"]
    assert is_valid_name("user.name") and not is_valid_name("9lives") and not is_valid_name("a-b")


def test_render_fills_every_occurrence() -> None:
    text = "Dear {{ name }}, your ticket {{id}} is closed. Thanks, {{name}}'s team"
    assert render(text, {"name": "Ada", "id": "#42"}) == "Dear Ada, your ticket #42 is closed. Thanks, Ada's team"


def test_values_are_verbatim_and_never_expanded_again() -> None:
    text = "A: {{a}} B: {{b}}"
    assert render(text, {"a": "{{b}}", "b": "\\{{x}}"}) == "A: {{b}} B: \\{{x}}"


def test_an_empty_value_fills_a_variable() -> None:
    assert render("[{{a}}]", {"a": ""}) == "[]"


def test_unfilled_variables_are_all_named_in_one_error_with_the_unused_ones() -> None:
    with pytest.raises(UnfilledVariablesError) as caught:
        render("{{b}} {{a}} {{c}} {{b}}", {"c": "x", "zzz": "y"})
    assert caught.value.missing == ["b", "a"]
    assert caught.value.unused == ["zzz"]
    assert str(caught.value) == "unfilled variables: b, a"
    with pytest.raises(UnfilledVariablesError, match=r"^unfilled variable: a$"):
        render("{{a}}", {})


def test_a_value_that_is_not_text_is_named() -> None:
    with pytest.raises(TypeError, match="value of n must be text, not int"):
        render("{{n}}", {"n": 3})  # type: ignore[dict-item]


def test_unused_lists_given_names_the_text_lacks_in_given_order() -> None:
    assert unused("{{a}} \\{{b}}", ["z", "b", "a", "z"]) == ["z", "b"]
    assert render("{{a}}", {"a": "1", "z": "2"}) == "1"  # extra values never stop a render


@pytest.mark.parametrize(
    ("text", "rendered", "variables"),
    [
        ("\\{{name}}", "{{name}}", []),  # escaped: literal braces, not a variable
        ("\\\\{{name}}", "\\V", ["name"]),  # escaped backslash, then the variable
        ("\\\\\\{{name}}", "\\{{name}}", []),
        ("\\{{{{name}}", "{{V", ["name"]),  # literal "{{", then a variable
        ("{{{name}}}", "{V}", ["name"]),  # Mustache's triple braces mean nothing special
        ("C:\\temp and \\n and \\d+ {{name}}", "C:\\temp and \\n and \\d+ V", ["name"]),  # other backslashes stay
        ("\\\\{{ticket-id}}", "\\{{ticket-id}}", []),  # halved before any "{{"
    ],
)
def test_literal_brace_escapes(text: str, rendered: str, variables: list[str]) -> None:
    assert names(text) == variables
    assert render(text, dict.fromkeys(variables, "V")) == rendered


def test_escape_writes_literal_text() -> None:
    assert escape("Use {{name}} in Jinja") == "Use \\{{name}} in Jinja"
    assert escape("no braces \\ here") == "no braces \\ here"


def test_parse_assignment() -> None:
    assert parse_assignment("lang=fr") == ("lang", "fr")
    assert parse_assignment("q=a=b") == ("q", "a=b")
    assert parse_assignment("empty=") == ("empty", "")
    with pytest.raises(ValueError, match="write NAME=VALUE"):
        parse_assignment("lang")
    with pytest.raises(ValueError, match="'a-b' is not a variable name"):
        parse_assignment("a-b=1")


def test_from_json_object() -> None:
    data = {"a": "text", "n": 3, "ok": True, "items": ["x", "é"], "none": None}
    assert from_json_object(data) == {"a": "text", "n": "3", "ok": "true", "items": '["x", "é"]', "none": "null"}
    with pytest.raises(ValueError, match="JSON object"):
        from_json_object(["a"])


# --- properties -------------------------------------------------------------------------

NAMES = st.from_regex(re.compile(NAME, re.ASCII), fullmatch=True).filter(lambda n: len(n) < 20)
PLAIN = st.text(st.characters(blacklist_characters="{}\\"), max_size=12)
SPACES = st.sampled_from(["", " ", "  ", "\t"])
ANY_TEXT = st.text(st.sampled_from(list("{}\\ ab_.1\n-")), max_size=40) | st.text(max_size=40)


@st.composite
def templates(draw: st.DrawFn) -> tuple[str, list[str]]:
    """Plain text with variables at known places: (text, names used in order)."""
    parts, used = [draw(PLAIN)], []
    for _ in range(draw(st.integers(0, 6))):
        name = draw(NAMES)
        used.append(name)
        parts.append("{{" + draw(SPACES) + name + draw(SPACES) + "}}")
        parts.append(draw(PLAIN))
    return "".join(parts), used


@given(templates())
def test_names_are_the_variables_written_in_order(template: tuple[str, list[str]]) -> None:
    text, used = template
    assert names(text) == list(dict.fromkeys(used))
    assert [o.name for o in find(text)] == used


@given(templates())
def test_rendering_a_template_replaces_exactly_its_variables(template: tuple[str, list[str]]) -> None:
    text, used = template
    values = {name: f"<{name.upper()}>" for name in used}
    expected = re.sub(r"\{\{[ \t]*(" + NAME + r")[ \t]*\}\}", lambda m: values[m[1]], text)
    assert render(text, values) == expected


@given(
    st.text(st.sampled_from(list("{}\\ ab_.1\n-")), max_size=60),
    st.text(st.characters(blacklist_characters="{}\\"), min_size=1, max_size=5),
)
def test_render_with_all_values_leaves_no_detected_variable(text: str, value: str) -> None:
    """Whatever the braces and backslashes, a filled text has none of its variables left.

    Escaped `\\{{a}}` renders as `{{a}}` on purpose, so the property is stated on texts
    without backslashes; the values contain no braces, so any `{{a}}` would be a leftover.
    """
    text = text.replace("\\", "")
    detected = names(text)
    rendered = render(text, dict.fromkeys(detected, "⟨" + value + "⟩"))
    for name in detected:
        assert not re.search(r"\{\{[ \t]*" + re.escape(name) + r"[ \t]*\}\}", rendered)


@given(ANY_TEXT)
def test_literal_text_round_trips_through_escape(text: str) -> None:
    escaped = escape(text)
    assert names(escaped) == []
    assert render(escaped, {}) == text


@given(ANY_TEXT)
def test_occurrences_are_ordered_and_point_at_their_text(text: str) -> None:
    found = find(text)
    assert [o.start for o in found] == sorted(o.start for o in found)
    for o in found:
        assert re.fullmatch(r"\{\{[ \t]*" + re.escape(o.name) + r"[ \t]*\}\}", text[o.start : o.end])
        line_start = text.rfind("\n", 0, o.start) + 1
        assert (o.line, o.column) == (text.count("\n", 0, o.start) + 1, o.start - line_start + 1)
