"""The prompt workshop on screen: versions, what changed, restore, refine, edit, import,
and the chat's marker where older turns were not sent.

Driven as a user drives it (keys, dialogs) against the loopback endpoint; asserted on what
the pane and the chat show, the notifications, the store and the requests sent.
"""

from __future__ import annotations

import re
import shutil
from typing import Any

import pytest
from textual import events
from textual.widgets import Input, Static, TextArea

from conftest import TEST_KEY
from loopback import Scenario
from promptstudio_tui.screens.modals import TextInputModal
from promptstudio_tui.screens.settings import SettingsScreen
from promptstudio_tui.screens.workshop_modals import ImportPromptModal, PromptEditor
from promptstudio_tui.widgets.diff_view import DiffView
from tmux_terminal import PROMPTSTUDIO, Terminal
from tui_fixtures import SIZE, idle, notifications, rendered, screen, send, wait_for

V1 = "You summarise support emails in 3 bullets."
V2 = "You summarise urgent support emails in 5 bullets."


def chat_requests(endpoint: Any) -> list[dict[str, Any]]:
    return [r.body for r in endpoint.requests if r.path.endswith("/chat/completions")]


def version_line(pilot: Any) -> str:
    return rendered(screen(pilot).query_one("#version-line", Static))


async def generate(pilot: Any, endpoint: Any, text: str, number: int) -> None:
    """ctrl+g with the endpoint answering `text`, until version `number` is on show."""
    studio_screen = screen(pilot)
    endpoint.script(Scenario(reply=text, chunk_size=10))
    await pilot.press("ctrl+g")
    await wait_for(pilot, lambda: studio_screen.panel.shown is not None and studio_screen.panel.shown.number == number)
    await idle(pilot)


async def two_versions(pilot: Any, endpoint: Any) -> None:
    await send(pilot, "Summarise support emails for the team lead")
    await generate(pilot, endpoint, V1, 1)
    await send(pilot, "Only the urgent ones, and five bullets")
    await generate(pilot, endpoint, V2, 2)


async def focus_pane(pilot: Any) -> None:
    screen(pilot).query_one("#prompt-scroll").focus()
    await pilot.pause()


async def test_versions_diff_step_back_and_restore(make_app, endpoint):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        studio_screen, panel = screen(pilot), screen(pilot).panel
        await send(pilot, "Summarise support emails for the team lead")
        await generate(pilot, endpoint, V1, 1)
        assert version_line(pilot).startswith("v1 of 1 · generated")
        await send(pilot, "Only the urgent ones, and five bullets")
        await generate(pilot, endpoint, V2, 2)

        # ctrl+g revised the conversation's one prompt: v2 of the same prompt, shown and said.
        assert version_line(pilot).startswith("v2 of 2 · refined")
        assert [v.number for v in app.studio.versions(panel.current.id)] == [1, 2]
        assert "v2 ready (refined) — f4 shows what changed." in notifications(pilot)
        assert V1 in chat_requests(endpoint)[-1]["messages"][-1]["content"]  # the refine carried v1

        await pilot.press("f4")  # from the composer: one key away
        await wait_for(pilot, lambda: panel.comparison is not None)
        diff = rendered(studio_screen.query_one(DiffView))  # as a terminal without colour shows it
        assert "v1 → v2: +2 words, −1 word" in diff
        assert "emails in [-3-]{+5+} bullets." in diff
        # Which side of a space the marks take is the diff's choice.
        assert re.search(r"You summarise ?\{\+ ?urgent ?\+\} ?support", diff)
        await pilot.press("f4")  # again: the text
        await wait_for(pilot, lambda: panel.comparison is None)

        await focus_pane(pilot)
        await pilot.press("left_square_bracket")
        await wait_for(pilot, lambda: panel.shown.number == 1)
        assert version_line(pilot).startswith("v1 of 2 · generated") and "the newest is v2" in version_line(pilot)
        assert panel.shown_text == V1
        await pilot.press("left_square_bracket")  # nothing older: said, nothing moves
        assert "v1 is the oldest version." in notifications(pilot) and panel.shown.number == 1

        await pilot.press("u")
        await wait_for(pilot, lambda: panel.shown.number == 3)
        assert "Restored v1 as v3." in notifications(pilot)
        versions = app.studio.versions(panel.current.id)
        assert [(v.number, v.source) for v in versions] == [(1, "generated"), (2, "refined"), (3, "restored")]
        assert versions[-1].content == V1 and versions[1].content == V2  # history is never rewritten
        assert version_line(pilot).startswith("v3 of 3 · restored")

        await pilot.press("right_square_bracket")  # already the newest
        assert "v3 is the newest version." in notifications(pilot)


async def test_refine_by_instruction_streams_a_new_version(make_app, endpoint):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        panel = screen(pilot).panel
        await send(pilot, "Summarise support emails for the team lead")
        await generate(pilot, endpoint, V2, 1)
        await focus_pane(pilot)
        await pilot.press("r")
        await wait_for(pilot, lambda: isinstance(app.screen, TextInputModal))
        endpoint.script(Scenario(reply="Summarise urgent emails in 5 bullets.", chunk_size=6))
        await pilot.press(*"make it shorter", "enter")
        await wait_for(pilot, lambda: panel.shown is not None and panel.shown.number == 2)
        await idle(pilot)
        assert panel.shown.source == "refined" and panel.shown_text == "Summarise urgent emails in 5 bullets."
        sent = chat_requests(endpoint)[-1]["messages"][-1]["content"]
        assert "make it shorter" in sent and V2 in sent


async def test_refine_stopped_with_esc_saves_nothing(make_app, endpoint):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        studio_screen, panel = screen(pilot), screen(pilot).panel
        await send(pilot, "Summarise support emails for the team lead")
        await generate(pilot, endpoint, V1, 1)
        prompt_id = panel.current.id
        await studio_screen.workshop.start_refine(panel.current, "make it longer")
        endpoint.script(Scenario(reply="x" * 400, chunk_size=4, stall_after_chars=20))
        await wait_for(pilot, lambda: studio_screen.session.generating() is not None)
        await pilot.press("escape")
        await wait_for(pilot, lambda: studio_screen.session.generating() is None)
        await pilot.pause()
        assert [v.number for v in app.studio.versions(prompt_id)] == [1]
        assert any("nothing was saved" in n for n in notifications(pilot))


async def test_edit_in_the_app_makes_an_edited_version_and_unchanged_makes_none(make_app, endpoint):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        panel = screen(pilot).panel
        await send(pilot, "Summarise support emails for the team lead")
        await generate(pilot, endpoint, V1, 1)
        await focus_pane(pilot)
        await pilot.press("i")
        await wait_for(pilot, lambda: isinstance(app.screen, PromptEditor))
        editor = app.screen.query_one("#editor-text", TextArea)
        assert editor.text == V1 and app.screen.focused is editor
        editor.text = V1 + "\nAnswer in French."
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: panel.shown is not None and panel.shown.number == 2)
        assert panel.shown.source == "edited" and panel.shown_text.endswith("Answer in French.")
        assert "Saved your edit as v2." in notifications(pilot)

        await pilot.press("i")  # open and save without a change
        await wait_for(pilot, lambda: isinstance(app.screen, PromptEditor))
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: "No changes; no version made." in notifications(pilot))
        assert len(app.studio.versions(panel.current.id)) == 2

        await pilot.press("i")  # emptied: the service's sentence, no version
        await wait_for(pilot, lambda: isinstance(app.screen, PromptEditor))
        app.screen.query_one("#editor-text", TextArea).text = "   "
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: any("empty prompt cannot be saved" in n for n in notifications(pilot)))
        assert len(app.studio.versions(panel.current.id)) == 2


async def test_external_editor_falls_back_to_the_app_where_it_cannot_suspend(make_app, endpoint, monkeypatch):
    monkeypatch.setenv("VISUAL", "false")  # would fail if it ran: under Pilot it must not
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, "Summarise support emails for the team lead")
        await generate(pilot, endpoint, V1, 1)
        await focus_pane(pilot)
        await pilot.press("o")
        await wait_for(pilot, lambda: isinstance(app.screen, PromptEditor))
        note = rendered(app.screen.query_one(".note", Static))
        assert "cannot hand over to your editor" in note and "editing here instead" in note
        assert app.screen.query_one("#editor-text", TextArea).text == V1


async def test_improve_a_prompt_i_already_have_from_the_welcome_screen(make_app, endpoint):
    mine = "---\ntitle: Release notes\ntags: [docs]\n---\nWrite release notes from the commit list."
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        studio_screen, panel = screen(pilot), screen(pilot).panel
        templates = studio_screen.query_one("#templates")
        templates.focus()
        await pilot.press("end", "enter")  # the entry beside the templates
        await wait_for(pilot, lambda: isinstance(app.screen, ImportPromptModal))
        area = app.screen.query_one("#import-text", TextArea)
        assert app.screen.focused is area
        app.post_message(events.Paste(mine))  # as the terminal's driver delivers a paste
        await wait_for(pilot, lambda: area.text == mine)
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: panel.shown is not None)
        assert (panel.shown.number, panel.shown.source) == (1, "imported")
        assert panel.current.title == "Release notes" and panel.current.tags == ["docs"]
        assert panel.shown_text == "Write release notes from the commit list."
        assert studio_screen.session.conversation.id == panel.current.conversation_id

        # The assistant answers the seed at once: what the imported prompt lacks.
        await wait_for(
            pilot, lambda: len(studio_screen.chat.message_ids()) == 2 and not studio_screen.session.flights()
        )
        first = chat_requests(endpoint)[0]["messages"]
        assert "Write release notes from the commit list." in first[-1]["content"]

        await generate(pilot, endpoint, "Write release notes for engineers from the commit list.", 2)
        assert panel.shown.source == "generated" and version_line(pilot).startswith("v2 of 2")


async def test_import_dialog_refuses_an_empty_paste(make_app, endpoint):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await screen(pilot).run_action("import_prompt")
        await wait_for(pilot, lambda: isinstance(app.screen, ImportPromptModal))
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, ImportPromptModal)
        assert "Paste the prompt first" in rendered(app.screen.query_one(".error", Static))


async def test_chat_marks_where_older_turns_were_not_sent(make_app, endpoint):
    # A small window: the goal (turn 1) and the newest turns are kept, the middle is cut.
    app = make_app('plan = "pro"\ncontext_window = 2600\nmax_tokens = 100\n')
    filler = " ".join(f"detail{i}" for i in range(220))
    async with app.run_test(size=SIZE) as pilot:
        studio_screen = screen(pilot)
        for turn in range(6):
            await send(pilot, f"Requirement {turn}: {filler}")
        markers = studio_screen.chat.query(".chat-omitted")
        assert len(markers) == 1
        text = rendered(markers.first(Static)).strip()
        match = re.fullmatch(r"⋯ (\d+) earlier turns? not sent to the model ⋯", text)
        assert match, text
        sent = chat_requests(endpoint)[-1]["messages"]
        assert "Requirement 0" in sent[1]["content"]  # the goal is kept
        children = list(studio_screen.chat.children)
        ids = studio_screen.chat.message_ids()
        # The marker stands above the turns that were sent after the cut, below the kept first turn.
        marker_at = children.index(markers.first())
        first_view = next(c for c in children if getattr(getattr(c, "message", None), "id", None) == ids[0])
        assert children.index(first_view) < marker_at < len(children) - 2
        cut = int(match.group(1))
        assert len(sent) - 1 + cut == len(ids) - 1  # every turn but the streaming reply: sent or counted


async def test_an_assumed_window_is_said_in_settings_and_while_generating(make_app, endpoint):
    app = make_app('model = "my-local-model"\n')
    async with app.run_test(size=SIZE) as pilot:
        studio_screen = screen(pilot)
        await send(pilot, "Summarise support emails for the team lead")
        endpoint.script(Scenario(reply=V1, chunk_size=2, delay=0.05))
        await pilot.press("ctrl+g")
        status = studio_screen.query_one("#prompt-status", Static)
        await wait_for(pilot, lambda: "assumed" in rendered(status))
        assert "Context window: 8,192 tokens (assumed — set context_window in config.toml)" in rendered(status)
        await idle(pilot)
        await pilot.press("f2")
        await wait_for(pilot, lambda: isinstance(app.screen, SettingsScreen))
        line = rendered(app.screen.query_one("#context-window", Static))
        assert "Context window: 8,192 tokens (assumed — set context_window in config.toml)" in line


async def test_a_configured_window_is_named_as_such_in_settings(make_app, endpoint):
    app = make_app("context_window = 32000\n")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f2")
        await wait_for(pilot, lambda: isinstance(app.screen, SettingsScreen))
        assert "Context window: 32,000 tokens (config.toml)" in rendered(
            app.screen.query_one("#context-window", Static)
        )
        app.screen.query_one("#temperature", Input).focus()


# -- in a real terminal: the full loop, with the user's own editor ---------------------------


@pytest.mark.skipif(shutil.which("tmux") is None, reason="needs tmux")
def test_tmux_chat_generate_refine_diff_edit_in_editor_and_restore(endpoint, home, tmp_path):
    # A fake $EDITOR that changes the file the studio hands it, as a person would.
    editor = tmp_path / "fake-editor"
    editor.write_text('#!/bin/sh\nsed -i "s/5 bullets/7 bullets/" "$1"\n', encoding="utf-8")
    editor.chmod(0o700)
    terminal = Terminal(
        [
            "env", "-u", "COLUMNS", "-u", "LINES", "-u", "VISUAL",
            f"PROMPTSTUDIO_HOME={home}", f"OPENAI_API_KEY={TEST_KEY}", f"OPENAI_BASE_URL={endpoint.base_url}",
            f"EDITOR={editor}", "TERM=xterm-256color", str(PROMPTSTUDIO),
        ]
    )  # fmt: skip
    try:
        terminal.start()
        terminal.wait_for("Welcome to Prompt Studio")
        terminal.keys("Summarise support emails", "Enter")
        terminal.wait_for("You asked about: Summarise support emails.")
        endpoint.script(Scenario(reply=V1))
        terminal.keys("C-g")
        terminal.wait_for("v1 of 1 · generated")
        terminal.keys("Only the urgent ones", "Enter")
        terminal.wait_for("You asked about: Only the urgent ones.")
        endpoint.script(Scenario(reply=V2))
        terminal.keys("C-g")
        terminal.wait_for("v2 ready (refined)")
        terminal.wait_for("v2 of 2 · refined")
        terminal.keys("F4")
        terminal.wait_for("[-3-]{+5+}")  # the word diff, marks and all
        terminal.keys("F4")
        terminal.keys("C-o", "C-o")  # hide the prompt pane, show it again with its list focused
        terminal.wait_for("Refine")  # the pane's keys in the footer
        terminal.keys("o")  # $EDITOR: the studio steps aside, the editor runs, the studio comes back
        terminal.wait_for("v3 of 3 · edited")
        terminal.wait_for("in 7")  # what the editor wrote
        terminal.keys("[", "[")
        terminal.wait_for("v1 of 3 · generated")
        terminal.keys("u")
        terminal.wait_for("Restored v1 as v4.")
        terminal.keys("C-q")
        terminal.wait_for("EXITED 0")
    finally:
        terminal.stop()
