"""The app around the panes: start-up errors, layout, persistence, keymap, palette, other screens."""

from __future__ import annotations

import gc
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from textual.widgets import Button, Input, Static

from promptstudio_tui import heap
from promptstudio_tui.app import PromptStudioApp
from promptstudio_tui.commands import COMMANDS, StudioCommands
from promptstudio_tui.screens import warm_up
from promptstudio_tui.screens.help import HelpScreen
from promptstudio_tui.screens.main import StudioScreen
from promptstudio_tui.screens.settings import SettingsScreen
from promptstudio_tui.screens.startup import StartupErrorScreen
from promptstudio_tui.screens.usage import UsageScreen
from repos import repos
from tui_fixtures import SIZE, frozen_clock, notifications, screen, send, wait_for


async def test_a_broken_config_is_one_sentence_offers_no_move_and_q_quits(config_file: Path):
    config_file.write_text("plan = [\n", encoding="utf-8")
    app = PromptStudioApp()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, StartupErrorScreen)
        text = str(app.screen.query_one("#startup-error", Static).render())
        assert "config.toml" in text and "is not valid TOML" in text and "Traceback" not in text
        assert not app.screen.query("#move-aside")  # nothing to move: the config is the problem
        await pilot.press("m")
        assert isinstance(app.screen, StartupErrorScreen)
        await pilot.press("q")
    assert app.return_code == 0
    assert not list(config_file.parent.rglob("*unusable*"))


async def test_a_corrupt_database_is_named_left_untouched_and_q_quits(home: Path):
    home.mkdir(parents=True, exist_ok=True)
    database = home / "promptstudio.db"
    database.write_bytes(b"my notes, not a database\n" * 50)
    app = PromptStudioApp()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, StartupErrorScreen)
        text = str(app.screen.query_one("#startup-error", Static).render())
        assert "not a usable Prompt Studio database" in text and "doctor --move-aside" in text
        assert "Press m to rename it" in text and app.screen.query_one("#move-aside", Button)
        await pilot.press("q")
    assert database.read_bytes() == b"my notes, not a database\n" * 50


@pytest.mark.parametrize("how", ["key", "button"])
async def test_a_corrupt_database_can_be_moved_aside_from_the_start_screen(home: Path, endpoint, how: str):
    home.mkdir(parents=True, exist_ok=True)
    damaged = b"my notes, not a database\n" * 50
    (home / "promptstudio.db").write_bytes(damaged)
    app = PromptStudioApp({"base_url": endpoint.base_url, "model": "gpt-4o-mini"})
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        if how == "key":
            await pilot.press("m")
        else:
            await pilot.click("#move-aside")
        await wait_for(pilot, lambda: any(isinstance(s, StudioScreen) for s in app.screen_stack))
        [moved] = home.glob("promptstudio.db.unusable-*")
        assert moved.read_bytes() == damaged  # renamed, every byte kept
        assert any(f"Moved the unusable database to {moved}" in text for text in notifications(pilot))
        await send(pilot, "Works again")  # the new database takes messages
        [(state,)] = repos(app.studio).store.query("SELECT state FROM messages WHERE role = 'assistant'")
        assert state == "complete"
    assert (home / "promptstudio.db").read_bytes()[:16] == b"SQLite format 3\x00"


async def test_moving_aside_that_fails_says_why_and_stays(home: Path, monkeypatch):
    home.mkdir(parents=True, exist_ok=True)
    (home / "promptstudio.db").write_bytes(b"garbage" * 100)
    monkeypatch.setattr(
        Path, "rename", lambda self, target: (_ for _ in ()).throw(PermissionError(13, "Permission denied"))
    )
    app = PromptStudioApp()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("m")
        await pilot.pause()
        assert isinstance(app.screen, StartupErrorScreen)
        problem = str(app.screen.query_one("#startup-problem", Static).render())
        assert "Could not move the database aside: Permission denied." in problem
    assert (home / "promptstudio.db").read_bytes() == b"garbage" * 100


async def test_side_panes_follow_the_width(make_app, endpoint):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        studio_screen = screen(pilot)
        left, right = studio_screen.query_one("#left"), studio_screen.query_one("#right")
        assert left.display and right.display and studio_screen.has_class("-wide")

        await pilot.resize_terminal(90, 30)
        await pilot.pause()
        assert studio_screen.has_class("-narrow") and not left.display and not right.display
        await pilot.press("ctrl+l")
        assert left.display and left.styles.layer == "overlay" and studio_screen.focused.id == "conversation-list"
        await pilot.press("escape")
        assert not left.display

        await pilot.resize_terminal(50, 20)
        await pilot.pause()
        assert studio_screen.has_class("-tiny") and not left.display
        await pilot.press("ctrl+o")
        await pilot.pause()
        assert right.display and right.region.width == 50


async def test_pane_tab_sort_theme_and_scope_survive_a_restart(make_studio, endpoint):
    app = PromptStudioApp(studio=make_studio(), clock=frozen_clock)
    async with app.run_test(size=SIZE) as pilot:
        studio_screen = screen(pilot)
        await pilot.press("ctrl+l")  # hide the conversations
        await studio_screen.run_action("show_tab('starred')")  # shows them again
        await pilot.press("ctrl+o")  # hide the prompts
        await studio_screen.run_action("sort_by('title')")
        app.theme = "nord"
        await pilot.pause()

    app = PromptStudioApp(studio=make_studio(), clock=frozen_clock)
    async with app.run_test(size=SIZE) as pilot:
        studio_screen = screen(pilot)
        assert app.theme == "nord"
        assert studio_screen.query_one("#left").display and not studio_screen.query_one("#right").display
        assert (studio_screen.conversation_list.tab, studio_screen.conversation_list.sort) == ("starred", "title")


async def test_keymap_in_config_remaps_bindings(make_app, endpoint):
    app = make_app(
        '[keymap]\n"studio.generate_prompt" = "f5"\n"composer.send" = "ctrl+j"\n"composer.newline" = "enter"\n'
    )
    async with app.run_test(size=SIZE) as pilot:
        studio_screen = screen(pilot)
        await pilot.press("h", "enter", "i")
        assert studio_screen.composer.text == "h\ni" and studio_screen.session.conversation is None
        assert "ctrl+j send · enter new line" in str(studio_screen.query_one("#composer-status").render())
        await pilot.press("ctrl+j")
        await wait_for(
            pilot, lambda: studio_screen.session.conversation is not None and not studio_screen.session.flights()
        )
        await pilot.pause()
        await pilot.press("f5")
        await wait_for(pilot, lambda: studio_screen.panel.current is not None)


async def test_palette_offers_every_command_with_its_key(make_app, endpoint):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        studio_screen = screen(pilot)
        for command in COMMANDS:
            name = command.action.split(".", 1)[1].split("(")[0]
            target = studio_screen if command.action.startswith("screen.") else app
            assert hasattr(target, f"action_{name}"), command
        provider = StudioCommands(studio_screen)
        hits = [hit async for hit in provider.search("generate")]
        assert any("ctrl+g" in (hit.help or "") for hit in hits)
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"new conversation", "enter")
        await wait_for(pilot, lambda: studio_screen.session.conversation is not None)


async def test_f1_f2_f3_open_help_settings_and_usage(make_app, endpoint):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f1")
        assert isinstance(app.screen, HelpScreen)
        assert any(row.binding_id == "studio.generate_prompt" for group in app.screen.groups for row in group.rows)
        await pilot.press("f1")  # the same key closes it
        assert isinstance(app.screen, StudioScreen)
        await pilot.press("f3")
        assert isinstance(app.screen, UsageScreen)
        await pilot.press("f3")
        assert isinstance(app.screen, StudioScreen)
        await pilot.press("f2")
        assert isinstance(app.screen, SettingsScreen)
        await pilot.press("f2")  # never a second Settings over the first
        assert sum(isinstance(s, SettingsScreen) for s in app.screen_stack) == 1
        app.screen.query_one("#model", Input).value = "loopback-small"
        await app.screen.run_action("save")
        await wait_for(pilot, lambda: screen(pilot).header.model == "loopback-small")
        assert not isinstance(app.screen, SettingsScreen)


async def test_start_up_notices_are_shown(make_studio, endpoint):
    studio = make_studio()
    studio.notices.append("2 replies cut off when Prompt Studio last stopped: kept and marked interrupted.")
    app = PromptStudioApp(studio=studio, clock=frozen_clock)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert "2 replies cut off when Prompt Studio last stopped: kept and marked interrupted." in notifications(pilot)


async def test_quitting_mid_reply_keeps_it_interrupted(make_app, endpoint):
    from loopback import Scenario
    from promptstudio_tui.store import open_store
    from promptstudio_tui.store.messages import Messages

    endpoint.script(Scenario(reply="partial " * 100, chunk_size=8, delay=0.02))
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        studio_screen = screen(pilot)
        studio_screen.composer.set_text("go")
        studio_screen.composer.input.action_send()
        await wait_for(pilot, lambda: any(f.text for f in studio_screen.session.flights()))
        conversation_id = studio_screen.session.conversation.id
        database = app.studio.paths.database
    store = open_store(database)  # the app closed its own on the way out
    reply = Messages(store).for_conversation(conversation_id)[-1]
    store.close()
    assert reply.state == "interrupted" and reply.content.startswith("partial")


async def test_send_then_restart_finds_everything(make_studio, endpoint):
    app = PromptStudioApp(studio=make_studio(), clock=frozen_clock)
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, "Remember me")
    app = PromptStudioApp(studio=make_studio(), clock=frozen_clock)
    async with app.run_test(size=SIZE) as pilot:
        conversation_list = screen(pilot).conversation_list
        await wait_for(pilot, lambda: [c.title for c in conversation_list.rows] == ["Remember me"])


class Pauses:
    """The user's pauses on the test's command: each wait for one ends when the test grants it."""

    def __init__(self) -> None:
        self.asked: list[tuple[float, float]] = []  # (quiet, at_most) of each wait
        self._granted = threading.Semaphore(0)

    def __call__(self, quiet: float, at_most: float, cancelled) -> bool:
        self.asked.append((quiet, at_most))
        while not self._granted.acquire(timeout=0.05):
            if cancelled():
                return False
        return True

    def grant(self) -> None:
        self._granted.release()


def warm_up_done(app: PromptStudioApp) -> bool:
    """No warm-up worker left (call once it has started: it asked for a pause)."""
    return not any(worker.group == "warm-up" and not worker.is_finished for worker in app.workers)


async def test_background_loading_keeps_out_of_the_users_way(make_studio, endpoint, monkeypatch):
    """Loading code in a thread halves the UI's speed while it runs: lexers load in the
    user's pauses; the tokenizer and SDK only once a message is being typed."""
    from rich.syntax import Syntax

    monkeypatch.setattr(warm_up, "WARM_LANGUAGES", ("python",))
    loaded: list[str] = []
    monkeypatch.setattr(Syntax, "highlight", lambda self, code: loaded.append("lexer"))
    monkeypatch.setattr(warm_up, "load_markdown", lambda: loaded.append("markdown"))
    monkeypatch.setattr(heap, "frozen", lambda: loaded.append("frozen"))  # the SDK, out of the collector's sight
    studio = make_studio()
    monkeypatch.setattr(studio, "warm_up", lambda: loaded.append("sdk"))
    pauses = Pauses()
    app = PromptStudioApp(studio=studio, clock=frozen_clock, pause=pauses)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+l", "down", "down")  # browsing the list: no message typed yet
        await wait_for(pilot, lambda: pauses.asked)
        # The Markdown parser right after the first frame; lexers wait for a pause.
        assert loaded == ["markdown"] and pauses.asked == [(warm_up.WARM_QUIET, warm_up.WARM_WAIT)]
        pauses.grant()  # the user pauses: the lexer loads; the SDK does not wait for any pause
        await wait_for(pilot, lambda: warm_up_done(app))
        assert loaded == ["markdown", "lexer"] and len(pauses.asked) == 1
        screen(pilot).query_one("#composer-input").focus()
        await pilot.press(*"hello")  # a message is being typed: the SDK loads now, in time for its send
        sdk = ["markdown", "lexer", "sdk", "frozen"]
        await wait_for(pilot, lambda: loaded == sdk)
        await pilot.press(*" there")  # more typing does not load it again
        await app.workers.wait_for_complete()
        assert loaded == sdk and screen(pilot).composer.text == "hello there"


async def test_a_session_that_only_browses_never_loads_the_sdk(make_studio, endpoint, monkeypatch):
    """The tokenizer and SDK take ~90 MB: an idle pause is no reason to load them."""
    from rich.syntax import Syntax

    monkeypatch.setattr(warm_up, "WARM_LANGUAGES", ("python",))
    monkeypatch.setattr(Syntax, "highlight", lambda self, code: None)
    studio = make_studio()
    sdk: list[str] = []
    monkeypatch.setattr(studio, "warm_up", lambda: sdk.append("sdk"))
    pauses = Pauses()
    app = PromptStudioApp(studio=studio, clock=frozen_clock, pause=pauses)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+l", "down")
        await wait_for(pilot, lambda: pauses.asked)  # the warm-up runs
        pauses.grant()
        await wait_for(pilot, lambda: warm_up_done(app))  # and waits for no further pause to load the SDK
        assert sdk == [] and len(pauses.asked) == 1
        screen(pilot).query_one("#composer-input").focus()
        await pilot.press(*"hi")
        await wait_for(pilot, lambda: sdk == ["sdk"])


def test_a_pause_is_quiet_time_since_the_last_input_or_the_longest_wait():
    clock = {"now": 0.0, "last_input": 0.0}

    def sleep(seconds: float) -> None:
        clock["now"] += seconds
        if clock["now"] < 0.5:
            clock["last_input"] = clock["now"]  # typing until 0.5 s

    pauses = warm_up.InputPauses(lambda: clock["last_input"], clock=lambda: clock["now"], sleep=sleep)
    assert pauses(1.0, 60.0, lambda: False)
    assert clock["now"] - clock["last_input"] == pytest.approx(1.0, abs=warm_up.STEP)

    clock.update(now=10.0)
    busy = warm_up.InputPauses(lambda: clock["now"], clock=lambda: clock["now"], sleep=sleep)  # input all the time
    assert busy(1.0, 2.0, lambda: False)
    assert clock["now"] == pytest.approx(12.0, abs=warm_up.STEP)  # went ahead after at_most
    assert not busy(1.0, float("inf"), lambda: True)  # the worker was cancelled


def test_one_studio_keeps_its_code_out_of_the_collectors_sight():
    """`promptstudio` (one studio for the process's life) freezes the code it imported before
    the app starts, so a full collection walks only what came after; the collector stays off
    until the first frame. Any other process (a CLI command, this suite, which runs many apps)
    keeps Python's collector as it is, or no app would ever be freed."""
    code = """
import gc
from promptstudio_tui import heap
heap.frozen()
assert gc.isenabled() and gc.get_freeze_count() == 0, "froze in a process that is not one studio"

import promptstudio_tui.app
promptstudio_tui.app.PromptStudioApp.run = lambda self: None  # the start up to the app, not the app
from promptstudio_tui.cli import main
loaded = len(gc.get_objects())  # the modules a studio runs, and little else
assert main([]) == 0
assert not gc.isenabled(), "the collector runs before the first frame"
assert gc.get_freeze_count() >= 0.9 * loaded, (gc.get_freeze_count(), loaded)
heap.first_frame()
assert gc.isenabled()
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


async def test_the_collector_is_back_on_after_the_first_frame(make_app, endpoint):
    """`promptstudio` starts with the garbage collector off (the start makes long-lived
    objects only); the app turns it back on once its first frame is drawn."""
    gc.disable()
    try:
        app = make_app()
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            assert gc.isenabled()
    finally:
        gc.enable()
