#!/usr/bin/env python3
"""Set up and run Prompt Studio with nothing but Python: `python3 dev.py run|test|lint|bench`.

Creates `.venv` on first use and reinstalls when pyproject.toml changes.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / "python"
STAMP = VENV / ".installed"


def ensure_venv() -> None:
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if STAMP.exists() and STAMP.read_text() == wanted and PYTHON.exists():
        return
    if not PYTHON.exists():
        print("Creating .venv ...", flush=True)
        venv.create(VENV, with_pip=True)
    print("Installing Prompt Studio and its test tools into .venv ...", flush=True)
    pip = [str(PYTHON), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    subprocess.run([*pip, "--upgrade", "pip"], check=True)
    subprocess.run([*pip, "-e", f"{ROOT}[test,lint]"], check=True)
    STAMP.write_text(wanted)


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in ("run", "test", "lint", "bench"):
        print(__doc__.strip(), file=sys.stderr)
        return 2
    ensure_venv()
    command, rest = argv[0], argv[1:]
    if command == "run":
        args = [str(BIN / "promptstudio"), *rest]
    elif command == "test":
        args = [str(PYTHON), "-m", "pytest", "-n", "2", *rest]
    elif command == "lint":
        return lint(rest)
    else:
        args = [str(PYTHON), str(ROOT / "bench" / "run.py"), *rest]
    return subprocess.call(args, cwd=ROOT)


def lint(rest: list[str]) -> int:
    """Every check, each reported even when an earlier one fails; `--fix` lets ruff repair what it can."""
    fix = "--fix" in rest
    checks = [
        [str(BIN / "ruff"), "check", *(["--fix"] if fix else []), "src", "tests", "bench", "dev.py"],
        [str(BIN / "ruff"), "format", *([] if fix else ["--check"]), "src", "tests", "bench", "dev.py"],
        [str(BIN / "mypy")],
        [str(BIN / "lint-imports")],  # the layers of docs/DESIGN, [tool.importlinter] in pyproject.toml
    ]
    failed = [check[0].rsplit("/", 1)[-1] for check in checks if subprocess.call(check, cwd=ROOT) != 0]
    if failed:
        print(f"lint failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
