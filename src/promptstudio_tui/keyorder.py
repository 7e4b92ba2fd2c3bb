"""Keys take effect in the order they were typed, even when they arrive in one burst.

Textual queues a key to the focused widget as soon as it arrives, but a binding above
that widget (Tab, F2, Esc closing a dialog, Enter submitting it) runs only once the key
has bubbled up to the screen or the app. Keys that arrived in the same burst — typed
ahead over SSH, pasted, sent by tmux — are by then already queued to the old focus and
land in the field being left, or overtake a priority binding. `OrderedKeys` lets a key
(or a paste) go only when the one before it has finished its trip up the DOM. It also
notes when the user last gave any input (`last_input`): background warm-up waits for a pause,
and teaches the input parser the ESC CR that tmux and SSH send for alt+enter.
"""

from __future__ import annotations

import time
from collections import deque
from functools import partial

from textual import events
from textual.app import App
from textual.dom import DOMNode

from promptstudio_tui import compat

# Keys held back behind a key whose handler is still waiting go after this many seconds.
STALE_AFTER = 1.0


class OrderedKeys(App):
    """An App whose keyboard input is delivered one key trip at a time."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        compat.teach_legacy_alt_enter()
        self.last_input = time.monotonic()  # of the last key, paste or mouse event
        self._in_flight: events.Event | None = None
        self._held: deque[events.Event] = deque()
        self._watched: events.Event | None = None  # the in-flight key a stale timer is set for

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, (events.InputEvent, events.Paste)) and not event.is_forwarded:
            self.last_input = time.monotonic()
        if isinstance(event, (events.Key, events.Paste)) and not event.is_forwarded:
            self._held.append(event)
            if self._in_flight is not None and self._watched is not self._in_flight:
                self._watched = self._in_flight  # one timer per key that holds others back
                self.set_timer(STALE_AFTER, partial(self._release, self._in_flight))
            await self._drain()
        else:
            await super().on_event(event)

    async def _drain(self) -> None:
        while self._held and self._in_flight is None:
            event = self._held.popleft()
            target = self.focused or self.screen  # where Textual forwards it
            self._in_flight = event
            await super().on_event(event)
            if event.is_forwarded:
                self._follow(event, target)
            else:  # taken by a priority binding, or dropped: its effect has happened
                self._in_flight = None

    def _follow(self, event: events.Event, node: DOMNode) -> None:
        """Run after `event` in `node`'s queue; then it has been handled there, or passed up."""
        if not node.call_later(self._hop_done, event, node):  # the node is closing
            self._release(event)

    def _hop_done(self, event: events.Event, node: DOMNode) -> None:
        parent = node.parent
        if parent is not None and compat.bubbled_to(event, parent):
            self._follow(event, parent)
        else:
            self._release(event)

    def _release(self, event: events.Event) -> None:
        if self._in_flight is event:
            self._in_flight = None
            self.call_later(self._drain)
