"""The word diff between two prompt texts: runs that rebuild both texts, and a plain form."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from promptstudio_tui.workshop.diff import Run, word_diff


def test_a_changed_word_is_shown_in_place() -> None:
    diff = word_diff("Write a short email.", "Write a long email.")
    assert diff.runs == (
        Run("equal", "Write a "),
        Run("delete", "short"),
        Run("insert", "long"),
        Run("equal", " email."),
    )
    assert diff.plain() == "Write a [-short-]{+long+} email."
    assert (diff.changed, diff.words_added, diff.words_removed) == (True, 1, 1)


def test_equal_texts_have_no_changes() -> None:
    for text in ("", "one line", "two\nlines\n"):
        diff = word_diff(text, text)
        assert not diff.changed and diff.plain() == text


def test_added_and_removed_lines_between_unchanged_ones() -> None:
    old = "# Role\nYou review code.\n# Output\nA list.\n"
    new = "# Role\nYou review Python code.\n# Output\nA list.\n# Notes\nBe kind.\n"
    diff = word_diff(old, new)
    assert diff.plain() == "# Role\nYou review {+Python +}code.\n# Output\nA list.\n{+# Notes\nBe kind.\n+}"
    assert (diff.words_added, diff.words_removed) == (5, 0)  # Python, #, Notes, Be, kind.


def test_everything_removed_or_everything_added() -> None:
    assert word_diff("gone now", "").plain() == "[-gone now-]"
    assert word_diff("", "new text").plain() == "{+new text+}"


def test_whitespace_changes_are_changes() -> None:
    diff = word_diff("a b", "a  b")
    assert diff.changed and diff.new == "a  b" and diff.old == "a b"


# Texts built from a few words, spaces and newlines, so that random pairs share a lot.
texts = st.lists(st.sampled_from(["alpha", "beta", "{{x}}", "é", " ", "  ", "\n", "\t", "."]), max_size=40).map("".join)


@given(old=st.one_of(texts, st.text()), new=st.one_of(texts, st.text()))
def test_the_runs_rebuild_both_texts(old: str, new: str) -> None:
    diff = word_diff(old, new)
    assert diff.old == old and diff.new == new
    assert all(run.text for run in diff.runs)  # no empty runs
    assert all(a.kind != b.kind for a, b in zip(diff.runs, diff.runs[1:], strict=False))  # neighbours merged
    assert diff.changed == (old != new)
