"""The first start, as a new user meets it: the welcome says nothing is set up and offers a
local server that answers on loopback (the ports PROMPTSTUDIO_LOCAL_SERVERS names: here the
test's own); nothing is probed once something is configured; the template hint names a key
that works from the composer, after the user's keymap."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import OptionList, Static

from clitools import RecordingListener, closed_port, port_of
from conftest import TEST_KEY
from loopback import LoopbackServer, Scenario
from promptstudio_tui.app import PromptStudioApp
from promptstudio_tui.studio import Studio
from promptstudio_tui.widgets.message_view import MessageView
from promptstudio_tui.widgets.welcome import Welcome
from tui_fixtures import SIZE, frozen_clock, idle, notifications, rendered, screen, send, wait_for


def open_studio(config_file: Path, config: str, servers: str, monkeypatch: pytest.MonkeyPatch) -> Studio:
    """`servers` is what the user would put in PROMPTSTUDIO_LOCAL_SERVERS."""
    config_file.write_text(config, encoding="utf-8")
    monkeypatch.setenv("PROMPTSTUDIO_LOCAL_SERVERS", servers)
    return Studio.open()


async def checked(pilot, studio_screen) -> Welcome:
    welcome = studio_screen.query_one(Welcome)
    await wait_for(pilot, lambda: welcome.needs_setup is not None)
    await pilot.pause()
    return welcome


def setup_text(welcome: Welcome) -> str:
    note = welcome.query_one("#setup", Static)
    return rendered(note) if note.display else ""


async def test_a_new_user_is_told_what_to_do_and_can_use_the_local_server_that_answers(
    config_file: Path, endpoint: LoopbackServer, no_keyring: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    endpoint.default = Scenario(reply="Who will read it?")
    servers = f"Ollama={port_of(endpoint)},vLLM={closed_port()}"
    studio = open_studio(config_file, '[keymap]\n"app.settings" = "f9"\n', servers, monkeypatch)
    app = PromptStudioApp(studio=studio, clock=frozen_clock)
    async with app.run_test(size=SIZE) as pilot:
        studio_screen = screen(pilot)
        welcome = await checked(pilot, studio_screen)
        text = setup_text(welcome)
        assert "Not set up yet: no API key and no endpoint. Press f9 to add a key or choose an endpoint" in text
        assert f"Ollama answers on 127.0.0.1:{port_of(endpoint)}: press ctrl+t, then Enter, to use it" in text
        assert "vLLM" not in text  # nothing answers on that port: not offered

        await pilot.press("ctrl+t")  # from the composer, where the focus starts
        options = welcome.query_one("#templates", OptionList)
        assert studio_screen.focused is options and options.highlighted == 0
        await pilot.press("enter")
        await wait_for(pilot, lambda: welcome.needs_setup is False)
        config = config_file.read_text(encoding="utf-8")
        assert f'base_url = "{endpoint.base_url}"' in config and 'model = "loopback-large"' in config
        assert setup_text(welcome) == "" and "Use Ollama" not in str(options.get_option_at_index(0).prompt)
        assert studio_screen.header.model == "loopback-large"

        await send(pilot, "A prompt for release notes")  # no key needed for a local server
        assert "Who will read it?" in rendered(studio_screen.query(MessageView).last())
        await idle(pilot)


@pytest.mark.parametrize(
    ("config", "key", "probed"),
    [
        ("", None, True),
        ("", TEST_KEY, False),
        ('base_url = "http://127.0.0.1:1/v1"\n', None, False),
    ],
    ids=["nothing-configured", "a-key", "an-endpoint"],
)
async def test_the_probe_runs_only_while_nothing_is_configured(
    config_file: Path,
    listener: RecordingListener,
    no_keyring: None,
    monkeypatch: pytest.MonkeyPatch,
    config: str,
    key: str | None,
    probed: bool,
) -> None:
    if key:
        monkeypatch.setenv("OPENAI_API_KEY", key)
    studio = open_studio(config_file, config, f"Ollama={listener.port}", monkeypatch)
    app = PromptStudioApp(studio=studio, clock=frozen_clock)
    async with app.run_test(size=SIZE) as pilot:
        welcome = await checked(pilot, screen(pilot))
        assert welcome.needs_setup is probed
        assert ("Not set up yet" in setup_text(welcome)) is probed
    # A listener that answers nothing is no server to offer, but it was asked exactly once.
    assert listener.connections == (1 if probed else 0)


async def test_a_malformed_list_of_local_servers_is_one_notice_and_asks_nothing(
    config_file: Path, listener: RecordingListener, no_keyring: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    studio = open_studio(config_file, "", f"Ollama=localhost:{listener.port}", monkeypatch)
    app = PromptStudioApp(studio=studio, clock=frozen_clock)
    async with app.run_test(size=SIZE) as pilot:
        welcome = await checked(pilot, screen(pilot))
        assert "Not set up yet" in setup_text(welcome) and "answers on" not in setup_text(welcome)
        [notice] = [text for text in notifications(pilot) if "PROMPTSTUDIO_LOCAL_SERVERS" in text]
        assert notice == (
            'PROMPTSTUDIO_LOCAL_SERVERS should be "off" or NAME=PORT pairs such as "Ollama=11434,vLLM=8001" '
            f"(ports on 127.0.0.1), but the port 'localhost:{listener.port}' is not a number from 1 to 65535: "
            "no local server is looked for."
        )
    assert studio.local_servers == () and listener.connections == 0  # not the usual three instead


async def test_the_template_key_works_from_the_composer_and_every_hint_follows_the_keymap(
    make_app, endpoint: LoopbackServer
) -> None:
    keymap = '[keymap]\n"studio.templates" = "f12"\n"studio.generate_prompt" = "f5"\n'
    app = make_app(keymap)
    async with app.run_test(size=SIZE) as pilot:
        studio_screen = screen(pilot)
        welcome = await checked(pilot, studio_screen)
        words = "\n".join(rendered(node) for node in welcome.query(Static))
        assert "Start from a template (f12, then Enter), or press ctrl+n for a blank conversation:" in words
        assert "Press f5 once the assistant has what it needs" in words
        assert "ctrl+t" not in words and "ctrl+g" not in words

        await pilot.press("ctrl+t")  # the default key is gone
        assert studio_screen.focused is studio_screen.query_one("#composer-input")
        await pilot.press("f12")
        assert studio_screen.focused is welcome.query_one("#templates")
        await pilot.press("down", "enter")  # the second template
        await wait_for(pilot, lambda: studio_screen.session.conversation is not None)
        assert studio_screen.composer.text.startswith("I want a prompt that reviews pull requests")

        await send(pilot, "I want a prompt that reviews pull requests in Python")
        system = endpoint.requests[-1].body["messages"][0]["content"]
        assert "press f5 to generate the prompt" in system and "ctrl+g" not in system  # the engineer's advice

        await pilot.press("f12")  # from an open conversation: back to the welcome's list
        await wait_for(pilot, lambda: studio_screen.session.conversation is None)
        assert studio_screen.focused is welcome.query_one("#templates")
