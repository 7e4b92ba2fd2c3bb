"""One message of the chat from the keyboard: select (alt+up), edit and resend, step
alternatives, regenerate, delete, copy, copy a code block; PageUp from the composer."""

from __future__ import annotations

from textual.widgets import Static

from loopback import Scenario
from promptstudio_tui.widgets.message_view import MessageView
from tui_fixtures import SIZE, idle, notifications, rendered, screen, send, wait_for


def shown(pilot) -> list[str]:
    return [view.message.content for view in screen(pilot).query(MessageView)]


async def two_turns(pilot, endpoint) -> None:
    endpoint.when(Scenario(reply="A2 edited"), contains="Q2 edited")
    endpoint.when(Scenario(reply="A2"), contains="Q2")
    endpoint.when(Scenario(reply="A1"), contains="Q1")
    await send(pilot, "Q1")
    await send(pilot, "Q2")


async def test_edit_and_resend_keeps_a_branch_to_switch_back_to(make_app, endpoint):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await two_turns(pilot, endpoint)
        await pilot.press("alt+up", "up")  # the newest reply, then the question before it
        await pilot.press("e")
        assert screen(pilot).composer.text == "Q2"
        screen(pilot).composer.set_text("Q2 edited")
        await pilot.press("enter")
        await wait_for(pilot, lambda: shown(pilot)[-1:] == ["A2 edited"] and not screen(pilot).session.flights())
        assert shown(pilot) == ["Q1", "A1", "Q2 edited", "A2 edited"]
        edited = screen(pilot).query(MessageView)[2]
        assert "2/2" in rendered(edited)
        await pilot.press("alt+up", "up", "left_square_bracket")  # the older alternative
        await idle(pilot)
        assert shown(pilot) == ["Q1", "A1", "Q2", "A2"]
        assert "1/2" in rendered(screen(pilot).query(MessageView)[2])
        await pilot.press("right_square_bracket")
        await idle(pilot)
        assert shown(pilot) == ["Q1", "A1", "Q2 edited", "A2 edited"]


async def test_escape_cancels_an_edit(make_app, endpoint):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await two_turns(pilot, endpoint)
        await pilot.press("alt+up", "up", "e", "escape")
        assert screen(pilot).composer.text == "" and screen(pilot).messages.editing is None
        await send(pilot, "Q3")
        assert shown(pilot)[-2] == "Q3" and len(shown(pilot)) == 6  # a plain send, nothing branched


async def test_regenerate_keeps_the_earlier_reply_as_an_alternative(make_app, endpoint):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await two_turns(pilot, endpoint)
        endpoint.when(Scenario(reply="A2 again"), contains="Q2", first=True)
        await pilot.press("alt+up", "r")
        await wait_for(pilot, lambda: shown(pilot)[-1:] == ["A2 again"] and not screen(pilot).session.flights())
        assert shown(pilot) == ["Q1", "A1", "Q2", "A2 again"]
        await pilot.press("alt+up", "left_square_bracket")
        await idle(pilot)
        assert shown(pilot) == ["Q1", "A1", "Q2", "A2"]


async def test_delete_asks_first_then_removes_one_message(make_app, endpoint):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await two_turns(pilot, endpoint)
        await pilot.press("alt+up", "up", "up", "d")
        await pilot.press("y")
        await idle(pilot)
        assert shown(pilot) == ["Q1", "Q2", "A2"]
        assert "Message deleted." in notifications(pilot)


async def test_copy_a_message_and_its_code_block(make_app, endpoint):
    endpoint.default = Scenario(reply="Here:\n\n```python\nprint('hi')\n```\n\nand more.")
    app = make_app()
    copied: list[str] = []
    app.copy_to_clipboard = copied.append
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, "code please")
        await pilot.press("alt+up", "b", "c")
        assert copied == ["print('hi')\n", endpoint.default.reply]
        await pilot.press("up", "b")
        assert "This message has no code block." in notifications(pilot)


async def test_pageup_from_the_composer_scrolls_the_chat_and_send_brings_it_back(make_app, endpoint):
    endpoint.default = Scenario(reply="line\n\n" * 40)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, "long")
        chat = screen(pilot).chat
        bottom = chat.scroll_y
        await pilot.press("pageup")
        await idle(pilot)
        assert chat.scroll_y < bottom
        await send(pilot, "again")
        await wait_for(pilot, lambda: chat.scroll_y >= chat.max_scroll_y)


async def test_a_refused_regenerate_leaves_the_reply_on_screen(make_app, endpoint, no_keyring, monkeypatch):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await two_turns(pilot, endpoint)
        monkeypatch.delenv("OPENAI_API_KEY")
        app.studio.update_settings(base_url="https://api.openai.com/v1")  # needs a key, which is gone
        await pilot.press("alt+up", "r")
        await wait_for(pilot, lambda: screen(pilot).query(".chat-notice") and not screen(pilot).session.flights())
        assert shown(pilot) == ["Q1", "A1", "Q2", "A2"]
        assert "No API key" in rendered(screen(pilot).query_one(".chat-notice", Static))
