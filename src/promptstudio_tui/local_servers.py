"""OpenAI-compatible servers on this machine: Ollama, LM Studio and vLLM on their usual ports.

Asked only on 127.0.0.1 (never a name to resolve, never another host), with one short
GET /v1/models each, so a new user who runs one of them can start without a key.
PROMPTSTUDIO_LOCAL_SERVERS names other ports to ask ("Ollama=11434,Mine=8001"), or "off"
for none (a shared box, a suite of tests that must not depend on what this machine runs).
"""

from __future__ import annotations

import json
import os
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

ENV_VAR = "PROMPTSTUDIO_LOCAL_SERVERS"
NAME_CHARS = 40  # a name is shown in the welcome's sentence and its list


def from_environment() -> tuple[LocalServer, ...]:
    """The servers to ask: PROMPTSTUDIO_LOCAL_SERVERS when set, else the usual three.

    ValueError, one sentence, for a value that is neither "off" nor NAME=PORT pairs.
    """
    value = os.environ.get(ENV_VAR)
    return USUAL if value is None else parse_servers(value)


def parse_servers(value: str) -> tuple[LocalServer, ...]:
    """ "Ollama=11434, Mine=8001" -> those two; "off" (or nothing) -> none."""
    if value.strip().lower() in ("", "off"):
        return ()
    servers = []
    for entry in filter(str.strip, value.split(",")):  # a trailing comma is no entry
        name, equals, port = (part.strip() for part in entry.rpartition("="))
        if not equals:
            problem = f"{_shown(entry.strip())} has no =PORT"
        elif not (port.isascii() and port.isdigit() and 1 <= int(port) <= 65535):
            problem = f"the port {_shown(port)} is not a number from 1 to 65535"
        elif not (name.isprintable() and 1 <= len(name) <= NAME_CHARS):
            problem = f"the name {_shown(name)} is not 1 to {NAME_CHARS} printable characters"
        else:
            servers.append(LocalServer(name, int(port)))
            continue
        raise ValueError(
            f'{ENV_VAR} should be "off" or NAME=PORT pairs such as "Ollama=11434,vLLM=8001" '
            f"(ports on {LOOPBACK}), but {problem}: no local server is looked for."
        )
    return tuple(servers)


def _shown(text: str) -> str:
    """Quoted with any control character escaped (repr), and short."""
    return repr(text if len(text) <= NAME_CHARS else text[: NAME_CHARS - 1] + "…")


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
