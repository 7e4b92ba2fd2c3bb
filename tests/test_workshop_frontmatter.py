"""Front matter of an imported markdown prompt: title and tags, strictly read."""

from __future__ import annotations

import pytest

from promptstudio_tui.workshop.frontmatter import FrontMatterError, Imported, parse


def test_title_and_flow_tags() -> None:
    text = "---\ntitle: 'Code reviewer'\ntags: [python, \"code review\"]\n---\nYou review code.\n"
    assert parse(text) == Imported("You review code.", "Code reviewer", ["python", "code review"])


def test_block_tags_comma_tags_and_other_keys_skipped() -> None:
    text = "---\ndescription: kept elsewhere\ntitle: X\ntags:\n  - a\n  - b\nauthors:\n  - me\n  meta: 1\n---\nBody"
    assert parse(text) == Imported("Body", "X", ["a", "b"])
    assert parse("---\ntags: a, b\n---\nBody").tags == ["a", "b"]


def test_text_without_front_matter_is_all_body() -> None:
    assert parse("Just a prompt.") == Imported("Just a prompt.")
    assert parse("") == Imported("")
    # An opening rule with no closing one is markdown, not front matter.
    assert parse("---\nSome text after a rule") == Imported("---\nSome text after a rule")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("---\ntitle X\n---\nb", "line 2 is not `key: value`"),
        ("---\ntags: [a, b\n---\nb", "line 2: the tag list is not closed"),
        ("---\ntitle: 'open\n---\nb", "line 2: a quote is not closed"),
        ("---\ntitle: t\n  indented: x\n---\nb", "line 3 is not `key: value`"),
    ],
)
def test_malformed_front_matter_names_its_line(text: str, message: str) -> None:
    with pytest.raises(FrontMatterError, match=message):
        parse(text)
