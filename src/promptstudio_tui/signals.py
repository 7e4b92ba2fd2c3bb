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


def terminal_gone() -> bool:
    """True once the terminal (the UI draws on stderr) hung up — a closed window, a dropped SSH session."""
    import sys
    import termios

    if sys.__stderr__ is None:
        return True
    try:
        termios.tcgetattr(sys.__stderr__.fileno())
    except (termios.error, OSError, ValueError):
        return True
    return False


def leave_the_terminal(code: int) -> None:
    """After a hang-up: what is still written goes to devnull, and the process ends with `code`
    after a grace even if the UI's shutdown blocks — Textual's output thread dies on the first
    write that fails, and its bounded queue then blocks the next writer for ever. A reply not
    settled by then is marked interrupted by the next start (store/owner.py)."""
    import os
    import threading

    devnull = os.open(os.devnull, os.O_WRONLY)
    for fd in (1, 2):
        os.dup2(devnull, fd)
    threading.Thread(target=_end_after_grace, args=(code,), daemon=True, name="hang-up-exit").start()


HANG_UP_GRACE_SECONDS = 10.0  # settling takes well under a second


def _end_after_grace(code: int) -> None:
    import os
    import time

    time.sleep(HANG_UP_GRACE_SECONDS)
    os._exit(code)
