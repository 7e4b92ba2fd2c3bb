"""Edit text in the user's own editor ($VISUAL, else $EDITOR), as git does for commit messages."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import tempfile
from pathlib import Path

from promptstudio_tui.paths import make_private_dirs


class EditorError(Exception):
    """The editor could not be used, or did not finish well; nothing was saved."""


def editor_command() -> list[str]:
    """The editor's command line, split as a shell would ("code --wait" is two words)."""
    for name in ("VISUAL", "EDITOR"):
        value = os.environ.get(name, "").strip()
        if value:
            try:
                argv = shlex.split(value)
            except ValueError:
                raise EditorError(f"${name} ({value!r}) cannot be read as a command line.") from None
            if shutil.which(argv[0]) is None:
                raise EditorError(f"The editor {argv[0]!r} (from ${name}) cannot be found; nothing was saved.")
            return argv
    raise EditorError("No editor is set: set $VISUAL or $EDITOR (e.g. EDITOR=nano) and try again.")


def edit_text(text: str, folder: Path) -> str:
    """`text` after the user edited it. The file lives in `folder` (the app's private cache:
    on a shared box no one else can read the prompt, nor the editor's swap files beside it)
    and is removed afterwards."""
    argv = editor_command()
    make_private_dirs(folder)
    handle, name = tempfile.mkstemp(prefix="prompt-", suffix=".md", dir=folder)  # 0600
    path = Path(name)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(text)
        try:
            status = subprocess.run([*argv, str(path)], check=False).returncode
        except OSError as exc:
            raise EditorError(
                f"The editor {argv[0]!r} could not be started ({exc.strerror}); nothing was saved."
            ) from None
        if status != 0:
            raise EditorError(f"The editor exited with status {status}; no version was made.")
        try:
            return path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            raise EditorError("The edited file is not UTF-8 text; no version was made.") from None
    finally:
        path.unlink(missing_ok=True)
