"""The composer, the message header and `promptstudio tokens` count a text alike, and an
estimate says it is one."""

from __future__ import annotations

from textual.widgets import Static

from promptstudio_tui import tokens
from tui_fixtures import SIZE, screen, send, wait_for

CHINESE = "我需要一个提示词来写发布说明"


async def test_the_composer_shows_the_cli_count_for_a_known_model(make_app, endpoint, run) -> None:
    app = make_app('model = "gpt-4o-mini"\n')
    exact = tokens.count(CHINESE, "gpt-4o-mini")
    assert exact.exact
    async with app.run_test(size=SIZE) as pilot:
        screen(pilot).composer.focus_input()
        screen(pilot).composer.input.insert(CHINESE)
        status = screen(pilot).query_one("#composer-status", Static)
        await wait_for(pilot, lambda: str(status.render()).startswith(f"14 chars · {exact.tokens} tokens   "))
    assert run("tokens", "--model", "gpt-4o-mini", CHINESE).stdout == f"{exact.tokens}\n"


async def test_a_sent_message_shows_the_same_exact_count_in_its_header(make_app, endpoint) -> None:
    app = make_app('model = "gpt-4o-mini"\n')
    exact = tokens.count(CHINESE, "gpt-4o-mini")
    assert exact.exact and exact.tokens != tokens.rough_estimate(CHINESE)  # the two numbers differ
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, CHINESE)
        sent = screen(pilot).query(".-user").first()
        await wait_for(pilot, lambda: f" · {exact.tokens} tokens" in _text(sent))
        assert "estimate" not in _text(sent) and "~" not in _text(sent)


async def test_an_estimate_is_labelled_in_the_composer_and_the_message_header(make_app, endpoint) -> None:
    app = make_app('model = "local-llama"\n')  # no known tokenizer: every count is an estimate
    async with app.run_test(size=SIZE) as pilot:
        studio_screen = screen(pilot)
        studio_screen.composer.focus_input()
        studio_screen.composer.input.insert(CHINESE)
        status = studio_screen.query_one("#composer-status", Static)
        await wait_for(pilot, lambda: "tokens (estimate)" in str(status.render()))
        assert str(status.render()).startswith("14 chars · ~")
        studio_screen.composer.input.clear()
        await send(pilot, CHINESE)
        sent = studio_screen.query(".-user").first()
        await wait_for(pilot, lambda: "(estimate)" in _text(sent))
        assert f"~{tokens.rough_estimate(CHINESE)} tokens (estimate)" in _text(sent)


def _text(widget) -> str:
    """What a widget shows, as plain text."""
    return "".join(segment.text for strip in widget.render_lines(widget.region.reset_offset) for segment in strip)
