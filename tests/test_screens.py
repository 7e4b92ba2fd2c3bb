"""Settings, usage, help and the small modals, each hosted alone in a tiny app."""

from __future__ import annotations

import html
import io
import stat
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from textual.app import App
from textual.pilot import Pilot
from textual.screen import Screen
from textual.widgets import Button, DataTable, Input, OptionList, RadioButton, Select, Static

from conftest import TEST_KEY
from loopback import LoopbackServer, run_server
from promptstudio_tui import credentials
from promptstudio_tui.actions import remappable
from promptstudio_tui.catalog import CATEGORIES
from promptstudio_tui.config import DEFAULT_PLANS
from promptstudio_tui.events import UsageReport
from promptstudio_tui.quota import QuotaStatus, month_window
from promptstudio_tui.screens.help import HelpScreen
from promptstudio_tui.screens.modals import (
    CategoryModal,
    ConfirmModal,
    ExportModal,
    SavePromptModal,
    TextInputModal,
)
from promptstudio_tui.screens.settings import OTHER_MODEL, SettingsScreen
from promptstudio_tui.screens.usage import UsageScreen
from promptstudio_tui.store.records import BreakdownRow, DayUsage, Prompt, UsageTotals
from promptstudio_tui.studio import Studio
from repos import repos
from tui_fixtures import notifications

SIZE = (100, 30)
PROMPT = Prompt(
    id="p1",
    conversation_id=None,
    title="Weekly report: [b]summarise[/b] tickets",  # markup-like text must show as typed
    content="You write weekly reports.",
    category="Analysis",
    tags=["ops", "weekly"],
    is_favorite=False,
    model="gpt-4o-mini",
    tokens_used=12,
    cost=None,
    created_at="2026-02-01T10:00:00+00:00",
    updated_at="2026-02-01T10:00:00+00:00",
)


class Host(App[None]):
    """Pushes one screen on mount and keeps what it dismissed with."""

    def __init__(self, make: Callable[[], Screen[Any]], keymap: dict[str, str] | None = None) -> None:
        super().__init__()
        self.make, self.keymap = make, keymap or {}
        self.results: list[Any] = []

    def on_mount(self) -> None:
        self.set_keymap(self.keymap)  # as the studio applies config.toml's [keymap]
        self.push_screen(self.make(), self.results.append)

    def freeze(self) -> None:
        """No blinking cursors: snapshots must not depend on when they are taken."""
        for node in self.screen.query(Input):
            node.cursor_blink = False


def text_of(screen: Screen[Any]) -> str:
    """Everything the screen's Statics show, as plain text."""
    return "\n".join(str(node.render()) for node in screen.query(Static) if node.display)


@pytest.fixture
def server() -> Iterator[LoopbackServer]:
    with run_server() as loopback:
        yield loopback


@pytest.fixture
async def studio(server: LoopbackServer) -> AsyncIterator[Studio]:
    """Pointed at the loopback endpoint as --base-url would: no test reaches the internet."""
    opened = Studio.open(overrides={"base_url": server.base_url})
    yield opened
    await opened.aclose()


@pytest.fixture
async def offline_studio(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Studio]:
    """The default endpoint, with a fixed model list instead of the network (snapshots)."""
    opened = Studio.open()
    monkeypatch.setattr(opened, "list_models", _fixed_models)
    yield opened
    await opened.aclose()


async def _fixed_models(base_url: str | None = None) -> list[str]:
    return ["gpt-4o", "gpt-4o-mini", "o4-mini"]


async def settled(pilot: Pilot[Any]) -> None:
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


# -- settings --------------------------------------------------------------------


async def test_settings_lists_models_and_saves_and_applies(studio: Studio) -> None:
    app = Host(lambda: SettingsScreen(studio))
    async with app.run_test(size=SIZE) as pilot:
        await settled(pilot)
        screen = app.screen
        chooser = screen.query_one("#model-list", Select)
        assert chooser.display and not screen.query_one("#model", Input).display
        assert [str(option.prompt) for option in chooser.query_one(OptionList).options] == [
            "Choose a model",
            "gpt-4o-mini (not in this endpoint's list)",  # the configured model stays choosable
            "loopback-large",
            "loopback-small",
            "Type another name…",
        ]
        assert "2 models offered by 127.0.0.1" in text_of(screen)
        chooser.value = "loopback-small"
        screen.query_one("#plan", Select).value = "pro"
        screen.query_one("#temperature", Input).value = "1.2"
        await pilot.press("ctrl+s")
        await pilot.pause()
    assert app.results == [True]
    assert (studio.settings.model, studio.settings.plan, studio.settings.chat.temperature) == (
        "loopback-small",
        "pro",
        1.2,
    )
    assert studio.settings.chat.max_tokens == 800  # untouched
    config = studio.paths.config_file.read_text()
    assert 'model = "loopback-small"' in config and 'plan = "pro"' in config and "temperature = 1.2" in config
    assert "max_tokens" not in config  # only what changed is written


async def test_settings_refuses_invalid_input_and_saves_nothing(studio: Studio) -> None:
    app = Host(lambda: SettingsScreen(studio))
    async with app.run_test(size=SIZE) as pilot:
        await settled(pilot)
        screen = app.screen
        for field, value, complaint in (
            ("#temperature", "2.5", "Temperature must be a number from 0 to 2"),
            ("#temperature", "warm", "Temperature must be a number from 0 to 2"),
            ("#base-url", "localhost:11434", "The base URL must start with http://"),
        ):
            screen.query_one(field, Input).value = value
            await pilot.pause()  # let the Input's Changed message land before saving
            await pilot.press("ctrl+s")  # the Save button may be scrolled out of a 30-row dialog
            await pilot.pause()
            assert complaint in str(screen.query_one("#error", Static).render())
            screen.query_one("#temperature", Input).value = "0.7"
            await pilot.pause()
        assert app.results == [] and app.screen is screen
        await pilot.press("escape")
        await pilot.pause()
    assert app.results == [False]
    assert not studio.paths.config_file.exists()
    assert studio.settings.chat.temperature == 0.7


async def test_settings_failed_listing_falls_back_to_typing_and_presets_ask_their_endpoint(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with run_server(models=None) as server:  # this endpoint has no /models
        studio = Studio.open(overrides={"base_url": server.base_url})
        app = Host(lambda: SettingsScreen(studio))
        async with app.run_test(size=SIZE) as pilot:
            await settled(pilot)
            screen = app.screen
            assert "Could not list models" in text_of(screen)
            assert screen.query_one("#model", Input).display and not screen.query_one("#model-list").display
            preset = screen.query_one("#preset", Select)
            assert preset.value == Select.NULL  # a custom URL
            url = screen.query_one("#base-url", Input)
            url.value = "http://localhost:11434/v1"
            await pilot.pause()
            assert preset.value == "http://localhost:11434/v1"  # typing a preset's URL selects it

            asked: list[str | None] = []

            async def listed(base_url: str | None = None) -> list[str]:
                asked.append(base_url)  # stands in for the real endpoint: tests stay offline
                return await _fixed_models()

            monkeypatch.setattr(studio, "list_models", listed)
            preset.value = "https://openrouter.ai/api/v1"
            await settled(pilot)
            assert url.value == "https://openrouter.ai/api/v1" and asked == ["https://openrouter.ai/api/v1"]
            assert screen.query_one("#model-list").display and "3 models offered by openrouter.ai" in text_of(screen)
            screen.query_one("#model-list", Select).value = OTHER_MODEL  # a name the list lacks
            await pilot.pause()
            model = screen.query_one("#model", Input)
            assert model.display and model.has_focus and not screen.query_one("#model-list").display
        await studio.aclose()


async def test_settings_says_the_environment_overrides_the_base_url(
    monkeypatch: pytest.MonkeyPatch, server: LoopbackServer
) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
    studio = Studio.open()
    try:
        app = Host(lambda: SettingsScreen(studio))
        async with app.run_test(size=SIZE) as pilot:
            await settled(pilot)
            note = str(app.screen.query_one("#base_url-note", Static).render())
            assert "OPENAI_BASE_URL" in note and "overrides config.toml" in note
            assert not app.screen.query_one("#plan-note").display  # nothing to say about the plan
    finally:
        await studio.aclose()


@pytest.mark.usefixtures("no_keyring")
async def test_settings_stores_the_key_privately_and_never_shows_it(studio: Studio) -> None:
    app = Host(lambda: SettingsScreen(studio))
    async with app.run_test(size=SIZE) as pilot:
        await settled(pilot)
        key_input = app.screen.query_one("#api-key", Input)
        assert key_input.password
        key_input.focus()
        await pilot.press(*TEST_KEY)
        assert TEST_KEY not in str(key_input.render()) and TEST_KEY not in html.unescape(app.export_screenshot())
        await pilot.press("enter")
        await pilot.pause()
        notices = notifications(pilot)
    assert app.results == [True]
    where = credentials.resolve(studio.paths.config_dir)
    assert (where.value, where.source) == (TEST_KEY, f"key file {studio.paths.config_dir / 'api_key'}")
    assert stat.S_IMODE((studio.paths.config_dir / "api_key").stat().st_mode) == 0o600
    assert any("key file" in notice for notice in notices)

    app = Host(lambda: SettingsScreen(studio))
    async with app.run_test(size=SIZE) as pilot:
        await settled(pilot)
        shown = str(app.screen.query_one("#key-source", Static).render())
        assert credentials.mask(TEST_KEY) in shown and "key file" in shown
        assert TEST_KEY not in html.unescape(app.export_screenshot())
        await pilot.click("#clear-key")
        await pilot.pause()
        assert "Removed the key from the key file" in str(app.screen.query_one("#key-source", Static).render())
    assert credentials.resolve(studio.paths.config_dir).value is None


# -- usage -----------------------------------------------------------------------------


async def test_usage_shows_what_was_recorded(studio: Studio) -> None:
    usage = repos(studio).usage
    usage.record("conversation", prompt_tokens=1200, completion_tokens=300, cost=2500, model="gpt-4o-mini")
    usage.record("prompt_optimization", prompt_tokens=900, completion_tokens=600, cost=4000, model="gpt-4o-mini")
    usage.record("conversation", prompt_tokens=100, completion_tokens=50, model="house-model")
    app = Host(lambda: UsageScreen(studio))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.screen
        shown = text_of(screen)
        assert "3,150 of 10,000 · 6,850 left" in shown
        assert "3 of 50 · 47 left" in shown
        assert "≥ $0.0065 this month: 1 request at unknown prices" in shown
        by_type = screen.query_one("#by-type", DataTable)
        assert [[str(cell) for cell in by_type.get_row_at(i)] for i in range(by_type.row_count)] == [
            ["Chat replies", "2", "1,650", "≥ $0.0025"],  # one of them at an unknown price
            ["Prompt generation", "1", "1,500", "$0.0040"],
        ]
        by_model = screen.query_one("#by-model", DataTable)
        rows = {
            str(row[0]): [str(cell) for cell in row[1:]] for row in map(by_model.get_row_at, range(by_model.row_count))
        }
        assert rows == {"gpt-4o-mini": ["2", "3,000", "$0.0065"], "house-model": ["1", "150", "unknown"]}
        chart = screen.query_one("#chart")
        today = datetime.now().day
        assert len(chart.days) >= 28 and chart.days[today - 1].tokens == 3150
        assert sum(day.tokens for day in chart.days) == 3150
        await pilot.press("q")
        await pilot.pause()
    assert app.results == [None]


async def test_usage_names_the_keys_that_close_it_after_the_keymap(config_file: Path, server: LoopbackServer) -> None:
    config_file.write_text('[keymap]\n"usage.close" = "escape,f4"\n', encoding="utf-8")
    opened = Studio.open(overrides={"base_url": server.base_url})
    app = Host(lambda: UsageScreen(opened), dict(opened.settings.keymap))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert "esc or f4 closes" in text_of(app.screen)
        await pilot.press("f4")
        await pilot.pause()
    await opened.aclose()
    assert app.results == [None]


# -- help ---------------------------------------------------------------------------------


# A user who moved "Generate prompt" and gave Help a second key.
KEYMAP = {"studio.generate_prompt": "f5", "app.help": "f1,ctrl+h"}


def help_host() -> Host:
    return Host(lambda: HelpScreen(KEYMAP), KEYMAP)


async def test_help_lists_every_key_where_it_works_after_the_keymap() -> None:
    app = help_host()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        help_screen = app.screen
        assert isinstance(help_screen, HelpScreen)
        groups = {g.name: {r.binding_id: (r.keys, r.description) for r in g.rows} for g in help_screen.groups}
        assert list(groups)[:7] == [
            "Everywhere",
            "Main screen",
            "Composer",
            "Chat messages (alt+up from the composer)",
            "Conversation list",
            "Search box",
            "Prompt pane",
        ]
        assert groups["Main screen"]["studio.generate_prompt"] == ("f5", "Generate prompt")
        assert groups["Everywhere"]["app.help"] == ("f1 / ^h", "Help: keys")
        assert groups["Conversation list"]["conversations.delete"] == ("del / d", "Delete conversation")
        # A key that only some terminals report says so.
        assert groups["Composer"]["composer.newline"] == (
            "shift+⏎ / alt+⏎ / ^j",
            "New line (shift+enter where the terminal reports it)",
        )
        listed = [row.binding_id for group in help_screen.groups for row in group.rows]
        assert sorted(listed) == sorted(remappable())  # every id [keymap] takes, once
        console = Console(width=SIZE[0], file=io.StringIO(), record=True)
        console.print(help_screen.query_one("#table", Static).content)
        shown = console.export_text()
        for needle in ("studio.generate_prompt", "conversations.star", "OSC 52", "set-clipboard"):
            assert needle in shown
        await pilot.press("q")
        await pilot.pause()
    assert app.results == [None]


async def test_help_closes_with_a_remapped_key_and_says_so() -> None:
    keymap = {"help.close": "escape,f10"}
    app = Host(lambda: HelpScreen(keymap), keymap)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert "esc or f10 closes" in text_of(app.screen)
        await pilot.press("q")  # no longer bound
        await pilot.pause()
        assert app.results == []
        await pilot.press("f10")
        await pilot.pause()
    assert app.results == [None]


# -- modals ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("keys", "expected"), [(("enter",), True), (("y",), True), (("escape",), False), (("n",), False)]
)
async def test_confirm_modal(keys: tuple[str, ...], expected: bool) -> None:
    app = Host(lambda: ConfirmModal("Delete “[b]x[/b]”?"))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert "Delete “[b]x[/b]”?" in text_of(app.screen)  # shown as typed, not as markup
        assert str(app.screen.query_one("#confirm", Button).label) == "Delete"
        await pilot.press(*keys)
        await pilot.pause()
    assert app.results == [expected]


async def test_text_input_modal_refuses_empty_then_submits() -> None:
    app = Host(lambda: TextInputModal("Rename conversation", "Old title"))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        field = app.screen.query_one(Input)
        field.value = "   "
        await pilot.press("enter")
        await pilot.pause()
        assert app.results == [] and "Type something first" in text_of(app.screen)
        field.value = "  New title "
        await pilot.press("enter")
        await pilot.pause()
    assert app.results == ["New title"]


@pytest.mark.parametrize("how", ["escape", "button"])
async def test_text_input_modal_cancel(how: str) -> None:
    app = Host(lambda: TextInputModal("Rename", "x"))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await (pilot.press("escape") if how == "escape" else pilot.click("#cancel"))
        await pilot.pause()
    assert app.results == [None]


async def test_category_modal_starts_on_current_and_chooses() -> None:
    app = Host(lambda: CategoryModal("Research", CATEGORIES))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        options = app.screen.query_one(OptionList)
        assert options.get_option_at_index(options.highlighted or 0).id == "Research"
        await pilot.press("down", "enter")
        await pilot.pause()
    assert app.results == ["Marketing"]

    app = Host(lambda: CategoryModal("General", CATEGORIES))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("escape")
        await pilot.pause()
    assert app.results == [None]


async def test_save_prompt_modal_prefills_and_returns_title_category_tags() -> None:
    app = Host(lambda: SavePromptModal(PROMPT, CATEGORIES))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.screen
        title = screen.query_one("#title", Input)
        assert title.value == PROMPT.title
        assert screen.query_one("#tags", Input).value == "ops, weekly"
        title.value = ""
        await pilot.click("#confirm")
        await pilot.pause()
        assert app.results == [] and "A prompt needs a title." in text_of(screen)
        title.value = "Weekly ops report"
        screen.query_one("#category", Select).value = "Business"
        tags = screen.query_one("#tags", Input)
        tags.value = "ops, , reports ,weekly"
        tags.focus()
        await pilot.press("enter")
        await pilot.pause()
    assert app.results == [("Weekly ops report", "Business", ["ops", "reports", "weekly"])]

    app = Host(lambda: SavePromptModal(PROMPT, CATEGORIES))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("escape")
        await pilot.pause()
    assert app.results == [None]


async def test_export_modal_path_follows_format_and_warns_before_replacing(tmp_path: Path) -> None:
    app = Host(lambda: ExportModal(PROMPT.title, tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.screen
        path = screen.query_one("#path", Input)
        assert path.value == str(tmp_path / "weekly-report-b-summarise-b-tickets.md")
        screen.query(RadioButton).last().value = True  # choose json
        await pilot.pause()
        assert path.value == str(tmp_path / "weekly-report-b-summarise-b-tickets.json")
        existing = tmp_path / "old.json"
        existing.write_text("{}")
        path.value = str(existing)
        await pilot.pause()
        assert "exists and will be replaced" in text_of(screen)
        assert str(screen.query_one("#confirm", Button).label) == "Replace"
        path.value = str(tmp_path / "missing" / "x.json")
        path.focus()  # the dialog opens on the format, where Enter chooses one
        await pilot.press("enter")
        await pilot.pause()
        assert app.results == [] and "does not exist" in text_of(screen)
        path.value = str(existing)
        await pilot.press("enter")
        await pilot.pause()
    assert app.results == [("json", existing)]

    app = Host(lambda: ExportModal(PROMPT.title, tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("escape")
        await pilot.pause()
    assert app.results == [None]


# -- snapshots ---------------------------------------------------------------------------------------


def test_settings_snapshot(snap_compare: Any, offline_studio: Studio) -> None:
    app = Host(lambda: SettingsScreen(offline_studio))

    async def ready(pilot: Pilot[Any]) -> None:
        await settled(pilot)
        app.freeze()

    assert snap_compare(app, terminal_size=SIZE, run_before=ready)


def test_usage_snapshot(snap_compare: Any, offline_studio: Studio) -> None:
    window = month_window(datetime(2026, 2, 15, 12, 0))
    used = UsageTotals(tokens=6_420, requests=23, cost=18_250, unpriced_requests=2)
    days = [
        DayUsage(f"2026-02-{d:02d}", tokens, tokens // 300, tokens * 3)
        for d, tokens in ((2, 900), (3, 1500), (9, 420), (14, 2600), (15, 1000))
    ]
    report = UsageReport(
        quota=QuotaStatus("free", DEFAULT_PLANS["free"], window, used, reserved_tokens=1_200, reserved_requests=1),
        days=days,
        by_type=[
            BreakdownRow("conversation", 4_100, 19, 9_000, unpriced_requests=2),
            BreakdownRow("prompt_optimization", 2_320, 4, 9_250),
            BreakdownRow("prompt_save", 0, 3, 0),
        ],
        by_model=[
            BreakdownRow("gpt-4o-mini", 5_800, 21, 18_250),
            BreakdownRow("llama3:8b", 620, 2, 0, unpriced_requests=2),
            BreakdownRow("unknown", 0, 3, 0),  # prompt saves: not a model's usage
        ],
    )
    assert snap_compare(Host(lambda: UsageScreen(offline_studio, report)), terminal_size=SIZE)


def test_help_snapshot(snap_compare: Any) -> None:
    assert snap_compare(help_host(), terminal_size=SIZE)
