"""Helpers for the fault, crash, privacy and bad-input tests: run the installed CLI for real."""

from __future__ import annotations

import os
import pty
import re
import select
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from loopback import LoopbackServer

PROMPTSTUDIO = shutil.which("promptstudio", path=str(Path(sys.executable).parent)) or "promptstudio"

# A terminal must never receive these from untrusted text: C0 controls other than
# newline/CR/tab (ESC, BEL, NUL, backspace ...), DEL and the C1 controls (U+009B is CSI).
TERMINAL_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def cli_env(home: Path, base_url: str | None, key: str | None, **extra: str) -> dict[str, str]:
    """A clean environment: this home, this endpoint and key, no keyring (as on an SSH box),
    and no local model server asked for (the machine's own ports are not the test's)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "PYTHON_KEYRING", "PROMPTSTUDIO"))}
    env.update(
        PROMPTSTUDIO_HOME=str(home),
        PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring",
        PROMPTSTUDIO_LOCAL_SERVERS="off",
    )
    if base_url is not None:
        env["OPENAI_BASE_URL"] = base_url
    if key is not None:
        env["OPENAI_API_KEY"] = key
    env.update(extra)
    return env


def as_from_a_shell() -> None:
    """In a child before it runs: ctrl+c (SIGINT), SIGTERM and SIGHUP handled by default, as a
    shell starts a program.

    The test runner's worker may have SIGINT ignored, and an ignored signal is inherited
    across exec: the child would then never see the ctrl+c a test sends it.
    """
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, signal.SIG_DFL)


def start_cli(env: dict[str, str], *args: str, stdout: Any = subprocess.PIPE, **popen: Any) -> subprocess.Popen:
    """`promptstudio ARGS` started as a shell starts it (signals at their defaults), stderr piped."""
    popen.setdefault("preexec_fn", as_from_a_shell)
    return subprocess.Popen([PROMPTSTUDIO, *args], env=env, stdout=stdout, stderr=subprocess.PIPE, **popen)


def run_cli(env: dict[str, str], *args: str, stdin: str | None = None, timeout: float = 60, **kwargs: Any):
    return subprocess.run(
        [PROMPTSTUDIO, *args], input=stdin, capture_output=True, text=True, env=env, timeout=timeout, **kwargs
    )


def run_in_pty(env: dict[str, str], *args: str, timeout: float = 60) -> tuple[int, bytes]:
    """Run with stdout and stderr on a pseudo-terminal; return the exit code and every byte
    the terminal received (stdout's isatty() is True, as for a person at a terminal)."""
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [PROMPTSTUDIO, *args], stdin=subprocess.DEVNULL, stdout=slave, stderr=slave, env=env, close_fds=True
    )
    os.close(slave)
    received = bytearray()
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.1)
            if ready:
                try:
                    data = os.read(master, 65536)
                except OSError:  # EIO: every writer closed the terminal
                    break
                if not data:
                    break
                received += data
            elif proc.poll() is not None:
                break
        else:
            proc.kill()
            raise AssertionError(f"{args} did not finish within {timeout} s")
    finally:
        os.close(master)
    return proc.wait(timeout=10), bytes(received)


def closed_port() -> int:
    """A loopback port nothing listens on (connection refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def error_line(stderr: str) -> str:
    """The one `promptstudio: ...` line of a failed command (asserting it is one line, no traceback)."""
    assert "Traceback" not in stderr, stderr
    lines = [line for line in stderr.splitlines() if line.startswith("promptstudio: ")]
    assert len(lines) == 1, stderr
    return lines[0].removeprefix("promptstudio: ")


def query(db: Path, sql: str, params: tuple = ()) -> list[tuple]:
    """Read another process's database without taking part in its writes."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def poll_until(predicate, what: str, timeout: float = 30.0):
    """Poll `predicate` until it returns something truthy (a database not created yet counts as not yet)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            value = predicate()
        except sqlite3.OperationalError:  # the file is still being created
            value = None
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def run(home: Path, endpoint):
    """`run("prompts", "list")`: the installed CLI on this home and the loopback endpoint, with the test
    key and no keyring; asserts the exit code (`check`, None for any); `**extra` adds environment."""
    from conftest import TEST_KEY

    def invoke(*args: str, stdin: str | None = None, check: int | None = 0, **extra: str):
        result = run_cli(cli_env(home, endpoint.base_url, TEST_KEY, **extra), *args, stdin=stdin)
        if check is not None:
            assert result.returncode == check, result.stderr
        return result

    return invoke


class RecordingListener:
    """A loopback port that accepts and counts connections, answering nothing."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:  # closed
                return
            self.connections += 1
            conn.close()

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def listener() -> Iterator[RecordingListener]:
    recording = RecordingListener()
    yield recording
    recording.close()


def port_of(server: LoopbackServer) -> int:
    """The port of a loopback server's base URL."""
    return int(server.base_url.rsplit(":", 1)[1].split("/")[0])
