"""The first start: nothing configured yet, so say so, and offer a local server that answers.

A part of the Studio (mixed into it). "Nothing configured" is no API key anywhere and the
default endpoint: only then are the loopback ports asked (local_servers.py: the usual ones,
or those PROMPTSTUDIO_LOCAL_SERVERS names, or none when it says "off") — once a key or an
endpoint is set, no connection is made beyond the configured endpoint.
"""

from __future__ import annotations

from promptstudio_tui.config import DEFAULT_BASE_URL, Settings
from promptstudio_tui.local_servers import FoundServer, LocalServer, from_environment, probe
from promptstudio_tui.paths import Paths
from promptstudio_tui.store import Store
from promptstudio_tui.studio_base import StudioBase


class FirstRun(StudioBase):
    # Where to look, read from the environment when the studio opens. A bad value asks
    # nothing and is a notice (the TUI and the CLI show it), never a refusal to start.
    # Public, so a test can point it at its own loopback server.
    local_servers: tuple[LocalServer, ...]

    def __init__(self, paths: Paths, settings: Settings, store: Store) -> None:
        super().__init__(paths, settings, store)
        try:
            self.local_servers = from_environment()
        except ValueError as exc:
            self.local_servers = ()
            self.notices.append(str(exc))

    def needs_setup(self) -> bool:
        """No key and no endpoint of the user's own: the studio cannot answer yet (reads the keyring)."""
        return self.settings.base_url == DEFAULT_BASE_URL and self.api_key().value is None

    def local_servers_to_offer(self) -> list[FoundServer] | None:
        """None when something is configured (and nothing is probed); else the servers that answer."""
        if not self.needs_setup():
            return None
        return probe(self.local_servers)
