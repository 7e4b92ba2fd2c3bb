"""The store of a studio under test, opened beside it on the same SQLite file.

Tests seed rows and read them back through the store's own repositories over a
second connection, as another process would, instead of reaching into the
service's private parts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from promptstudio_tui.store import Store, open_store
from promptstudio_tui.store.conversations import Conversations
from promptstudio_tui.store.messages import Messages
from promptstudio_tui.store.preferences import Preferences
from promptstudio_tui.store.prompts import Prompts
from promptstudio_tui.store.usage import Usage
from promptstudio_tui.studio import Studio


@dataclass
class Repos:
    store: Store
    conversations: Conversations = field(init=False)
    messages: Messages = field(init=False)
    prompts: Prompts = field(init=False)
    preferences: Preferences = field(init=False)
    usage: Usage = field(init=False)

    def __post_init__(self) -> None:
        self.conversations = Conversations(self.store)
        self.messages = Messages(self.store)
        self.prompts = Prompts(self.store)
        self.preferences = Preferences(self.store)
        self.usage = Usage(self.store)


_opened: dict[Path, Repos] = {}


def repos(studio: Studio) -> Repos:
    """The repositories over `studio`'s database file (one connection per file per test)."""
    path = studio.paths.database
    if path not in _opened:
        _opened[path] = Repos(open_store(path))
    return _opened[path]


def close_all() -> None:
    while _opened:
        _opened.popitem()[1].store.close()
