"""What the CLI does with its arguments and with a stop signal, before and while it works.

- `promptstudio models` stopped (ctrl+c, SIGTERM, SIGHUP) while the endpoint never answers
  its GET /models: exits as `send` does, with its one line, the request closed.

The installed `promptstudio` runs as a real process against the loopback endpoint.
"""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path

import pytest

from clitools import PROMPTSTUDIO, as_from_a_shell, cli_env, error_line
from conftest import TEST_KEY
from loopback import LoopbackServer

# ---- models, stopped


def _models_requests(endpoint: LoopbackServer) -> list:
    return [r for r in endpoint.requests if r.path.rstrip("/").endswith("/models")]


@pytest.mark.parametrize(
    ("signum", "line"),
    [(signal.SIGINT, "interrupted"), (signal.SIGTERM, "stopped by SIGTERM"), (signal.SIGHUP, "stopped by SIGHUP")],
    ids=["ctrl+c", "SIGTERM", "SIGHUP"],
)
def test_models_stopped_while_the_endpoint_never_answers(
    signum: int, line: str, home: Path, endpoint: LoopbackServer
) -> None:
    endpoint.metadata_hang = True  # GET /v1/models is read and never answered
    proc = subprocess.Popen(
        [PROMPTSTUDIO, "models"],
        env=cli_env(home, endpoint.base_url, TEST_KEY),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=as_from_a_shell,
    )
    try:
        deadline = time.monotonic() + 30  # a hang detector, not a speed bound
        while not _models_requests(endpoint):
            assert time.monotonic() < deadline and proc.poll() is None, "the request never reached the server"
            time.sleep(0.02)
        proc.send_signal(signum)
        out, err = proc.communicate(timeout=30)  # only the signal can end it: the server never answers
    finally:
        proc.kill()
    assert proc.returncode == (130 if signum == signal.SIGINT else 128 + signum)
    assert error_line(err) == line
    assert out == ""
    assert _models_requests(endpoint)[0].disconnected.wait(5)
