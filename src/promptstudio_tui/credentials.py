"""Where the API key comes from: environment, OS keyring, or a private key file.

The key file exists for machines without a usable keyring (most SSH boxes).
keyring is imported lazily: loading its backends is slow and this module sits
on the start-up path.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

ENV_VAR = "OPENAI_API_KEY"
SERVICE = "promptstudio"
USERNAME = "api_key"
KEY_FILE = "api_key"

ENV_SOURCE = f"environment variable {ENV_VAR}"
KEYRING_SOURCE = f"OS keyring (service '{SERVICE}')"
NO_SOURCE = "none"

_FILE_MODE = 0o600
_DIR_MODE = 0o700


@dataclass(frozen=True)
class ApiKey:
    value: str | None = field(repr=False)  # repr/str must never show the secret
    source: str

    @property
    def masked(self) -> str:
        return mask(self.value)

    @property
    def from_environment(self) -> bool:
        """Set outside the app: Settings cannot change or clear it."""
        return self.source == ENV_SOURCE


def keyring_available() -> bool:
    """False when keyring could only fail or silently drop the key (fail/null/empty chainer)."""
    import keyring
    from keyring.backends import chainer, fail, null

    backend = keyring.get_keyring()
    if isinstance(backend, chainer.ChainerBackend):
        return bool(backend.backends)
    return not isinstance(backend, (fail.Keyring, null.Keyring))


def resolve(config_dir: Path) -> ApiKey:
    value = os.environ.get(ENV_VAR, "").strip()
    if value:
        return ApiKey(value, ENV_SOURCE)
    if keyring_available():
        import keyring
        from keyring.errors import KeyringError

        try:
            value = (keyring.get_password(SERVICE, USERNAME) or "").strip()
        except KeyringError:  # locked or unreachable: fall through rather than crash start-up
            value = ""
        if value:
            return ApiKey(value, KEYRING_SOURCE)
    # Read even when a keyring exists: a key saved on this box before a keyring
    # appeared must keep working (and keeps being reported as a file).
    path = config_dir / KEY_FILE
    from_file = _read_key_file(path)
    if from_file:
        return ApiKey(from_file, _file_source(path))
    return ApiKey(None, NO_SOURCE)


def store(key: str, config_dir: Path) -> str:
    """Save the key in the keyring, or the 0600 key file without one; return where."""
    key = key.strip()
    if not key:
        raise ValueError("the API key is empty")
    # Never echo the key in the message: it may end up on screen or in a log.
    if any(ch.isspace() or not ch.isprintable() for ch in key):
        raise ValueError("the API key must be a single word without spaces or control characters")
    if keyring_available():
        import keyring
        from keyring.errors import NoKeyringError

        try:
            keyring.set_password(SERVICE, USERNAME, key)
            return KEYRING_SOURCE
        except NoKeyringError:
            pass  # other KeyringErrors (locked, denied) propagate: no silent plaintext downgrade
    path = config_dir / KEY_FILE
    _write_private(path, key + "\n")
    return _file_source(path)


def clear(config_dir: Path) -> list[str]:
    """Remove the key from the keyring and the key file; return the places it was removed from."""
    removed: list[str] = []
    if keyring_available():
        import keyring
        from keyring.errors import NoKeyringError, PasswordDeleteError

        try:
            keyring.delete_password(SERVICE, USERNAME)
            removed.append(KEYRING_SOURCE)
        except (PasswordDeleteError, NoKeyringError):
            pass  # nothing stored there
    path = config_dir / KEY_FILE
    try:
        path.unlink()
        removed.append(_file_source(path))
    except FileNotFoundError:
        pass
    return removed


def mask(key: str | None) -> str:
    """A recognisable hint like "sk-…a1b2"; never the whole key."""
    key = (key or "").strip()
    if not key:
        return "not set"
    if len(key) < 16:  # head + tail would give away most of a short secret
        return "…"
    return f"{key[:3]}…{key[-4:]}"


def _file_source(path: Path) -> str:
    return f"key file {path}"


def _read_key_file(path: Path) -> str | None:
    try:
        with open(path, "rb") as handle:
            st = os.fstat(handle.fileno())
            # Only trust a regular file we own: anyone else could plant a key there.
            if not stat.S_ISREG(st.st_mode) or st.st_uid != os.getuid():
                return None
            if stat.S_IMODE(st.st_mode) & 0o077:
                os.fchmod(handle.fileno(), _FILE_MODE)
            return handle.read().decode("utf-8", errors="replace").strip() or None
    except FileNotFoundError:
        return None


def _write_private(path: Path, text: str) -> None:
    """Atomically replace `path`, 0600 from birth and never through a link (safe_files)."""
    from promptstudio_tui.paths import make_private_dirs
    from promptstudio_tui.safe_files import write_file

    directory = path.parent
    make_private_dirs(directory)
    if stat.S_IMODE(directory.stat().st_mode) & 0o077:
        directory.chmod(_DIR_MODE)
    write_file(path, text, overwrite=True, mode=_FILE_MODE)
