"""Prompts as Markdown or JSON text (written to a file by `safe_files.write_file`)."""

from __future__ import annotations

import json

from promptstudio_tui.store.records import Prompt

FORMATS = ("md", "json")


def prompt_text(prompt: Prompt, fmt: str) -> str:
    """The prompt in `fmt`; ValueError names the formats for any other."""
    if fmt == "md":
        meta = [f"- Category: {prompt.category}", f"- Created: {prompt.created_at}"]
        if prompt.tags:
            meta.append(f"- Tags: {', '.join(prompt.tags)}")
        if prompt.model:
            meta.append(f"- Model: {prompt.model}")
        return f"# {prompt.title}\n\n" + "\n".join(meta) + f"\n\n---\n\n{prompt.content}\n"
    if fmt == "json":
        data = {
            "id": prompt.id,
            "title": prompt.title,
            "category": prompt.category,
            "tags": prompt.tags,
            "model": prompt.model,
            "tokens": prompt.tokens_used,
            "created_at": prompt.created_at,
            "updated_at": prompt.updated_at,
            "conversation_id": prompt.conversation_id,
            "content": prompt.content,
        }
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    raise ValueError(f"Unknown export format {fmt!r}; use {' or '.join(FORMATS)}.")
