"""Writing a file the user named, or one in a folder others may share, without being tricked.

Every file Prompt Studio writes goes through `write_file`: exports, `.prompt.yml` files,
config.toml, the key file. A temporary file is created beside the target exclusively
(`O_EXCL`: never an existing file or a planted link), without following links, 0600,
filled and synced, then renamed over the target, so a failure leaves the old file or
none, never half of one.

The target itself must be absent or a regular file. A link is refused even when
overwriting is asked for: in a shared folder another user may have planted it (writing
through it would overwrite whatever it points at, e.g. the user's `~/.bashrc`), and
replacing the link itself would surprise the user who made it. A device, folder, pipe
or socket is refused too: renaming over `/dev/null` as root would replace the device.
An existing regular file is replaced only with `overwrite=True`, after the interface
has asked (the TUI's dialog, the CLI's `--force`); it keeps its permission bits.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

PRIVATE = 0o600

_KINDS = (
    (stat.S_ISLNK, "a link"),
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISCHR, "a device"),
    (stat.S_ISBLK, "a device"),
    (stat.S_ISFIFO, "a named pipe"),
    (stat.S_ISSOCK, "a socket"),
)


class NotARegularFile(OSError):
    """The target is a link, a folder, a device, a pipe or a socket: never written."""


def shown(path: object) -> str:
    """A path for a message: bytes that are not UTF-8 written as \\xff, so any terminal prints it."""
    return os.fsencode(str(path)).decode("utf-8", "backslashreplace")


def existing_file(path: Path) -> bool:
    """True when `path` is a regular file, False when nothing is there (links not followed);
    NotARegularFile for anything else. Whether to replace it is for the interface to ask."""
    return _regular_mode(path) is not None


def write_file(path: Path, data: str | bytes, *, overwrite: bool = False, mode: int | None = None) -> None:
    """Write `data` (str as UTF-8) to `path` atomically; see the module docstring for what is refused.

    The file gets `mode`; by default a new file is private (0600) and a replaced one keeps its bits.

    OSError on failure (FileExistsError: a file is there and `overwrite` is False;
    NotARegularFile: see above), with nothing left behind and the target unchanged.
    """
    payload = data.encode("utf-8") if isinstance(data, str) else data
    present = _regular_mode(path)
    if present is not None and not overwrite:
        raise FileExistsError(errno.EEXIST, "it already exists", str(path))
    tmp = path.with_name(f".{path.name}.{os.urandom(4).hex()}.partial")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, PRIVATE)
    try:
        with open(fd, "wb") as handle:
            os.fchmod(handle.fileno(), mode if mode is not None else PRIVATE if present is None else present)
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        # rename does not follow links: whatever appeared at `path` since the check is
        # replaced, never written through (and in a sticky shared folder such as /tmp the
        # system refuses to replace another user's file).
        os.replace(tmp, path)
    except BaseException:  # a full disk, ctrl+c: no half-written file, the target untouched
        tmp.unlink(missing_ok=True)
        raise


def _regular_mode(path: Path) -> int | None:
    """The permission bits of the regular file at `path`, None when nothing is there."""
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return None
    if stat.S_ISREG(mode):
        return stat.S_IMODE(mode)
    kind = next((name for test, name in _KINDS if test(mode)), "not a regular file")
    raise NotARegularFile(errno.EINVAL, f"it is {kind}, not a regular file", str(path))
