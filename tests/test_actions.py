"""The action registry: bindings, palette, tips, README and [keymap] all agree with it."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from textual.binding import Binding
from textual.widgets import Static, TextArea

from clitools import cli_env, run_cli
from promptstudio_tui.actions import (
    ACTIONS,
    BY_ID,
    KEY_NAMES,
    TEXT_AREA_KEYS,
    bindings,
    clashes,
    fill,
    remappable,
    shadowed,
    split_keys,
)
from promptstudio_tui.app import PromptStudioApp
from promptstudio_tui.catalog import tips
from promptstudio_tui.commands import COMMANDS, StudioCommands
from promptstudio_tui.config import load_settings
from promptstudio_tui.screens.help import HelpScreen
from promptstudio_tui.screens.main import StudioScreen
from promptstudio_tui.screens.modals import ConfirmModal, Modal
from promptstudio_tui.screens.settings import SettingsScreen
from promptstudio_tui.screens.startup import StartupErrorScreen
from promptstudio_tui.screens.usage import UsageScreen
from promptstudio_tui.screens.workshop_modals import ImportPromptModal, PromptEditor
from promptstudio_tui.widgets.chat_log import ChatLog
from promptstudio_tui.widgets.composer import ComposerInput
from promptstudio_tui.widgets.conversation_list import ConversationList
from promptstudio_tui.widgets.conversation_pane import SearchBox
from promptstudio_tui.widgets.prompt_panel import PromptPanel
from tui_fixtures import SIZE, screen

README = Path(__file__).resolve().parent.parent / "README.md"

BOUND = [
    (PromptStudioApp, "app"),
    (StudioScreen, "main"),
    (ComposerInput, "composer"),
    (ChatLog, "messages"),
    (ConversationList, "conversations"),
    (SearchBox, "search"),
    (PromptPanel, "prompts"),
    (Modal, "dialog"),
    (ConfirmModal, "confirm"),
    (PromptEditor, "editor"),
    (ImportPromptModal, "editor"),
    (HelpScreen, "help"),
    (UsageScreen, "usage"),
    (SettingsScreen, "settings"),
    (StartupErrorScreen, "startup"),
]


def described(bindings: Any) -> list[tuple[str, str, str, bool, bool, str | None]]:
    return [(b.key, b.action, b.description, b.show, b.priority, b.id) for b in Binding.make_bindings(bindings)]


@pytest.mark.parametrize(("owner", "scope"), BOUND, ids=[scope for _, scope in BOUND])
def test_every_class_binds_exactly_its_registry_scope(owner: type, scope: Any) -> None:
    assert described(owner.__dict__["BINDINGS"]) == described(bindings(scope))


def test_every_bound_action_is_bound_somewhere() -> None:
    assert {action.scope for action in ACTIONS if action.keys} == {scope for _, scope in BOUND}


def test_default_keys_never_clash_and_ids_are_unique() -> None:
    assert clashes({}) == []
    assert shadowed({}) == []  # a screen key the composer keeps would do nothing while one types
    assert len(BY_ID) == len(ACTIONS)


@pytest.mark.parametrize(
    ("keymap", "clash"),
    [
        ({"studio.search": "ctrl+n"}, ("ctrl+n", "studio.new_conversation", "studio.search")),
        ({"studio.generate_prompt": "ctrl+o"}, ("ctrl+o", "studio.generate_prompt", "studio.toggle_prompts")),
        ({"modal.deny": "escape"}, ("escape", "modal.cancel", "modal.deny")),  # one node: Esc and n
        ({"conversations.star": "ctrl+p"}, ("ctrl+p", "app.command_palette", "conversations.star")),  # priority
    ],
)
def test_two_actions_on_one_live_key_clash(keymap: dict[str, str], clash: tuple[str, str, str]) -> None:
    assert clashes(keymap) == [clash]


def test_the_composers_own_keys_are_textareas() -> None:
    assert {binding.key for binding in Binding.make_bindings(TextArea.BINDINGS)} == TEXT_AREA_KEYS
    assert shadowed({"studio.zoom": "f6", "app.help": "f1,ctrl+w"}) == [("f6", "studio.zoom"), ("ctrl+w", "app.help")]


def test_the_same_key_in_places_never_live_together_is_no_clash() -> None:
    assert clashes({"conversations.star": "j", "prompts.copy": "j", "settings.save": "ctrl+g"}) == []
    assert clashes({"studio.new_conversation": "ctrl+g", "studio.generate_prompt": "ctrl+n"}) == []  # a swap


def test_the_palette_offers_each_titled_action_with_its_id() -> None:
    titled = [action for action in ACTIONS if action.title]
    assert [command.title for command in COMMANDS] == [action.title for action in titled]
    by_title = {command.title: command for command in COMMANDS}
    assert by_title["Generate prompt"].action == "screen.generate_prompt"
    assert by_title["Rename conversation"].action == "screen.rename_conversation"
    assert by_title["Settings"].action == "app.settings"
    assert by_title["Show starred conversations"].binding_id is None  # no key to show


def test_tips_name_the_users_keys() -> None:
    defaults = tips()
    assert "Enter sends; alt+enter or ctrl+j adds a new line (shift+enter where the terminal reports it)." in defaults
    assert "Press ctrl+g once" in " ".join(defaults)
    moved = tips({"studio.generate_prompt": "f5", "composer.newline": "ctrl+j", "studio.stop": "f6"})
    assert "Press f5 once the assistant has what it needs: the prompt appears on the right." in moved
    assert "Enter sends; ctrl+j adds a new line." in moved  # no caveat once shift+enter is gone
    assert "F6 stops a reply that is streaming; the text so far is kept." in moved
    assert "ctrl+g" not in " ".join(moved)


def test_fill_leaves_text_without_keys_alone() -> None:
    assert fill("keys: {app.help}, {composer.newline}") == "keys: f1, alt+enter or ctrl+j"
    assert fill("nothing to fill") == "nothing to fill"


# -- README ---------------------------------------------------------------------------------


def readme_key_rows() -> list[tuple[str, str]]:
    """(keys, id) of every row of the README's key tables: | keys | action | `id` |."""
    rows = re.findall(r"^\| ([^|]+?) \| [^|]+ \| `([^`]+)` \|$", README.read_text(encoding="utf-8"), re.MULTILINE)
    assert len(rows) > 20, "the README's key tables were not found"
    return rows


def test_readme_key_tables_name_real_actions_with_their_default_keys() -> None:
    rows = readme_key_rows()
    for keys, action_id in rows:
        assert action_id in BY_ID, f"README names {action_id}, which is not an action"
        default = [KEY_NAMES.get(key, key) for key in split_keys(BY_ID[action_id].keys)]
        assert split_keys(keys) == default, f"README gives {action_id} the keys {keys}"
    documented = {action_id for _, action_id in rows}
    studio_scopes = {"app", "main", "composer", "messages", "conversations", "prompts"}
    assert {action.id for action in ACTIONS if action.keys and action.scope in studio_scopes} <= documented


def test_readme_configuration_example_loads_and_remaps(tmp_path: Path) -> None:
    example = re.search(r"```toml\n(.*?)```", README.read_text(encoding="utf-8"), re.DOTALL)
    assert example is not None
    config = tmp_path / "config.toml"
    config.write_text(example.group(1), encoding="utf-8")
    settings = load_settings(config)  # an unknown id or a clash would raise
    assert settings.keymap and set(settings.keymap) <= set(remappable())


# -- the [keymap] error, as a user meets it -------------------------------------------------


def test_cli_names_an_unknown_keymap_id_in_one_line(home: Path) -> None:
    home.mkdir(parents=True, exist_ok=True)
    (home / "config.toml").write_text('[keymap]\ngenerate_prompt = "ctrl+o"\n', encoding="utf-8")
    result = run_cli(cli_env(home, None, None), "usage")
    assert result.returncode != 0 and result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "config.toml, line 2" in lines[0]
    assert "generate_prompt is not an action (did you mean studio.generate_prompt?)" in lines[0]
    assert "app.help" in lines[0] and "prompts.copy" in lines[0]  # the valid ids


async def test_tui_names_a_keymap_clash_in_one_sentence(config_file: Path) -> None:
    config_file.write_text('[keymap]\n"studio.search" = "ctrl+n"\n', encoding="utf-8")
    app = PromptStudioApp()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, StartupErrorScreen)
        text = str(app.screen.query_one("#startup-error", Static).render())
        assert "config.toml, line 2: [keymap] ctrl+n is bound to both studio.new_conversation and studio.search" in text
        assert "Traceback" not in text
        await pilot.press("q")


async def test_a_remapped_key_is_named_in_the_palette_hints_and_help(config_file: Path) -> None:
    config_file.write_text('[keymap]\n"studio.generate_prompt" = "f5"\n', encoding="utf-8")
    app = PromptStudioApp()
    async with app.run_test(size=SIZE) as pilot:
        main = screen(pilot)
        hits = [hit async for hit in StudioCommands(main).search("generate")]
        assert any("(f5)" in (hit.help or "") for hit in hits)
        assert not any("ctrl+g" in (hit.help or "") for hit in hits)
        assert "f5" in main.key_hint("studio.generate_prompt")
        welcome_tips = str(main.query_one(".welcome-tips", Static).render())
        assert "Press f5 once the assistant has what it needs" in welcome_tips
        assert "ctrl+g" not in welcome_tips
        await pilot.press("ctrl+n")  # a blank conversation: its log opens with the same tips
        await pilot.pause()
        log_tips = str(main.query_one(".chat-tips", Static).render())
        assert "Press f5 once" in log_tips and "ctrl+g" not in log_tips
        await pilot.press("f1")  # Help, as the user opens it
        await pilot.pause()
        help_screen = app.screen
        assert isinstance(help_screen, HelpScreen)
        rows = {row.binding_id: row.keys for group in help_screen.groups for row in group.rows}
        assert rows["studio.generate_prompt"] == "f5"


async def test_a_dialog_names_the_users_cancel_key(config_file: Path) -> None:
    config_file.write_text('[keymap]\n"modal.cancel" = "f9"\n', encoding="utf-8")
    app = PromptStudioApp()
    async with app.run_test(size=SIZE) as pilot:
        main = screen(pilot)
        await pilot.press("ctrl+n")
        await pilot.pause()
        await main.run_action("categorize_conversation")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, Modal)
        assert str(dialog.query_one(".hint", Static).render()) == "Enter chooses · F9 cancels"
        await pilot.press("f9")
        await pilot.pause()
        assert app.screen is main
