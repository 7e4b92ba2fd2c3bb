"""Where Prompt Studio keeps its files, and keeping them private to their owner.

On a shared box another user must not be able to read these files, nor swap a folder
for one of theirs: every missing level of a folder is created 0700 whatever the umask
(`~/.config`, `~/.local/share` too — created world-writable, they would let anyone plant
autostart files or move the data folder away), our folders must belong to the user, and
a folder above them that anyone may change is tightened (the user's) or refused.
A data folder that has vanished since the last start is refused too, rather than
silently replaced by an empty one (see `_check_not_vanished`).
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

APP_NAME = "promptstudio"
HOME_ENV = "PROMPTSTUDIO_HOME"
NEW_DATA_ENV = "PROMPTSTUDIO_NEW_DATA"
DATA_MARKER = "last-data-folder"  # in the config folder: the data folder the last start used
DIR_MODE = 0o700
FILE_MODE = 0o600


class FolderError(ValueError):
    """One sentence: a folder Prompt Studio keeps its files in cannot be trusted, or is gone."""


@dataclass(frozen=True)
class Paths:
    data_dir: Path
    config_dir: Path
    cache_dir: Path

    @property
    def database(self) -> Path:
        return self.data_dir / "promptstudio.db"

    @property
    def config_file(self) -> Path:
        return self.config_dir / "config.toml"

    @classmethod
    def discover(cls) -> Paths:
        """`PROMPTSTUDIO_HOME` puts everything under one folder (tests, profiles)."""
        home = os.environ.get(HOME_ENV)
        if home:
            root = Path(home).expanduser()
            return cls(root, root, root / "cache")
        import platformdirs

        return cls(
            Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)),
            Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)),
            Path(platformdirs.user_cache_dir(APP_NAME, appauthor=False)),
        )

    def ensure_private(self) -> list[str]:
        """Check, create (0700) and tighten the folders; FolderError when one cannot be trusted.

        Returns a line for each path that had to be tightened, so the user can
        be told that others on a shared box could have read or changed it.
        """
        self._check_not_vanished()
        tightened: list[str] = []
        for directory in (self.data_dir, self.config_dir, self.cache_dir):
            tightened += _check_folders_above(directory)
            make_private_dirs(directory)
            _check_owner(directory)
            tightened += _tighten(directory, DIR_MODE)
        for name in ("promptstudio.db", "promptstudio.db-wal", "promptstudio.db-shm"):
            tightened += _tighten(self.data_dir / name, FILE_MODE)
        for name in ("config.toml", "api_key"):
            tightened += _tighten(self.config_dir / name, FILE_MODE)
        self._remember_data_dir()
        return tightened

    def _marker(self) -> Path | None:
        """Where the data folder is remembered; None when the config lives inside it
        (PROMPTSTUDIO_HOME): a vanished folder takes the memory with it."""
        data = self.data_dir.absolute()
        config = self.config_dir.absolute()
        return None if config == data or data in config.parents else config / DATA_MARKER

    def _check_not_vanished(self) -> None:
        """Refuse to start on a data folder that the last start used and that is gone now.

        Moved away by someone who could write to its parent, deleted, or on a disk that
        is not mounted: a new empty database there would hide the user's data (and be in
        the way when it comes back). Starting afresh is the user's call: PROMPTSTUDIO_NEW_DATA=1.
        """
        marker = self._marker()
        if marker is None or self.data_dir.exists() or os.environ.get(NEW_DATA_ENV):
            return
        try:
            remembered = marker.read_text(encoding="utf-8").strip()
        except (FileNotFoundError, UnicodeDecodeError):
            return
        if remembered == str(self.data_dir.absolute()):
            raise FolderError(
                f"The data folder {self.data_dir} is gone, though Prompt Studio used it last time"
                " (moved, deleted, or on a disk that is not mounted?); put it back, or run once"
                f" with {NEW_DATA_ENV}=1 to start with empty data."
            )

    def _remember_data_dir(self) -> None:
        marker = self._marker()
        if marker is None:
            return
        from promptstudio_tui.safe_files import write_file

        text = f"{self.data_dir.absolute()}\n"
        try:
            if marker.read_text(encoding="utf-8") == text:
                return
        except (FileNotFoundError, UnicodeDecodeError):
            pass
        write_file(marker, text, overwrite=True)


def make_private_dirs(directory: Path) -> None:
    """`mkdir -p` with every level it creates 0700: os.makedirs' mode is masked by the
    umask and is not given to the parents it makes."""
    missing = []
    for level in (directory, *directory.parents):
        if os.path.lexists(level):
            break
        missing.append(level)
    for level in reversed(missing):
        try:
            os.mkdir(level, DIR_MODE)
        except FileExistsError:  # made meanwhile by another Prompt Studio process
            continue
        os.chmod(level, DIR_MODE)


def _check_owner(directory: Path) -> None:
    owner = directory.stat().st_uid
    if owner != os.getuid():
        raise FolderError(
            f"{directory} belongs to another user (uid {owner}), who could read or replace Prompt Studio's"
            f" files in it; set {HOME_ENV} to a folder of your own."
        )


def _check_folders_above(directory: Path) -> list[str]:
    """The existing folders above `directory` (as written and with links resolved) must be
    the user's or root's, and not writable by everyone (unless sticky, as /tmp is)."""
    tightened: list[str] = []
    above = dict.fromkeys([*directory.absolute().parents, *directory.resolve().parents])
    for folder in above:
        try:
            st = folder.stat()
        except OSError:  # not there yet, or not ours to look into: creating will say so
            continue
        mode = stat.S_IMODE(st.st_mode)
        if st.st_uid not in (os.getuid(), 0):
            raise FolderError(
                f"{folder} belongs to another user (uid {st.st_uid}), who could replace Prompt Studio's"
                f" folders in it; set {HOME_ENV} to a folder of your own."
            )
        if mode & stat.S_IWOTH and not mode & stat.S_ISVTX:
            if st.st_uid != os.getuid():
                raise FolderError(
                    f"{folder} can be changed by any user ({mode:o}), who could replace Prompt Studio's"
                    f" folders in it; set {HOME_ENV} to a folder of your own."
                )
            folder.chmod(mode & ~0o022)  # write for the owner only; who may read it is the user's choice
            tightened.append(f"{folder} could be changed by other users ({mode:o}); now {mode & ~0o022:o}")
    return tightened


def _tighten(path: Path, mode: int) -> list[str]:
    try:
        current = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        return []
    if current & 0o077:
        path.chmod(mode)
        return [f"{path} was readable by other users ({current:o}); now {mode:o}"]
    return []


def create_private_file(path: Path) -> None:
    """Create `path` empty with mode 0600 if missing (before sqlite opens it)."""
    fd = os.open(path, os.O_CREAT | os.O_WRONLY, FILE_MODE)
    os.close(fd)
