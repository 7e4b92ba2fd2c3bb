"""The prompt pane: ctrl+g generation, save, copy, export, favourite, delete, scope."""

from __future__ import annotations

import json

from textual.widgets import Input, Static

from loopback import Scenario
from promptstudio_tui.app import PromptStudioApp
from promptstudio_tui.screens.modals import ConfirmModal, ExportModal, SavePromptModal
from repos import repos
from tui_fixtures import SIZE, frozen_clock, idle, notifications, rendered, screen, send, wait_for

PROMPT_TEXT = "You are a support analyst.\n\n# Steps\n1. Read the email.\n2. Summarise it in 3 bullets."


async def generated(pilot, endpoint) -> None:
    """One exchange, then ctrl+g, waiting until the prompt is shown."""
    await send(pilot, "Summarise support emails for the team lead")
    endpoint.script(Scenario(reply=PROMPT_TEXT, chunk_size=10))
    await pilot.press("ctrl+g")
    studio_screen = screen(pilot)
    await wait_for(pilot, lambda: studio_screen.panel.current is not None)
    await idle(pilot)


async def test_ctrl_g_generates_and_shows_the_prompt(make_app, endpoint):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        studio_screen = screen(pilot)
        await generated(pilot, endpoint)
        prompt = studio_screen.panel.current
        assert prompt.content == PROMPT_TEXT and prompt.tokens_used > 0
        assert "Summarise it in 3 bullets" in rendered(studio_screen.query_one("#prompt-text", Static))
        assert f"{prompt.tokens_used} tokens" in str(studio_screen.query_one("#prompt-meta").render())
        assert repos(app.studio).prompts.list(conversation_id=studio_screen.session.conversation.id)[0].id == prompt.id
        generator_request = endpoint.requests[-1].body["messages"]
        assert "Summarise support emails" in generator_request[-1]["content"]
        assert any("Prompt ready" in n for n in notifications(pilot))


async def test_generate_needs_an_exchange_first(make_app, endpoint):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+n")
        await pilot.press("ctrl+g")
        studio_screen = screen(pilot)
        await wait_for(pilot, lambda: studio_screen.session.generating() is None and notifications(pilot))
        assert any("at least one exchange" in n for n in notifications(pilot))
        status = str(studio_screen.query_one("#prompt-status").render())
        assert "at least one exchange" in status


async def test_generate_refused_by_quota_shows_why(make_app, endpoint):
    app = make_app("[plans.free]\nrequests_limit = 1\n")
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, "One request is all I have")
        await pilot.press("ctrl+g")
        studio_screen = screen(pilot)
        await wait_for(pilot, lambda: studio_screen.session.generating() is None and notifications(pilot))
        assert "limit of 1 requests this month is reached" in str(studio_screen.query_one("#prompt-status").render())


async def test_save_prompt_with_title_category_and_tags(make_app, endpoint):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        studio_screen = screen(pilot)
        await generated(pilot, endpoint)
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: isinstance(app.screen, SavePromptModal))
        modal = app.screen
        modal.query_one("#title", Input).value = "Email summariser"
        modal.query_one("#tags", Input).value = "support, email"
        modal.query_one("#title", Input).focus()
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.screen is studio_screen)
        saved = repos(app.studio).prompts.get(studio_screen.panel.current.id)
        assert (saved.title, saved.tags) == ("Email summariser", ["email", "support"])
        assert "Email summariser" in str(studio_screen.query_one("#prompt-meta").render())
        assert any("Saved “Email summariser”" in n for n in notifications(pilot))


async def test_copy_puts_the_prompt_on_the_clipboard_and_says_so(make_app, endpoint):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await generated(pilot, endpoint)
        await pilot.click("#prompt-copy")
        assert app.clipboard == PROMPT_TEXT
        assert f"Copied {len(PROMPT_TEXT)} characters to the clipboard (OSC 52)." in notifications(pilot)


async def test_export_writes_the_file_the_user_confirms(make_app, endpoint, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        studio_screen = screen(pilot)
        await generated(pilot, endpoint)
        studio_screen.query_one("#prompt-list").focus()
        await pilot.press("e")
        await wait_for(pilot, lambda: isinstance(app.screen, ExportModal))
        target = tmp_path / "summariser.json"
        app.screen.query_one("#path", Input).value = str(target)
        app.screen.query_one("#format").query("RadioButton").last().value = True
        await pilot.pause()
        app.screen.query_one("#path", Input).focus()
        await pilot.press("enter")
        await wait_for(pilot, target.exists)
        data = json.loads(target.read_text(encoding="utf-8"))
        assert data["content"] == PROMPT_TEXT
        assert any(f"Exported to {target}" in n for n in notifications(pilot))


async def test_favourite_delete_and_scope(make_app, endpoint):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        studio_screen = screen(pilot)
        await generated(pilot, endpoint)
        prompt_id = studio_screen.panel.current.id
        studio_screen.query_one("#prompt-list").focus()
        await pilot.press("f")
        assert repos(app.studio).prompts.get(prompt_id).is_favorite
        await pilot.press("ctrl+n")  # a new conversation has no prompts of its own
        assert studio_screen.panel.prompts == []
        studio_screen.query_one("#prompt-list").focus()
        await pilot.press("a")
        assert [p.id for p in studio_screen.panel.prompts] == [prompt_id]
        assert repos(app.studio).preferences.get("ui.prompt_scope") == "all"
        await pilot.press("enter")  # show it from the list
        await wait_for(pilot, lambda: studio_screen.panel.current is not None)
        await pilot.press("d")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmModal))
        await pilot.press("y")
        await wait_for(pilot, lambda: studio_screen.panel.current is None)
        assert repos(app.studio).prompts.list() == []


async def test_the_library_listed_at_start_never_replaces_a_newer_listing(make_studio, endpoint):
    """The start lists the prompts in a thread; a listing asked for meanwhile (here: the
    whole library) wins, whichever finishes last."""
    studio = make_studio()
    conversation = studio.new_conversation(title="Launch notes")
    prompt = repos(studio).prompts.add(
        title="Launch writer", content="You write launch notes", conversation_id=conversation.id
    )
    app = PromptStudioApp(studio=studio, clock=frozen_clock)
    async with app.run_test(size=SIZE) as pilot:
        studio_screen = screen(pilot)
        await pilot.pause()
        for _ in range(5):  # the start's listing of this (no) conversation's prompts, then "all" at once
            studio_screen.prompts.load_in_background()
            studio_screen.prompts.toggle_scope()
            studio_screen.prompts.toggle_scope()
            studio_screen.prompts.load_in_background()
            studio_screen.prompts.toggle_scope()
            await app.workers.wait_for_complete()
            await pilot.pause()
            assert [p.id for p in studio_screen.panel.prompts] == [prompt.id]
            studio_screen.prompts.toggle_scope()
