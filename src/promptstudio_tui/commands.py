"""The command palette (ctrl+p): every studio action by name, with its current key."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.markup import escape

from promptstudio_tui.actions import ACTIONS, key_hint


@dataclass(frozen=True)
class Command:
    title: str
    action: str  # run on the screen the palette was opened from ("screen." / "app." namespaces)
    help: str
    binding_id: str | None = None  # to show the key, after the user's keymap


COMMANDS = tuple(
    Command(action.title, action.palette_action, action.help, action.id if action.keys else None)
    for action in ACTIONS
    if action.title is not None
)


def keys_for(binding_id: str, keymap: Mapping[str, str], owners: Iterable[object] = ()) -> str:
    """Kept for the main screen's `key_hint` until it calls `actions.key_hint` (owners are not needed)."""
    return key_hint(binding_id, keymap)


class StudioCommands(Provider):
    def _available(self) -> list[tuple[Command, str]]:
        """Commands the current screen can run, each with its help line."""
        screen = self.screen
        hint = getattr(screen, "key_hint", None)  # the main screen names keys after the user's keymap
        found = []
        for command in COMMANDS:
            namespace, _, call = command.action.partition(".")
            target = screen if namespace == "screen" else self.app
            if not hasattr(target, f"action_{call.split('(')[0]}"):
                continue
            keys = hint(command.binding_id) if hint and command.binding_id else ""
            # The palette renders help as markup; keys like "ctrl+[" must stay text.
            found.append((command, escape(f"{command.help}  ({keys})" if keys else command.help)))
        return found

    async def discover(self) -> Hits:
        for command, help_text in self._available():
            yield DiscoveryHit(command.title, partial(self.screen.run_action, command.action), help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for command, help_text in self._available():
            score = matcher.match(command.title)
            if score > 0:
                yield Hit(
                    score,
                    matcher.highlight(command.title),
                    partial(self.screen.run_action, command.action),
                    help=help_text,
                )
