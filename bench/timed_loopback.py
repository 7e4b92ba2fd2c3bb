"""tests/loopback.py as a separate process that also records when it sent each
content chunk (time.monotonic(), which on Linux is one clock for every process).

    python bench/timed_loopback.py          # prints http://127.0.0.1:PORT/v1

GET /_bench/times -> {"streams": [{"first": t, "last": t, "chunks": n}, ...]}
(one entry per streamed chat request, in order). Scripting as in loopback.py.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

import loopback

_lock = threading.Lock()
_streams: list[dict[str, float]] = []
_local = threading.local()

_orig_stream = loopback._Handler._stream
_orig_send = loopback._Handler._send
_orig_get = loopback._Handler.do_GET


def _stream(self, body, scenario, record):  # type: ignore[no-untyped-def]
    entry = {"first": 0.0, "last": 0.0, "chunks": 0}
    with _lock:
        _streams.append(entry)
    _local.entry = entry
    try:
        return _orig_stream(self, body, scenario, record)
    finally:
        _local.entry = None


def _send(self, data, record):  # type: ignore[no-untyped-def]
    ok = _orig_send(self, data, record)
    entry = getattr(_local, "entry", None)
    if entry is not None and b'"content": "' in data and b'"content": ""' not in data:
        now = time.monotonic()
        entry["first"] = entry["first"] or now
        entry["last"] = now
        entry["chunks"] += 1
    return ok


def _get(self):  # type: ignore[no-untyped-def]
    if self.path == "/_bench/times":
        with _lock:
            self._json(200, {"streams": list(_streams)})
        return
    _orig_get(self)


loopback._Handler._stream = _stream
loopback._Handler._send = _send
loopback._Handler.do_GET = _get


def times(base_url: str) -> list[dict[str, float]]:
    import urllib.request

    root = base_url.rstrip("/").removesuffix("/v1")
    with urllib.request.urlopen(root + "/_bench/times", timeout=5) as response:
        return json.load(response)["streams"]


if __name__ == "__main__":
    raise SystemExit(loopback.main(sys.argv[1:] or ["--port", "0", "--print-url"]))
