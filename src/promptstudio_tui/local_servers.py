"""OpenAI-compatible servers on this machine: Ollama, LM Studio and vLLM on their usual ports.

Asked only on 127.0.0.1 (never a name to resolve, never another host), with one short
GET /v1/models each, so a new user who runs one of them can start without a key.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass

LOOPBACK = "127.0.0.1"
PROBE_TIMEOUT = 0.3  # seconds; a server on loopback answers in milliseconds


@dataclass(frozen=True)
class LocalServer:
    name: str
    port: int

    @property
    def base_url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}/v1"


USUAL = (LocalServer("Ollama", 11434), LocalServer("LM Studio", 1234), LocalServer("vLLM", 8000))


@dataclass(frozen=True)
class FoundServer:
    server: LocalServer
    models: tuple[str, ...]

    @property
    def model(self) -> str:
        """The model to start with: the first listed that is not an embedding model."""
        return next((m for m in self.models if "embed" not in m.lower()), self.models[0])


def probe(servers: Iterable[LocalServer], timeout: float = PROBE_TIMEOUT) -> list[FoundServer]:
    """The servers that answer with at least one model; anything else (refused, silent,
    not an OpenAI-compatible answer) is simply not offered."""
    found = []
    for server in servers:
        models = _models(server, timeout)
        if models:
            found.append(FoundServer(server, models))
    return found


def _models(server: LocalServer, timeout: float) -> tuple[str, ...]:
    import http.client  # with the email modules it brings: ~10 ms, kept off the first frame

    connection = http.client.HTTPConnection(LOOPBACK, server.port, timeout=timeout)
    try:
        connection.request("GET", "/v1/models", headers={"Accept": "application/json"})
        response = connection.getresponse()
        if response.status != 200:
            return ()
        data = json.loads(response.read(1_000_000))
        return tuple(str(entry["id"]) for entry in data["data"] if isinstance(entry, dict) and entry.get("id"))
    except (OSError, http.client.HTTPException, ValueError, KeyError, TypeError):  # not a server we can use
        return ()
    finally:
        connection.close()
