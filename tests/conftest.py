"""Shared fixtures: every test gets its own private home and a clean environment."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

TESTS = Path(__file__).parent
sys.path.insert(0, str(TESTS))  # loopback.py, keyring_backend.py

TEST_KEY = "sk-test-NEVERSHOWN-0123456789abcdef"

# Fixtures of the studio's Pilot tests, the real-terminal tests and the CLI tests, for every test module.
pytest_plugins = ["tui_fixtures", "tmux_terminal", "clitools"]


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "home"
    monkeypatch.setenv("PROMPTSTUDIO_HOME", str(root))
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "PYTHON_KEYRING_BACKEND", "NO_COLOR"):
        monkeypatch.delenv(name, raising=False)
    # The theme follows the terminal's colours (16 get an ANSI theme): the same in every shell.
    monkeypatch.setenv("COLORTERM", "truecolor")
    # An unconfigured studio asks no real port (11434, 1234, 8000): whatever this machine
    # runs, every test sees the same welcome. Probe tests name their own loopback ports.
    monkeypatch.setenv("PROMPTSTUDIO_LOCAL_SERVERS", "off")
    return root


@pytest.fixture
def no_keyring(monkeypatch: pytest.MonkeyPatch):
    """As on most SSH boxes: no keyring backend at all."""
    import keyring
    import keyring.backends.fail

    previous = keyring.get_keyring()
    keyring.set_keyring(keyring.backends.fail.Keyring())
    yield
    keyring.set_keyring(previous)


@pytest.fixture
def endpoint():
    """The project's own OpenAI-compatible server on loopback (real HTTP + SSE)."""
    from loopback import run_server

    with run_server() as server:
        yield server


@pytest.fixture
def config_file(home: Path) -> Path:
    home.mkdir(parents=True, exist_ok=True)
    return home / "config.toml"


@pytest.fixture
def studio(endpoint, monkeypatch: pytest.MonkeyPatch):
    """A Studio on the test home, pointed at the loopback endpoint with a test key."""
    from promptstudio_tui.studio import Studio

    monkeypatch.setenv("OPENAI_API_KEY", TEST_KEY)
    opened = Studio.open({"base_url": endpoint.base_url, "model": "gpt-4o-mini"})
    yield opened
    opened.close()


@pytest.fixture(autouse=True)
def _close_side_connections():
    """Connections tests opened beside a studio (tests/repos.py) close with the test."""
    yield
    from repos import close_all

    close_all()
