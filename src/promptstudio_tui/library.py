"""Everyday comfort on the studio: the prompt library (search, filter, sort), a
conversation's tags, and the model each conversation talks to."""

from __future__ import annotations

from collections.abc import Iterable

from promptstudio_tui.events import StudioError
from promptstudio_tui.sanitize import one_line
from promptstudio_tui.store.prompts import PromptSort
from promptstudio_tui.store.records import Conversation, Prompt
from promptstudio_tui.studio_base import StudioBase

TAG_CHARS = 40
MAX_TAGS = 20
MODEL_CHARS = 200


def clean_tags(tags: Iterable[str]) -> list[str]:
    """Trimmed, on one line, each at most TAG_CHARS, the first spelling of each kept (case
    aside), in the order typed; at most MAX_TAGS."""
    kept: dict[str, str] = {}
    for tag in tags:
        tag = one_line(tag, TAG_CHARS).strip()
        if tag:
            kept.setdefault(tag.casefold(), tag)
    return list(kept.values())[:MAX_TAGS]


def split_tags(text: str) -> list[str]:
    """What a person types in a tags field: "email, support" -> ["email", "support"]."""
    return clean_tags(text.split(","))


class Library(StudioBase):
    # -- the prompt library -----------------------------------------------------

    def find_prompts(
        self,
        conversation_id: str | None = None,
        *,
        search: str = "",
        tag: str | None = None,
        category: str | None = None,
        favourites: bool = False,
        sort: PromptSort = "recent",
        limit: int = 200,
    ) -> list[Prompt]:
        """Prompts matching every filter given (`conversation_id` None: from every conversation)."""
        return self._prompts.list(
            conversation_id=conversation_id,
            query=search,
            tag=tag,
            category=category,
            favorites_only=favourites,
            sort=sort,
            limit=limit,
        )

    def prompt_tags(self) -> list[str]:
        return self._prompts.tags()

    def prompt_categories(self) -> list[str]:
        return self._prompts.categories()

    # -- a conversation's tags ----------------------------------------------------

    def tag_conversation(self, conversation_id: str, tags: Iterable[str]) -> Conversation:
        """Replace the conversation's tags (cleaned: see `clean_tags`); the search finds them."""
        return self._conversations.update(conversation_id, tags=clean_tags(tags))

    # -- a conversation's model ---------------------------------------------------

    def model_of(self, conversation: Conversation | None) -> str:
        """The model a conversation talks to: its own, else the configured default."""
        return (conversation.model if conversation else None) or self.settings.model

    def set_conversation_model(self, conversation_id: str, model: str) -> Conversation:
        """From now on this conversation's replies come from `model` (earlier ones keep theirs)."""
        model = one_line(model, MODEL_CHARS).strip()
        if not model:
            raise StudioError("Choose a model for this conversation.")
        return self._conversations.update(conversation_id, model=model)
