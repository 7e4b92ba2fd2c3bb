"""`promptstudio conversations list | show | export`: the installed CLI over real HTTP."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from clitools import error_line
from loopback import Scenario


@pytest.fixture
def conversation_id(run, endpoint) -> str:
    """A conversation with a complete reply, then a reply cut off mid-stream."""
    endpoint.script(Scenario(reply="Who reads the release notes?"))
    conversation = run("send", "A prompt for release notes").stderr.split()[1]
    endpoint.script(Scenario(reply="Developers, then managers.", cut_off_after_chars=10))
    run("send", "--conversation", conversation, "Developers", check=1)
    return conversation


def test_show_prints_every_message_with_role_model_time_and_state(run, conversation_id: str) -> None:
    text = run("conversations", "show", conversation_id[:10]).stdout
    assert text.startswith("# A prompt for release notes\n")
    assert "- Category: General" in text
    headings = [line for line in text.splitlines() if line.startswith("## ")]
    assert [h.split(" · ")[0] for h in headings] == ["## You", "## Assistant", "## You", "## Assistant"]
    assert headings[1].split(" · ")[1] == "gpt-4o-mini" and headings[1].endswith(" UTC")
    assert headings[3].endswith("· interrupted")  # the cut reply says so, with what arrived
    assert "Who reads the release notes?" in text and "Developers" in text


def test_export_json_has_the_documented_shape(run, conversation_id: str) -> None:
    data = json.loads(run("conversations", "export", conversation_id, "--format", "json").stdout)
    assert (data["format"], data["version"], data["id"]) == ("promptstudio.conversation", 1, conversation_id)
    assert (data["title"], data["category"], data["tags"], data["status"]) == (
        "A prompt for release notes",
        "General",
        [],
        "active",
    )
    assert [(m["role"], m["state"]) for m in data["messages"]] == [
        ("user", "complete"),
        ("assistant", "complete"),
        ("user", "complete"),
        ("assistant", "interrupted"),
    ]
    first_reply = data["messages"][1]
    assert first_reply["content"] == "Who reads the release notes?" and first_reply["model"] == "gpt-4o-mini"
    assert data["messages"][3]["content"] == "Developers"[: len(data["messages"][3]["content"])]


def test_export_to_a_file_never_replaces_one_without_force(run, conversation_id: str, tmp_path: Path) -> None:
    target = tmp_path / "notes.md"
    done = run("conversations", "export", conversation_id, "-o", str(target))
    assert done.stdout == "" and str(target) in done.stderr
    assert target.read_text().startswith("# A prompt for release notes")
    target.write_text("mine")
    refused = run("conversations", "export", conversation_id, "--format", "json", "-o", str(target), check=1)
    assert "already exists" in error_line(refused.stderr) and "--force" in refused.stderr
    assert target.read_text() == "mine"
    run("conversations", "export", conversation_id, "--format", "json", "-o", str(target), "--force")
    assert json.loads(target.read_text())["id"] == conversation_id


def test_export_never_writes_through_a_link(run, conversation_id: str, tmp_path: Path) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("keep")
    link = tmp_path / "export.md"
    os.symlink(victim, link)
    refused = run("conversations", "export", conversation_id, "-o", str(link), "--force", check=1)
    assert "link" in error_line(refused.stderr)
    assert victim.read_text() == "keep" and link.is_symlink()


def test_an_unknown_id_is_one_sentence_and_non_zero(run) -> None:
    for action in ("show", "export"):
        failed = run("conversations", action, "nosuchid", check=1)
        assert failed.stdout == ""
        assert "No single conversation matches 'nosuchid'" in error_line(failed.stderr)


def test_list_still_lists(run, conversation_id: str) -> None:
    assert conversation_id in run("conversations", "list").stdout
    assert json.loads(run("conversations", "list", "--json").stdout)[0]["id"] == conversation_id
