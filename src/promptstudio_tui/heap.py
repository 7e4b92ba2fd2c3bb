"""The garbage collector in a process that is one studio (`promptstudio` with no command).

The start builds long-lived objects only, so the collector is off until the first frame:
its passes over them were ~8 % of the start. Code loaded for the process's life (the
modules imported before the app starts, ~75,000 objects; the SDK and the tokenizer once a
message is typed, ~77,000) is moved out of the collector's sight with `gc.freeze()`, so a
full collection walks only what came after. Before, each one walked all of it: 50-160 ms,
about twice a second while a reply streamed (the longest waits for a key and a slice of
the final frame). What is frozen is never collected: frozen at the start, that is code
only; frozen with the SDK, it is also whatever the studio showed then (one conversation's
views, kept when another is opened: a few MB at most, once).

Other processes (the CLI's commands, the test suite, which runs many apps in one process)
keep the collector as Python sets it: `frozen` is a no-op there.
"""

from __future__ import annotations

import gc

_one_studio = False


def start_one_studio() -> None:
    """This process runs one studio for its life: the collector off until the first frame."""
    global _one_studio
    _one_studio = True
    gc.disable()


def first_frame() -> None:
    gc.enable()


def frozen() -> None:
    """What was loaded so far stays for the process's life: out of the collector's sight."""
    if _one_studio:
        gc.freeze()
