"""The no-network audit: run a program with an audit hook that logs every name lookup and
connection it tries and refuses everything but the configured endpoint (CLI and TUI tests)."""

from __future__ import annotations

import json
from pathlib import Path

from loopback import LoopbackServer

SITECUSTOMIZE = r'''
"""Test harness: log every name lookup and connection this process tries; refuse all but the endpoint."""
import json, os, sys

_LOG = os.environ["PROMPTSTUDIO_TEST_NETLOG"]
_HOST, _PORT = os.environ["PROMPTSTUDIO_TEST_ENDPOINT"].rsplit(":", 1)
_EVENTS = {
    "socket.connect", "socket.connect_ex", "socket.getaddrinfo", "socket.gethostbyname",
    "socket.gethostbyname_ex", "socket.gethostbyaddr", "socket.getnameinfo", "socket.sendto",
    "socket.sendmsg", "urllib.Request",
}


def _target(event, args):
    if event in ("socket.connect", "socket.connect_ex", "socket.sendto", "socket.sendmsg"):
        address = args[1]
        return address if isinstance(address, (str, bytes)) else list(address[:2])
    if event == "urllib.Request":
        return [args[0], None]
    return [args[0], args[1] if len(args) > 1 else None]


def _hook(event, args):
    if event not in _EVENTS:
        return
    target = _target(event, args)
    with open(_LOG, "a") as log:
        log.write(json.dumps([event, target], default=str) + "\n")
    if isinstance(target, (str, bytes)):  # AF_UNIX: local IPC, not the network
        return
    host, port = target
    host = host.decode() if isinstance(host, bytes) else host
    if host != _HOST or (port is not None and str(port) != _PORT):
        raise OSError(f"test harness: network access to {target} refused")


sys.addaudithook(_hook)
'''


class NetAudit:
    """Environment for an audited process, and the check of what it tried."""

    def __init__(self, tmp_path: Path, endpoint: LoopbackServer) -> None:
        hook_dir = tmp_path / "hook"
        hook_dir.mkdir()
        (hook_dir / "sitecustomize.py").write_text(SITECUSTOMIZE)
        self.log = tmp_path / "net.log"
        self.cold_cache = tmp_path / "cold-cache"  # tiktoken would download into these if it ever tried
        self.cold_cache.mkdir()
        self.host_port = endpoint.base_url.split("//")[1].split("/")[0]
        self.env = {
            "PYTHONPATH": str(hook_dir),
            "PROMPTSTUDIO_TEST_NETLOG": str(self.log),
            "PROMPTSTUDIO_TEST_ENDPOINT": self.host_port,
            "TIKTOKEN_CACHE_DIR": str(self.cold_cache),
            "DATA_GYM_CACHE_DIR": str(self.cold_cache),
            "XDG_CACHE_HOME": str(self.cold_cache),
        }

    def events(self) -> list[list]:
        return [json.loads(line) for line in self.log.read_text().splitlines()]

    def assert_only_the_endpoint(self) -> None:
        events = self.events()
        assert any(e[0] == "socket.connect" for e in events), "the hook saw nothing: is sitecustomize loaded?"
        network = [e for e in events if not isinstance(e[1], str)]  # AF_UNIX paths are local IPC
        host, port = self.host_port.rsplit(":", 1)
        strangers = [e for e in network if e[1][0] != host or (e[1][1] is not None and str(e[1][1]) != port)]
        assert strangers == [], f"tried to reach something other than the endpoint: {strangers}"
        assert list(self.cold_cache.iterdir()) == []  # no encodings were downloaded or cached
