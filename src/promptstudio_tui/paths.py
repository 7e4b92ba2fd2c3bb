"""Where Prompt Studio keeps its files, and keeping them private to their owner."""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

APP_NAME = "promptstudio"
HOME_ENV = "PROMPTSTUDIO_HOME"
DIR_MODE = 0o700
FILE_MODE = 0o600


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
        """Create the folders 0700 and tighten anything group/world-accessible.

        Returns a line for each path that had to be tightened, so the user can
        be told that others on a shared box could have read it.
        """
        tightened: list[str] = []
        for directory in (self.data_dir, self.config_dir, self.cache_dir):
            directory.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
            tightened += _tighten(directory, DIR_MODE)
        for name in ("promptstudio.db", "promptstudio.db-wal", "promptstudio.db-shm"):
            tightened += _tighten(self.data_dir / name, FILE_MODE)
        for name in ("config.toml", "api_key"):
            tightened += _tighten(self.config_dir / name, FILE_MODE)
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
