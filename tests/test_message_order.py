"""Order within a conversation (and a prompt's runs and cases) is the order written, not the clock's.

Each process here is a real one; "an hour behind" is a process whose wall clock reads an
hour earlier than the test's, as after a clock stepped back or on a second machine
sharing the store.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from clitools import cli_env, run_cli
from conftest import TEST_KEY
from promptstudio_tui.store import open_store
from promptstudio_tui.store.cases import TestCases
from promptstudio_tui.store.messages import Messages
from promptstudio_tui.store.prompts import Prompts
from promptstudio_tui.store.runs import Runs

# Python started with its wall clock an hour behind, then `code`.
AN_HOUR_BEHIND = "import sys, time\nreal = time.time_ns\ntime.time_ns = lambda: real() - 3600 * 10**9\n"
CLI = "from promptstudio_tui.cli import main\nsys.exit(main(sys.argv[1:]))\n"


def an_hour_behind(code: str, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [sys.executable, "-c", AN_HOUR_BEHIND + code, *args], capture_output=True, text=True, env=env, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return done


def test_a_clock_stepped_back_does_not_reorder_a_conversation(home: Path, endpoint) -> None:
    env = cli_env(home, endpoint.base_url, TEST_KEY)
    first = run_cli(env, "send", "FIRST")
    assert first.returncode == 0, first.stderr
    conversation = first.stderr.split("conversation ", 1)[1].split()[0]
    an_hour_behind(CLI, "send", "--conversation", conversation, "SECOND", env=env)
    an_hour_behind(CLI, "send", "--conversation", conversation, "THIRD", env=env)

    sent = [m["content"] for m in endpoint.requests[-1].body["messages"] if m["role"] != "system"]
    assert sent[0::2] == ["FIRST", "SECOND", "THIRD"]
    assert len(sent) == 5  # each earlier turn followed by its reply
    store = open_store(home / "promptstudio.db")
    history = Messages(store).for_conversation(conversation)
    assert [m.content for m in history if m.role == "user"] == ["FIRST", "SECOND", "THIRD"]
    assert [m.role for m in history] == ["user", "assistant"] * 3
    # Paging back from the newest (the chat's "load earlier") walks the same order.
    newest = Messages(store).for_conversation(conversation, limit=2)
    assert newest == history[4:]
    assert Messages(store).for_conversation(conversation, limit=2, before=newest[0].id) == history[2:4]
    store.close()


def test_a_clock_stepped_back_does_not_reorder_runs_or_test_cases(tmp_path: Path) -> None:
    db = tmp_path / "promptstudio.db"
    store = open_store(db)
    prompt = Prompts(store).add(title="t", content="Say {{x}}.", conversation_id=None)
    run = {"version": 1, "kind": "try", "model": "m", "state": "complete"}
    Runs(store).add(prompt.id, vars={}, output="first", **run)
    TestCases(store).add(prompt.id, {"x": "first"})
    an_hour_behind(
        "from pathlib import Path\n"
        "from promptstudio_tui.store import open_store\n"
        "from promptstudio_tui.store.cases import TestCases\n"
        "from promptstudio_tui.store.runs import Runs\n"
        "store = open_store(Path(sys.argv[1]))\n"
        f"Runs(store).add(sys.argv[2], vars={{}}, output='second', **{run!r})\n"
        "TestCases(store).add(sys.argv[2], {'x': 'second'})\n",
        str(db),
        prompt.id,
    )
    assert [r.output for r in Runs(store).for_prompt(prompt.id)] == ["second", "first"]  # newest first
    assert [c.vars for c in TestCases(store).for_prompt(prompt.id)] == [{"x": "first"}, {"x": "second"}]
    store.close()
