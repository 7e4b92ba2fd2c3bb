"""Background loading in the user's pauses.

Loading code in a thread holds the GIL about half the time, so whatever the user
waits for meanwhile takes twice as long (opening a conversation right after start:
~0.3 s became ~0.8 s). The Markdown parser (~15 ms) loads just after the first frame
(small, and a conversation opened at once needs it); Pygments' lexers (~20-100 ms
each on first use) in the user's pauses after it; the tokenizer and the SDK (~1.3 s, ~90 MB of
memory) once a message is being typed, in time for its send — not in an idle pause:
a session that only browses never pays their memory. What sends without typing first
(retry, generate, a pasted-and-sent message within a second) loads them then.

The clock and the sleep are injected: tests drive a pause without waiting for one.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from promptstudio_tui import heap

# Code fences in replies are highlighted by Pygments, which compiles a language's
# lexer on first use: done in pauses instead of in the first conversation opened.
WARM_LANGUAGES = ("python", "bash", "sql", "json", "javascript", "typescript", "yaml", "text")
WARM_QUIET = 0.6  # seconds without input before the next lexer may load ...
WARM_WAIT = 2.0  # ... or after this long anyway
STEP = 0.05  # seconds between looks at the clock while waiting

# (quiet, at_most, cancelled) -> False if cancelled while waiting
Pause = Callable[[float, float, Callable[[], bool]], bool]


@dataclass
class InputPauses:
    """Waits (in a worker thread) for `quiet` seconds without input, or `at_most`."""

    last_input: Callable[[], float]  # monotonic time of the user's last key, paste or click
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep

    def __call__(self, quiet: float, at_most: float, cancelled: Callable[[], bool]) -> bool:
        due = self.clock()
        while self.clock() - self.last_input() < quiet and self.clock() - due < at_most:
            if cancelled():
                return False
            self.sleep(STEP)
        return True


class WarmUp:
    """What loads when: lexers in one worker thread, the SDK in another on typing."""

    def __init__(self, pause: Pause, highlight: Callable[[str], None], load_sdk: Callable[[], None]) -> None:
        self._pause = pause
        self._highlight = highlight
        self._load_sdk = load_sdk
        self._sdk_lock = threading.Lock()  # each key typed before it loaded asks again
        self.sdk_loaded = False

    def run(self, cancelled: Callable[[], bool]) -> None:
        load_markdown()  # at once: a conversation opened right after the start needs it
        for language in WARM_LANGUAGES:
            if not self._pause(WARM_QUIET, WARM_WAIT, cancelled):
                return
            self._highlight(language)

    def sdk(self) -> None:
        """Load the tokenizer and the SDK, once (a message is being typed)."""
        with self._sdk_lock:
            if self.sdk_loaded:
                return
            self.sdk_loaded = True
        self._load_sdk()
        heap.frozen()


def load_markdown() -> None:
    """The Markdown parser replies are drawn with (~15 ms): kept off the first frame, loaded
    just after it."""
    import rich.markdown  # noqa: F401


def highlight(language: str) -> None:
    from rich.syntax import Syntax

    Syntax("x", language).highlight("x")
