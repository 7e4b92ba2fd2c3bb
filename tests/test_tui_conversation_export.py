"""Export a conversation from the studio: the dialog opens on the format, files go to
`export_dir` (the home folder unless set), never silently the current directory, and a
space typed in the path is a space."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from textual.widgets import Input, RadioSet

from loopback import LoopbackServer, Scenario
from promptstudio_tui.screens.modals import ExportModal
from tui_fixtures import SIZE, notifications, screen, send, wait_for


async def test_export_the_open_conversation_as_json_into_export_dir(
    make_app, endpoint: LoopbackServer, tmp_path: Path
) -> None:
    exports = tmp_path / "exports"
    exports.mkdir()
    endpoint.default = Scenario(reply="Who reads the release notes?")
    app = make_app(f'export_dir = "{exports}"\n')
    async with app.run_test(size=SIZE) as pilot:
        studio_screen = screen(pilot)
        await send(pilot, "A prompt for release notes")
        conversation = studio_screen.session.conversation
        assert conversation is not None
        studio_screen.conversation_list.focus()
        await pilot.press("e")
        await wait_for(pilot, lambda: isinstance(app.screen, ExportModal))
        dialog = app.screen
        path = dialog.query_one("#path", Input)
        assert dialog.focused is dialog.query_one(RadioSet)  # opens on the format
        assert path.value == str(exports / "a-prompt-for-release-notes.md")
        await pilot.press("down", "space")  # json
        assert path.value == str(exports / "a-prompt-for-release-notes.json")
        await pilot.press("tab")
        assert dialog.focused is path
        await pilot.press("space")  # a space goes in; the path stays
        assert path.value == str(exports / "a-prompt-for-release-notes.json ")
        await pilot.press("backspace", "enter")
        target = exports / "a-prompt-for-release-notes.json"
        await wait_for(pilot, target.exists)
        data = json.loads(target.read_text(encoding="utf-8"))
        assert data["id"] == conversation.id
        assert [(m["role"], m["content"]) for m in data["messages"]] == [
            ("user", "A prompt for release notes"),
            ("assistant", "Who reads the release notes?"),
        ]
        assert f"Exported to {target}" in notifications(pilot)


async def test_the_default_folder_is_home_not_the_current_directory(
    make_app, endpoint: LoopbackServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home, elsewhere = tmp_path / "user-home", tmp_path / "checkout"
    home.mkdir()
    elsewhere.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.chdir(elsewhere)  # as with `python3 dev.py run` from a source checkout
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, "Notes for the team")
        await pilot.press("ctrl+p")
        await pilot.press(*"Export conversation")
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ExportModal))
        path = app.screen.query_one("#path", Input)
        assert path.value == str(home / "notes-for-the-team.md")
        path.value = "notes.md"  # a bare name lands in the same folder
        path.focus()
        await pilot.press("enter")
        await wait_for(pilot, (home / "notes.md").exists)
        assert (home / "notes.md").read_text(encoding="utf-8").startswith("# Notes for the team\n")
        assert list(elsewhere.iterdir()) == []


async def test_with_nothing_selected_the_export_says_what_to_do(make_app) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+p")
        await pilot.press(*"Export conversation")
        await pilot.press("enter")
        await wait_for(pilot, lambda: "Open or select a conversation first." in notifications(pilot))
        assert not isinstance(app.screen, ExportModal)
