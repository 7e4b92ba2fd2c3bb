"""The layers of DESIGN.md are enforced by import-linter's contracts in pyproject.toml.

CI runs `lint-imports` on the tree (python3 dev.py lint); these tests prove the check
bites: a widget that reaches the store, or a service module that imports Textual,
fails it with a line naming the import.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint_imports(tree: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(tree / "src")}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"], cwd=tree, env=env, capture_output=True, text=True, timeout=120
    )


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A copy of the package and its contracts, to break on purpose."""
    shutil.copytree(ROOT / "src" / "promptstudio_tui", tmp_path / "src" / "promptstudio_tui")
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    return tmp_path


def test_the_tree_keeps_its_layers(tree: Path) -> None:
    result = lint_imports(tree)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("module", "line", "broken"),
    [
        ("widgets/leak.py", "from promptstudio_tui.store import open_store", "widgets.leak -> promptstudio_tui.store"),
        ("widgets/leak.py", "from promptstudio_tui.studio import Studio", "widgets.leak -> promptstudio_tui.studio"),
        ("screens/leak.py", "import sqlite3", "screens.leak -> sqlite3"),
        ("store/leak.py", "from textual.app import App", "store.leak -> textual"),
    ],
)
def test_an_import_across_the_layers_fails_the_check(tree: Path, module: str, line: str, broken: str) -> None:
    (tree / "src" / "promptstudio_tui" / module).write_text(f'"""Breaks a contract."""\n\n{line}\n')
    result = lint_imports(tree)
    assert result.returncode != 0, result.stdout
    assert broken in result.stdout, result.stdout
