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


# The interface: modules that may speak Textual or the terminal. Every other module is
# the service and must be named in the Textual-free contract, so a new module cannot
# slip past the check by being left out of it.
INTERFACE = {"__init__", "__main__", "app", "actions", "commands", "compat", "keyorder", "messages", "signals"}
INTERFACE_PACKAGES = {"cli", "screens", "widgets"}


def test_every_module_is_in_a_layer() -> None:
    import tomllib

    contracts = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]
    textual_free = next(c for c in contracts if "know nothing of Textual" in c["name"])["source_modules"]
    package = ROOT / "src" / "promptstudio_tui"
    unplaced = []
    for path in sorted(package.iterdir()):
        name = path.stem if path.suffix == ".py" else path.name
        if not (path.suffix == ".py" or (path / "__init__.py").exists()):
            continue
        if name in INTERFACE or name in INTERFACE_PACKAGES:
            continue
        if f"promptstudio_tui.{name}" not in textual_free:
            unplaced.append(name)
    assert not unplaced, f"add these service modules to the Textual-free contract in pyproject.toml: {unplaced}"
