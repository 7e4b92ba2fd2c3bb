"""Conversations as files: the Studio's export of one conversation (a mixin, as prompt_files.py).

The text comes from conversation_export.py; files go where the user said, by default
into `export_dir` (config.toml; the home folder unless set), never silently into the
folder the studio happens to run in.
"""

from __future__ import annotations

from pathlib import Path

from promptstudio_tui import safe_files
from promptstudio_tui.events import StudioError
from promptstudio_tui.studio_base import StudioBase


class ConversationFiles(StudioBase):
    def export_dir(self) -> Path:
        """Where exports go unless a path says otherwise."""
        return Path(self.settings.export_dir).expanduser()

    def export_conversation(self, conversation_id: str, fmt: str) -> str:
        """The whole conversation, oldest message first, as Markdown or JSON."""
        from promptstudio_tui import conversation_export

        conversation = self._conversations.get(conversation_id)
        messages = self._messages.for_conversation(conversation_id)
        try:
            return conversation_export.conversation_text(conversation, messages, fmt)
        except ValueError as exc:
            raise StudioError(str(exc)) from None

    def write_conversation_export(self, conversation_id: str, fmt: str, path: Path, *, overwrite: bool = False) -> Path:
        """Write the export to `path` (the caller decides what a relative path is relative to);
        an existing file is replaced only with `overwrite`, a link or a non-file never."""
        text = self.export_conversation(conversation_id, fmt)
        target = path.expanduser()
        try:
            safe_files.write_file(target, text, overwrite=overwrite)
        except FileExistsError:
            raise StudioError(f"{target} already exists; nothing was written (--force overwrites it).") from None
        except OSError as exc:
            raise StudioError(f"Could not write {target}: {exc.strerror or exc}.") from None
        return target
