"""Prompts and their versions: generate, refine, improve, edit, restore, import, export.

A part of the Studio (mixed into it): the same order of things as a chat reply —
reserve quota, build the request, stream, settle the version and usage in one
transaction — for requests whose answer is a prompt.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncGenerator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from promptstudio_tui import catalog, tokens
from promptstudio_tui.actions import fill
from promptstudio_tui.events import PromptDelta, PromptReady, StudioError, StudioEvent, VersionDiff
from promptstudio_tui.sanitize import one_line
from promptstudio_tui.store.records import Conversation, Prompt, PromptVersion
from promptstudio_tui.streamed import Spend, Streamed
from promptstudio_tui.studio_base import StudioBase

if TYPE_CHECKING:
    from promptstudio_tui import generation


class PromptFlow(StudioBase):
    # -- prompt generation ----------------------------------------------------

    async def generate(self, conversation_id: str) -> AsyncGenerator[StudioEvent, None]:
        """The conversation's prompt as its next version, saved as soon as it is complete.

        No prompt yet: v1 from the whole conversation. A prompt brought in by import that
        no model has revised yet: an improvement of it, in the light of any talk since.
        Otherwise: the smallest change to the latest version that satisfies the turns
        said since that version was made (only those turns are sent). Nothing is ever
        left out of a request: one that cannot fit the window is refused with a sentence.
        """
        from promptstudio_tui import generation

        conversation = self._conversations.get(conversation_id)
        prompt = self.prompt_of(conversation_id)
        rows = self._messages.context_rows(conversation_id)
        category = conversation.category
        deadline = self._deadline()  # asking for the window and the request share the timeout
        newest: str | None  # the newest turn the new version takes in
        if prompt is None:
            turns = [turn for _, turn in rows]
            if not any(t["role"] == "user" for t in turns) or not any(t["role"] == "assistant" for t in turns):
                raise StudioError(
                    fill(
                        "Have at least one exchange with the assistant first, then press {studio.generate_prompt}.",
                        self.settings.keymap,
                    )
                )
            request, report = generation.generator_request(
                turns, category=category, **await self._generation_fit(deadline)
            )
            source, newest = "generated", rows[-1][0]
        else:
            latest = self.version(prompt.id)
            after = _through(latest)
            new = [(message_id, turn) for message_id, turn in rows if after is None or message_id > after]
            turns = [turn for _, turn in new]
            if self._awaiting_improvement(prompt.id):
                request, report = generation.improve_request(
                    latest.content, turns, category=category, **await self._generation_fit(deadline)
                )
                source = "generated"
            elif not any(t["role"] == "user" for t in turns):
                raise StudioError(
                    f"Nothing was said since v{latest.number} was made: "
                    + fill(
                        "tell the assistant what should change, then press {studio.generate_prompt} again.",
                        self.settings.keymap,
                    )
                )
            else:
                request, report = generation.refine_request(
                    latest.content,
                    turns,
                    category=category,
                    first_turn_number=len(rows) - len(new) + 1,  # numbered as in the chat
                    **await self._generation_fit(deadline),
                )
                source = "refined"
            newest = new[-1][0] if new else after
        self._refuse_unless_fits(report)
        metadata = {"through_message_id": newest}
        # aclosing: a consumer that stops reading settles the request now, not when the GC gets to it.
        made = self._make_version(conversation, prompt, request, source, metadata, deadline)
        async with contextlib.aclosing(made) as events:
            async for event in events:
                yield event

    async def refine(self, prompt_id: str, instruction: str) -> AsyncGenerator[StudioEvent, None]:
        """The prompt's next version, changed as `instruction` says ("make it shorter")."""
        from promptstudio_tui import generation

        instruction = instruction.strip()
        if not instruction:
            raise StudioError("Say what should change, e.g. “make it shorter”.")
        prompt = self.prompt(prompt_id)
        latest = self.version(prompt_id)
        deadline = self._deadline()
        request, report = generation.refine_request(
            latest.content,
            [],
            instruction=instruction,
            category=prompt.category,
            **await self._generation_fit(deadline),
        )
        self._refuse_unless_fits(report)
        # Turns said since the latest version are still to be taken in by the next generate.
        metadata = {"instruction": instruction, "through_message_id": _through(latest)}
        async with contextlib.aclosing(
            self._make_version(None, prompt, request, "refined", metadata, deadline)
        ) as made:
            async for event in made:
                yield event

    async def _generation_fit(self, deadline: float) -> dict[str, Any]:
        """What every generation request is shaped by: target, window, model, room for the answer."""
        return {
            "target": self.settings.generate_target,
            "window": await self._window(deadline),
            "model": self.settings.model,
            "reply_tokens": self.settings.generate.max_tokens,
        }

    def _refuse_unless_fits(self, report: generation.FitReport) -> None:
        refusal = report.refusal(self.settings.model)
        if refusal is not None:
            raise StudioError(refusal)

    def _awaiting_improvement(self, prompt_id: str) -> bool:
        """Imported, and no model has written a version of it yet."""
        versions = self._versions.for_prompt(prompt_id)
        return versions[0].source == "imported" and not any(v.source in ("generated", "refined") for v in versions)

    async def _make_version(
        self,
        conversation: Conversation | None,
        prompt: Prompt | None,
        request: list[dict[str, str]],
        source: str,
        metadata: dict[str, Any],
        deadline: float,
    ) -> AsyncGenerator[StudioEvent, None]:
        """Stream one generation; a new prompt (when `prompt` is None) or its next version."""
        from promptstudio_tui import generation

        mode = self.settings.generate
        reservation = self._reserve(request, mode.max_tokens)
        plan = generation.PlanFilter()  # the model plans first; only what follows is shown and kept

        def settle(outcome: Streamed, spend: Spend) -> tuple[Prompt, PromptVersion] | None:
            return self._settle_version(conversation, prompt, outcome, spend, reservation, source, metadata)

        async with self._flight(request, mode, reservation, settle, deadline=deadline) as flight:
            outcome = flight.outcome
            async for text in flight:
                visible = plan.feed(text)
                if visible or plan.planning:
                    yield PromptDelta(visible, outcome.rough_tokens, plan.planning)
            rest = plan.finish()
            if rest:
                yield PromptDelta(rest, outcome.rough_tokens)
        made = flight.settled
        if made is None:
            if outcome.error:
                detail = outcome.error.message
            elif outcome.whole and not generation.strip_plan(outcome.text).strip():
                detail = (
                    "the answer held only the model's planning (it may have run out of tokens);"
                    " try again, or raise max_tokens under [generate] in config.toml."
                )
            elif outcome.whole:
                detail = "the prompt was deleted while it was being revised."
            else:
                detail = "The endpoint stopped before the prompt was complete."
            raise StudioError(f"No prompt was generated: {detail}" if prompt is None else f"No new version: {detail}")
        yield PromptReady(*made)

    def _settle_version(
        self,
        conversation: Conversation | None,
        prompt: Prompt | None,
        outcome: Streamed,
        spend: Spend,
        reservation: str,
        source: str,
        metadata: dict[str, Any],
    ) -> tuple[Prompt, PromptVersion] | None:
        """Keep the text only when it arrived whole; usage is recorded either way."""
        from promptstudio_tui import generation

        text = generation.strip_plan(outcome.text).strip()
        conversation_id = conversation.id if conversation else prompt.conversation_id if prompt else None
        made: tuple[Prompt, PromptVersion] | None = None
        with self._store.write():
            if outcome.whole and text:
                counted = tokens.count(text, spend.model).tokens
                metadata = {**metadata, "finish_reason": outcome.finish_reason}
                if prompt is None and conversation is not None:
                    created = self._prompts.add(
                        title=conversation.title,
                        content=text,
                        conversation_id=conversation.id,
                        category=conversation.category,
                        model=spend.model,
                        tokens_used=counted,
                        cost=spend.cost,
                        source=source,
                        metadata=metadata,
                    )
                    made = created, self.version(created.id)
                elif prompt is not None and self._prompts.exists(prompt.id):  # not deleted meanwhile
                    version = self._versions.add(
                        prompt.id,
                        content=text,
                        source=source,
                        model=spend.model,
                        tokens=counted,
                        cost=spend.cost,
                        metadata=metadata,
                    )
                    made = self._prompts.get(prompt.id), version
            self._record(spend, "prompt_optimization", reservation, conversation_id, made[0].id if made else None)
        return made

    # -- prompts --------------------------------------------------------------

    def prompts_for(self, conversation_id: str | None, limit: int = 200) -> list[Prompt]:
        """Newest first; `None` lists the prompts of every conversation."""
        return self._prompts.list(conversation_id=conversation_id, limit=limit)

    def prompt_of(self, conversation_id: str) -> Prompt | None:
        """The conversation's prompt: its newest (stores from before versions may hold several)."""
        newest = self._prompts.list(conversation_id=conversation_id, limit=1)
        return newest[0] if newest else None

    def prompt(self, prompt_id: str) -> Prompt:
        return self._prompts.get(prompt_id)

    def find_prompt(self, id_or_prefix: str) -> Prompt:
        try:
            return self._prompts.find(id_or_prefix)
        except KeyError:
            raise StudioError(
                f"No single prompt matches {id_or_prefix!r}; list them with `promptstudio prompts list`."
            ) from None

    def favourite_prompt(self, prompt_id: str, favourite: bool) -> Prompt:
        return self._prompts.update(prompt_id, is_favorite=favourite)

    def delete_prompt(self, prompt_id: str) -> None:
        self._prompts.delete(prompt_id)

    # -- versions -------------------------------------------------------------

    def versions(self, prompt_id: str) -> list[PromptVersion]:
        """Oldest first."""
        return self._versions.for_prompt(prompt_id)

    def diff(self, prompt_id: str, a: int | None = None, b: int | None = None) -> VersionDiff:
        """Version `a` against version `b` (default: the latest); `a` defaults to the one before `b`."""
        from promptstudio_tui.workshop.diff import word_diff

        new = self.version(prompt_id, b)
        if self.version(prompt_id).number == 1:
            raise StudioError(f"Prompt {prompt_id} has only one version: there is nothing to compare yet.")
        old = self.version(prompt_id, new.number - 1 if a is None else a)
        return VersionDiff(old, new, word_diff(old.content, new.content))

    def restore(self, prompt_id: str, number: int) -> PromptVersion:
        """Version `number`'s text as a new latest version: history is never rewritten."""
        old = self.version(prompt_id, number)
        latest = self.version(prompt_id)
        if old.content == latest.content:
            raise StudioError(
                f"v{number} has the same text as the latest version, v{latest.number}: nothing to restore."
            )
        metadata = {"restored_from": number, "through_message_id": _through(latest)}
        return self._versions.add(
            prompt_id, content=old.content, source="restored", model=old.model, tokens=old.tokens, metadata=metadata
        )

    def edit_prompt(self, prompt_id: str, text: str) -> PromptVersion | None:
        """The user's own text as the next version; None (no version) when it is the latest text unchanged."""
        text = text.strip()
        if not text:
            raise StudioError("An empty prompt cannot be saved; the latest version is unchanged.")
        latest = self.version(prompt_id)
        if text == latest.content:
            return None
        counted = tokens.count(text, self.settings.model).tokens
        metadata = {"through_message_id": _through(latest)}
        return self._versions.add(prompt_id, content=text, source="edited", tokens=counted, metadata=metadata)

    def import_prompt(self, text: str, *, title: str | None = None) -> Prompt:
        """A prompt the user already has, as v1 ("imported") of a new prompt, with a new
        conversation seeded with it: talking it over, then generating, improves it.

        Markdown front matter gives the title and tags; else `title`, else the first line.
        """
        from promptstudio_tui import generation
        from promptstudio_tui.workshop import frontmatter

        try:
            parsed = frontmatter.parse(text)
        except frontmatter.FrontMatterError as exc:
            raise StudioError(str(exc)) from None
        body = parsed.body.strip()
        if not body:
            raise StudioError("There is no prompt text to import.")
        model, window, room = self.settings.model, self.window(), self.settings.generate.max_tokens
        counted = tokens.count(body, model).tokens
        _, report = generation.improve_request(
            body,
            [],
            category="General",
            target=self.settings.generate_target,
            window=window,
            model=model,
            reply_tokens=room,
        )
        if not report.fits:
            raise StudioError(
                f"The prompt is {counted:,} tokens: with the instructions and {room:,} tokens kept for an improved "
                f"version it does not fit {model}'s window of {window.describe()}; shorten it or choose a model "
                "with a larger window."
            )
        name = (
            one_line(parsed.title or title or body.splitlines()[0].lstrip("# "), catalog.TITLE_CHARS)
            or "Imported prompt"
        )
        tags = sorted({one_line(t, 40) for t in parsed.tags if t.strip()})
        with self._store.write():
            conversation = self._conversations.create(title=name)
            seed = self._messages.add(conversation.id, "user", catalog.IMPORT_SEED.format(prompt=body))
            self._conversations.note_message(conversation.id, seed.content, unread=False)
            return self._prompts.add(
                title=name,
                content=body,
                conversation_id=conversation.id,
                tags=tags,
                tokens_used=counted,
                source="imported",
                metadata={"through_message_id": seed.id},
            )

    def save_prompt(self, prompt_id: str, *, title: str, category: str, tags: list[str]) -> Prompt:
        """The user's edit of a generated prompt; tracked, never counted against limits."""
        title = one_line(title, 200)
        if not title:
            raise StudioError("A prompt needs a title.")
        category = self.category(category)
        clean_tags = sorted({one_line(t, 40) for t in tags if t.strip()})
        with self._store.write():
            prompt = self._prompts.update(prompt_id, title=title, category=category, tags=clean_tags)
            self._quota.usage.record("prompt_save", prompt_id=prompt_id, conversation_id=prompt.conversation_id)
        return prompt

    def export_prompt(self, prompt: Prompt, fmt: str) -> str:
        from promptstudio_tui import exports

        try:
            return exports.prompt_text(prompt, fmt)
        except ValueError as exc:
            raise StudioError(str(exc)) from None

    def write_export(self, prompt: Prompt, fmt: str, path: Path, *, overwrite: bool = False) -> Path:
        """Write the export; an existing file is replaced only with `overwrite` (asked first), never a link."""
        from promptstudio_tui import safe_files

        text = self.export_prompt(prompt, fmt)
        target = path.expanduser()
        try:
            safe_files.write_file(target, text, overwrite=overwrite)
        except FileExistsError:  # the interface did not ask to replace it (the TUI asks, the CLI has --force)
            raise StudioError(f"{target} already exists; nothing was written (--force overwrites it).") from None
        except OSError as exc:
            raise StudioError(f"Could not write {target}: {exc.strerror or exc}.") from None
        return target


def _through(version: PromptVersion) -> str | None:
    """The newest conversation turn this version has taken in (None: none)."""
    return version.metadata.get("through_message_id")
