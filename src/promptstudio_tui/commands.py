"""The command palette (ctrl+p): every studio action by name, with its current key."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import partial

from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.dom import DOMNode
from textual.markup import escape


@dataclass(frozen=True)
class Command:
    title: str
    action: str  # run on the screen the palette was opened from ("screen." / "app." namespaces)
    help: str
    binding_id: str | None = None  # to show the key, after the user's keymap


COMMANDS = (
    Command("New conversation", "screen.new_conversation", "Start a blank conversation.", "studio.new_conversation"),
    Command("Generate prompt", "screen.generate_prompt", "Turn this conversation into a prompt.", "studio.generate_prompt"),
    Command("Stop", "screen.stop", "Stop the streaming reply or the prompt being generated.", "studio.stop"),
    Command("Retry reply", "screen.retry", "Ask again for the last reply that failed or never came.", "studio.retry"),
    Command("Load earlier messages", "screen.load_earlier", "Show older messages of this conversation."),
    Command("Toggle conversations pane", "screen.toggle_conversations", "Show or hide the left pane.", "studio.toggle_conversations"),
    Command("Toggle prompts pane", "screen.toggle_prompts", "Show or hide the right pane.", "studio.toggle_prompts"),
    Command("Search conversations", "screen.search", "Filter by titles, tags and message text.", "studio.search"),
    Command("Show all conversations", "screen.show_tab('all')", "Active conversations."),
    Command("Show starred conversations", "screen.show_tab('starred')", "Only starred conversations."),
    Command("Show archived conversations", "screen.show_tab('archived')", "Conversations you archived."),
    Command("Sort conversations: recent first", "screen.sort_by('recent')", "Newest activity first."),
    Command("Sort conversations: A–Z", "screen.sort_by('title')", "By title."),
    Command("Sort conversations: starred first", "screen.sort_by('starred')", "Starred, then newest."),
    Command("Rename conversation", "screen.rename_conversation", "Give the conversation a new title.", "conversations.rename"),
    Command("Set conversation category", "screen.categorize_conversation", "Choose a category.", "conversations.category"),
    Command("Star / unstar conversation", "screen.star_conversation", "Keep it in the Starred tab.", "conversations.star"),
    Command("Archive / unarchive conversation", "screen.archive_conversation", "Move it to or from the Archived tab.", "conversations.archive"),
    Command("Delete conversation", "screen.delete_conversation", "Delete it and its messages (asks first).", "conversations.delete"),
    Command("Save prompt", "screen.save_prompt", "Title, category and tags for the shown prompt.", "studio.save_prompt"),
    Command("Copy prompt", "screen.copy_prompt", "Copy the shown prompt to the clipboard (OSC 52).", "prompts.copy"),
    Command("Export prompt", "screen.export_prompt", "Write the shown prompt to a Markdown or JSON file.", "prompts.export"),
    Command("Favourite / unfavourite prompt", "screen.favourite_prompt", "Mark the shown prompt.", "prompts.favourite"),
    Command("Delete prompt", "screen.delete_prompt", "Delete the shown prompt (asks first).", "prompts.delete"),
    Command("Prompts: this conversation / all", "screen.toggle_prompt_scope", "Switch the prompt list.", "prompts.scope"),
    Command("Settings", "app.settings", "Endpoint, model, API key, plan, temperature.", "app.settings"),
    Command("Usage this month", "app.usage", "Tokens, requests and cost against the plan.", "app.usage"),
    Command("Help: keys", "app.help", "Every key binding, after your keymap.", "app.help"),
)


# Key names as the footer shows them, where Textual's name differs.
KEY_NAMES = {"escape": "esc"}


def keys_for(binding_id: str, keymap: Mapping[str, str], owners: Iterable[type[DOMNode]]) -> str:
    """The keys bound to `binding_id` ("alt+enter/ctrl+j"), as remapped by config.toml [keymap]."""
    if binding_id in keymap:
        keys = [key.strip() for key in keymap[binding_id].split(",")]
    else:
        keys = [
            binding.key
            for owner in owners
            for binding in Binding.make_bindings(owner.BINDINGS)
            if binding.id == binding_id
        ]
    return "/".join(KEY_NAMES.get(key, key) for key in keys)


class StudioCommands(Provider):
    def _available(self) -> list[tuple[Command, str]]:
        """Commands the current screen can run, each with its help line."""
        screen = self.screen
        key_hint = getattr(screen, "key_hint", None)
        found = []
        for command in COMMANDS:
            namespace, _, call = command.action.partition(".")
            target = screen if namespace == "screen" else self.app
            if not hasattr(target, f"action_{call.split('(')[0]}"):
                continue
            keys = key_hint(command.binding_id) if key_hint and command.binding_id else ""
            # The palette renders help as markup; keys like "ctrl+[" must stay text.
            found.append((command, escape(f"{command.help}  ({keys})" if keys else command.help)))
        return found

    async def discover(self) -> Hits:
        for command, help_text in self._available():
            yield DiscoveryHit(command.title, partial(self.screen.run_action, command.action), help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for command, help_text in self._available():
            score = matcher.match(command.title)
            if score > 0:
                yield Hit(
                    score,
                    matcher.highlight(command.title),
                    partial(self.screen.run_action, command.action),
                    help=help_text,
                )
