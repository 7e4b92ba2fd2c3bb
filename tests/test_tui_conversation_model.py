"""F9 picks the model of the open conversation: in the header, used for its replies, kept."""

from __future__ import annotations

from textual.widgets import Input

from promptstudio_tui.screens.model_picker import ModelPicker
from tui_fixtures import SIZE, screen, send, wait_for


async def test_a_conversation_talks_to_its_own_model(make_studio, make_app, endpoint):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        studio_screen = screen(pilot)
        await send(pilot, "Hello")
        default = app.studio.settings.model
        assert studio_screen.header.model == default
        await pilot.press("f9")
        await wait_for(pilot, lambda: isinstance(app.screen, ModelPicker))
        app.screen.query_one("#model", Input).value = "other-model"
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.screen is studio_screen)
        assert studio_screen.header.model == "other-model" == studio_screen.composer.model
        await send(pilot, "And now?")
        assert endpoint.requests[-1].body["model"] == "other-model"
        conversation_id = studio_screen.session.conversation.id
        await pilot.press("ctrl+n")
        await wait_for(pilot, lambda: studio_screen.header.model == default)
    assert make_studio().conversation(conversation_id).model == "other-model"
