"""The garbage collector in a process that is one studio (`promptstudio` with no command).

The start builds long-lived objects only, so the collector is off until the first frame:
its passes over them were ~8 % of the start. After that, what was loaded (modules, the
app and its screen; later Pygments' lexers and the SDK, ~150,000 objects) lives as long
as the process: each load is moved out of the collector's sight with `gc.freeze()`, so a
full collection walks only what came after. Before, each full collection walked all of
it: 50-160 ms, about twice a second while a reply streamed (the longest waits for a key
and a slice of the final frame). What is frozen is never collected: garbage of the moment
is kept (~1,000 objects at the first frame).

Other processes (the CLI's commands, the test suite, which runs many apps in one process)
keep the collector as Python sets it: `frozen` is a no-op there.
"""

from __future__ import annotations

import gc

_one_studio = False


def start_one_studio() -> None:
    """This process runs one studio for its life: off until the first frame, then frozen loads."""
    global _one_studio
    _one_studio = True
    gc.disable()


def first_frame() -> None:
    _freeze()
    gc.enable()


def frozen() -> None:
    """What was loaded so far stays for the process's life: out of the collector's sight."""
    _freeze()


def _freeze() -> None:
    if _one_studio:
        gc.freeze()
