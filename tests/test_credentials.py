from __future__ import annotations

import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
from keyring.backends import chainer, fail, null

from keyring_backend import FILE_ENV, FileKeyring
from promptstudio_tui import credentials
from promptstudio_tui.credentials import ApiKey

KEY = "sk-proj-Zx9Qw7Er5Ty3Ui1Op0As2Df4Gh6Jk8a1b2"
TESTS_DIR = Path(__file__).parent


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(autouse=True)
def isolated(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv(credentials.ENV_VAR, raising=False)
    original = keyring.get_keyring()
    yield
    keyring.set_keyring(original)


@pytest.fixture
def config_dir(tmp_path: Path) -> Path:
    return tmp_path / "config"


@pytest.fixture
def file_keyring(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FileKeyring:
    monkeypatch.setenv(FILE_ENV, str(tmp_path / "keyring.json"))
    backend = FileKeyring()
    keyring.set_keyring(backend)
    return backend


@pytest.fixture
def no_keyring() -> None:
    keyring.set_keyring(fail.Keyring())


def test_env_wins(monkeypatch: pytest.MonkeyPatch, config_dir: Path, file_keyring: FileKeyring) -> None:
    credentials.store("sk-from-keyring-0000000000", config_dir)
    monkeypatch.setenv(credentials.ENV_VAR, f"  {KEY}\n")
    assert credentials.resolve(config_dir) == ApiKey(KEY, "environment variable OPENAI_API_KEY")


def test_empty_env_is_ignored(monkeypatch: pytest.MonkeyPatch, config_dir: Path, no_keyring: None) -> None:
    monkeypatch.setenv(credentials.ENV_VAR, "   ")
    assert credentials.resolve(config_dir) == ApiKey(None, "none")


def test_keyring_path(config_dir: Path, file_keyring: FileKeyring) -> None:
    assert credentials.keyring_available()
    assert credentials.store(f" {KEY} ", config_dir) == "OS keyring (service 'promptstudio')"
    assert file_keyring.get_password("promptstudio", "api_key") == KEY
    assert not (config_dir / "api_key").exists()
    assert credentials.resolve(config_dir) == ApiKey(KEY, "OS keyring (service 'promptstudio')")


def test_keyring_shared_with_subprocess(tmp_path: Path, config_dir: Path, file_keyring: FileKeyring) -> None:
    credentials.store(KEY, config_dir)
    env = {
        **os.environ,
        "PYTHON_KEYRING_BACKEND": "keyring_backend.FileKeyring",
        "PYTHONPATH": os.pathsep.join([str(TESTS_DIR), os.environ.get("PYTHONPATH", "")]),
    }
    code = (
        "import sys; from pathlib import Path; from promptstudio_tui import credentials as c; "
        "k = c.resolve(Path(sys.argv[1])); print(k.source, k.value == sys.argv[2])"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(config_dir), KEY], env=env, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "OS keyring (service 'promptstudio') True"


@pytest.mark.parametrize("backend", [fail.Keyring, null.Keyring, chainer.ChainerBackend])
def test_unusable_backends_are_detected(backend: type, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(chainer.ChainerBackend, "backends", [])
    keyring.set_keyring(backend())
    assert not credentials.keyring_available()


def test_no_backend_uses_private_file(config_dir: Path, no_keyring: None) -> None:
    assert not credentials.keyring_available()
    path = config_dir / "api_key"
    assert credentials.store(KEY, config_dir) == f"key file {path}"
    assert path.read_text().strip() == KEY
    assert _mode(path) == 0o600
    assert _mode(config_dir) == 0o700
    assert list(config_dir.iterdir()) == [path]  # no temp file left behind
    assert credentials.resolve(config_dir) == ApiKey(KEY, f"key file {path}")


def test_store_replaces_file_and_tightens_dir(config_dir: Path, no_keyring: None) -> None:
    config_dir.mkdir(mode=0o755)
    config_dir.chmod(0o755)
    credentials.store("sk-old-000000000000000000", config_dir)
    credentials.store(KEY, config_dir)
    assert _mode(config_dir) == 0o700
    assert credentials.resolve(config_dir).value == KEY


def test_looser_file_is_tightened_not_refused(config_dir: Path, no_keyring: None) -> None:
    config_dir.mkdir()
    path = config_dir / "api_key"
    path.write_text(KEY + "\n")
    path.chmod(0o644)
    assert credentials.resolve(config_dir) == ApiKey(KEY, f"key file {path}")
    assert _mode(path) == 0o600


def test_file_not_owned_by_user_is_ignored(config_dir: Path, no_keyring: None, monkeypatch: pytest.MonkeyPatch) -> None:
    config_dir.mkdir()
    (config_dir / "api_key").write_text(KEY)
    monkeypatch.setattr(os, "getuid", lambda: os.stat(config_dir).st_uid + 1)
    assert credentials.resolve(config_dir) == ApiKey(None, "none")


def test_file_still_read_when_keyring_is_empty(config_dir: Path, file_keyring: FileKeyring) -> None:
    config_dir.mkdir()
    (config_dir / "api_key").write_text(KEY)
    assert credentials.resolve(config_dir).source == f"key file {config_dir / 'api_key'}"


def test_nothing_configured(config_dir: Path, file_keyring: FileKeyring) -> None:
    assert credentials.resolve(config_dir) == ApiKey(None, "none")


@pytest.mark.parametrize("bad", ["", "   \n", "sk-abc def", "sk-abc\x00def"])
def test_store_refuses_bad_keys(bad: str, config_dir: Path, no_keyring: None) -> None:
    with pytest.raises(ValueError) as excinfo:
        credentials.store(bad, config_dir)
    assert not (config_dir / "api_key").exists()
    if bad.strip():
        assert bad.strip() not in str(excinfo.value)


def test_clear_removes_from_keyring_and_file(config_dir: Path, file_keyring: FileKeyring) -> None:
    credentials.store(KEY, config_dir)
    config_dir.mkdir()
    (config_dir / "api_key").write_text(KEY)
    assert credentials.clear(config_dir) == [
        "OS keyring (service 'promptstudio')",
        f"key file {config_dir / 'api_key'}",
    ]
    assert file_keyring.get_password("promptstudio", "api_key") is None
    assert credentials.resolve(config_dir) == ApiKey(None, "none")
    assert credentials.clear(config_dir) == []


def test_clear_without_keyring(config_dir: Path, no_keyring: None) -> None:
    credentials.store(KEY, config_dir)
    assert credentials.clear(config_dir) == [f"key file {config_dir / 'api_key'}"]
    assert not (config_dir / "api_key").exists()


def test_mask_never_reveals_the_key() -> None:
    assert credentials.mask(KEY) == "sk-…a1b2"
    assert credentials.mask(None) == "not set"
    assert credentials.mask("") == "not set"
    for key in ["sk-short", "abcdefghijklmno", KEY, "x"]:
        assert key not in credentials.mask(key)


def test_repr_and_str_hide_the_key() -> None:
    api_key = ApiKey(KEY, "environment variable OPENAI_API_KEY")
    for text in (repr(api_key), str(api_key), f"{api_key}"):
        assert KEY not in text
        assert "environment variable OPENAI_API_KEY" in text


def test_import_does_not_load_keyring() -> None:
    code = (
        "import sys, promptstudio_tui.credentials, promptstudio_tui.pricing, promptstudio_tui.tokens; "
        "sys.exit(bool({'keyring', 'tiktoken'} & set(sys.modules)))"
    )
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0
