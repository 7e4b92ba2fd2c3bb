"""SIGTERM and SIGHUP stop Prompt Studio the way ctrl+c does: cancel, settle what is in flight, exit.

Without this they end the process at once: a reply in flight stays `streaming` with its
tokens never counted, and the TUI leaves the terminal in the alternate screen with mouse
tracking on. A closed terminal or a dropped SSH session sends SIGHUP; `kill`, `timeout`
and service managers send SIGTERM.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Callable

STOP_SIGNALS = (signal.SIGTERM, signal.SIGHUP)


def on_stop_signals(stop: Callable[[int], None]) -> Callable[[], None]:
    """Call `stop(signum)` from the running loop on the first SIGTERM or SIGHUP; returns the undo.

    A second signal of the same kind ends the process at once, should settling hang. A
    signal the process was started ignoring (`nohup`) stays ignored: the user asked for that.
    """
    loop = asyncio.get_running_loop()
    handled = [s for s in STOP_SIGNALS if signal.getsignal(s) is signal.SIG_DFL]

    def first(signum: int) -> None:
        loop.remove_signal_handler(signum)  # back to the default: the next one ends the process
        stop(signum)

    for signum in handled:
        loop.add_signal_handler(signum, first, signum)

    def undo() -> None:
        for signum in handled:
            loop.remove_signal_handler(signum)

    return undo
