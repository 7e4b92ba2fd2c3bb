"""The first start: nothing configured yet, so say so, and offer a local server that answers.

A part of the Studio (mixed into it). "Nothing configured" is no API key anywhere and the
default endpoint: only then are the usual loopback ports asked (local_servers.py) — once a
key or an endpoint is set, no connection is made beyond the configured endpoint.
"""

from __future__ import annotations

from promptstudio_tui.config import DEFAULT_BASE_URL
from promptstudio_tui.local_servers import USUAL, FoundServer, LocalServer, probe
from promptstudio_tui.studio_base import StudioBase


class FirstRun(StudioBase):
    # Where to look; a public seam so a test can point it at its own loopback server.
    local_servers: tuple[LocalServer, ...] = USUAL

    def needs_setup(self) -> bool:
        """No key and no endpoint of the user's own: the studio cannot answer yet (reads the keyring)."""
        return self.settings.base_url == DEFAULT_BASE_URL and self.api_key().value is None

    def local_servers_to_offer(self) -> list[FoundServer] | None:
        """None when something is configured (and nothing is probed); else the servers that answer."""
        if not self.needs_setup():
            return None
        return probe(self.local_servers)
