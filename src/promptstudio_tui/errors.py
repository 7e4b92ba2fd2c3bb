"""One sentence for every failure a user can meet, for the CLI and the TUI alike."""

from __future__ import annotations

import sqlite3


def describe(exc: BaseException) -> str | None:
    """The user-facing sentence, or None for a programming error (let it surface)."""
    from promptstudio_tui.config import ConfigError
    from promptstudio_tui.editor import EditorError
    from promptstudio_tui.events import StudioError
    from promptstudio_tui.llm import LLMError
    from promptstudio_tui.quota import QuotaExceeded
    from promptstudio_tui.store import StoreError

    if isinstance(exc, (StudioError, ConfigError, StoreError, LLMError, QuotaExceeded, EditorError)):
        return str(exc)
    if isinstance(exc, sqlite3.OperationalError):
        text = str(exc)
        if "readonly" in text or "read-only" in text:
            return "The data directory is read-only, so nothing could be saved; check its permissions."
        if "disk" in text and "full" in text:
            return "The disk is full, so nothing more could be saved; free some space and try again."
        if "locked" in text or "busy" in text:
            return "Another Prompt Studio process held the database too long; try again."
        return f"The database failed: {text}."
    if isinstance(exc, PermissionError):
        return f"Permission denied: {exc.filename or exc}."
    if isinstance(exc, OSError) and exc.strerror:
        return f"{exc.strerror}: {exc.filename}." if exc.filename else f"{exc.strerror}."
    if isinstance(exc, ValueError):
        return str(exc)
    return None
