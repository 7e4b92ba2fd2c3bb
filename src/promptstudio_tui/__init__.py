"""Prompt Studio TUI: turn a conversation with an LLM into a copy-ready prompt."""

__version__ = "0.1.0"
