"""Every user action in one table: its id, default keys, where it is bound, its words.

The key bindings, the command palette, Help, the tips and the `[keymap]` check are all
built from `ACTIONS`, so a key is written down once. Ids are what users remap in
config.toml (`[keymap]` "studio.generate_prompt" = "f5"). This module is plain data:
config loading and the headless CLI import it without Textual.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from textual.binding import BindingType

# Where an action is bound: the app (everywhere), the main screen, a widget on it, or a dialog.
Scope = Literal[
    "app",
    "main",
    "composer",
    "messages",
    "conversations",
    "search",
    "prompts",
    "dialog",
    "confirm",
    "editor",
    "help",
    "usage",
    "settings",
    "startup",
]

# Help's group titles, in Help's order.
SCOPE_TITLES: dict[Scope, str] = {
    "app": "Everywhere",
    "main": "Main screen",
    "composer": "Composer",
    "messages": "Chat messages (alt+up from the composer)",
    "conversations": "Conversation list",
    "search": "Search box",
    "prompts": "Prompt pane",
    "dialog": "Dialogs",
    "confirm": "Yes/no questions",
    "editor": "Prompt editor",
    "help": "Help",
    "usage": "Usage",
    "settings": "Settings",
    "startup": "Start-up problem screen",
}

# Scopes whose bindings land on one node (a yes/no question is a dialog and keeps Esc):
# a key bound twice there is a clash, as within one scope.
SHARED_NODE: dict[Scope, Scope] = {"confirm": "dialog", "editor": "dialog"}

# Key names as the footer shows them, where Textual's name differs.
KEY_NAMES = {"escape": "esc", "left_square_bracket": "[", "right_square_bracket": "]", "slash": "/"}

NO_KEYMAP: Mapping[str, str] = {}


@dataclass(frozen=True)
class Action:
    id: str  # the [keymap] name
    keys: str  # default keys, comma-separated Textual names ("delete,d"); "" = palette only
    scope: Scope
    action: str  # the Textual action the key runs where it is bound
    description: str  # the footer's word
    # In the footer, which must fit 100 columns with a pane focused: there a pane shows its
    # everyday keys; the rest have a button on screen, or are in Help and the palette.
    show: bool = True
    priority: bool = False  # runs before the focused widget sees the key
    title: str | None = None  # the command palette's name for it; None = not in the palette
    help: str = ""  # the palette's line under the title
    # Keys that work only in some terminals, and where: said in Help, tips and the tooltip.
    caveats: Mapping[str, str] = field(default_factory=dict)

    @property
    def palette_action(self) -> str:
        """What the palette runs: app actions on the app, the rest on the screen below it."""
        name = self.action.removeprefix("screen.")
        return f"app.{name}" if self.scope == "app" else f"screen.{name}"


ACTIONS: tuple[Action, ...] = (
    # -- the conversation on screen --------------------------------------------------------
    Action("studio.new_conversation", "ctrl+n", "main", "new_conversation", "New",
           title="New conversation", help="Start a blank conversation."),
    Action("studio.generate_prompt", "ctrl+g", "main", "generate_prompt", "Generate prompt",
           title="Generate prompt", help="Turn this conversation into a prompt."),
    Action("studio.stop", "escape", "main", "stop", "Stop",
           title="Stop", help="Stop the streaming reply or the prompt being generated."),
    Action("studio.retry", "ctrl+r", "main", "retry", "Retry reply", show=False,
           title="Retry reply", help="Ask again for the last reply that failed or never came."),
    Action("studio.load_earlier", "", "main", "load_earlier", "Load earlier messages",
           title="Load earlier messages", help="Show older messages of this conversation."),
    # Not ctrl+b: that is tmux's prefix key, which never reaches the app inside tmux.
    Action("studio.toggle_conversations", "ctrl+l", "main", "toggle_conversations", "Show/hide conversations",
           show=False, title="Toggle conversations pane", help="Show or hide the left pane."),
    Action("studio.toggle_prompts", "ctrl+o", "main", "toggle_prompts", "Show/hide prompts",
           show=False, title="Toggle prompts pane", help="Show or hide the right pane."),
    Action("studio.search", "ctrl+f", "main", "search", "Search conversations", show=False,
           title="Search conversations", help="Filter by titles, tags and message text."),
    Action("studio.templates", "ctrl+t", "main", "choose_template", "Templates", show=False,
           title="Start from a template", help="The welcome's templates (and a local server to use); Enter picks."),
    # F8 and F9: they reach the app in tmux and over SSH, and the composer keeps none of them
    # (F6/F7 select in it, ctrl+z/ctrl+x undo and cut; F10 and F11 are many terminals' own).
    Action("studio.zoom", "f8", "main", "zoom", "Zoom", show=False,
           title="Zoom the focused pane", help="The chat or the prompt pane full screen; again: back."),
    Action("studio.conversation_model", "f9", "main", "choose_conversation_model", "Model", show=False,
           title="Model for this conversation", help="Its replies come from the model you pick; kept with it."),
    # -- the conversation list ---------------------------------------------------------------
    Action("conversations.show_all", "", "main", "show_tab('all')", "All",
           title="Show all conversations", help="Active conversations."),
    Action("conversations.show_starred", "", "main", "show_tab('starred')", "Starred",
           title="Show starred conversations", help="Only starred conversations."),
    Action("conversations.show_archived", "", "main", "show_tab('archived')", "Archived",
           title="Show archived conversations", help="Conversations you archived."),
    Action("conversations.sort_recent", "", "main", "sort_by('recent')", "Recent first",
           title="Sort conversations: recent first", help="Newest activity first."),
    Action("conversations.sort_title", "", "main", "sort_by('title')", "A–Z",
           title="Sort conversations: A–Z", help="By title."),
    Action("conversations.sort_starred", "", "main", "sort_by('starred')", "Starred first",
           title="Sort conversations: starred first", help="Starred, then newest."),
    Action("conversations.rename", "r", "conversations", "screen.rename_conversation", "Rename",
           title="Rename conversation", help="Give the conversation a new title."),
    Action("conversations.category", "c", "conversations", "screen.categorize_conversation", "Category", show=False,
           title="Set conversation category", help="Choose a category."),
    Action("conversations.star", "s", "conversations", "screen.star_conversation", "Star",
           title="Star / unstar conversation", help="Keep it in the Starred tab."),
    Action("conversations.archive", "a", "conversations", "screen.archive_conversation", "Archive",
           title="Archive / unarchive conversation", help="Move it to or from the Archived tab."),
    Action("conversations.delete", "delete,d", "conversations", "screen.delete_conversation", "Delete",
           title="Delete conversation", help="Delete it and its messages (asks first)."),
    Action("conversations.sort", "o", "conversations", "screen.cycle_sort", "Sort", show=False),
    Action("conversations.tags", "t", "conversations", "screen.tag_conversation", "Tags", show=False,
           title="Set conversation tags", help="Comma-separated words the search finds."),
    Action("conversations.export", "e", "conversations", "screen.export_conversation", "Export", show=False,
           title="Export conversation", help="Write the conversation to a Markdown or JSON file."),
    Action("search.clear", "escape", "search", "clear_search", "Clear"),
    # Down goes on to the results, as Enter does (Input's own "submit").
    Action("search.results", "down", "search", "submit", "Results", show=False),
    # -- the prompt pane ---------------------------------------------------------------------
    Action("studio.save_prompt", "ctrl+s", "main", "save_prompt", "Save prompt", show=False,
           title="Save prompt", help="Title, category and tags for the shown prompt."),
    Action("prompts.copy", "c", "prompts", "screen.copy_prompt", "Copy",
           title="Copy prompt", help="Copy the shown prompt to the clipboard (OSC 52)."),
    Action("prompts.save", "s", "prompts", "screen.save_prompt", "Save", show=False),
    Action("prompts.export", "e", "prompts", "screen.export_prompt", "Export", show=False,
           title="Export prompt", help="Write the shown prompt to a Markdown or JSON file."),
    Action("prompts.favourite", "f", "prompts", "screen.favourite_prompt", "Favourite", show=False,
           title="Favourite / unfavourite prompt", help="Mark the shown prompt."),
    Action("prompts.delete", "delete,d", "prompts", "screen.delete_prompt", "Delete", show=False,
           title="Delete prompt", help="Delete the shown prompt (asks first)."),
    Action("prompts.search", "slash", "prompts", "screen.search_prompts", "Search", show=False,
           title="Search prompts", help="Find prompts by words; filter by tag, category, favourite; sort."),
    Action("prompts.scope", "a", "prompts", "screen.toggle_prompt_scope", "This/all", show=False,
           title="Prompts: this conversation / all", help="Switch the prompt list."),
    # -- the prompt's versions ---------------------------------------------------------------
    # f4 works from the composer too: after ctrl+g makes a version, what changed is one key away.
    Action("studio.show_changes", "f4", "main", "show_changes", "Changes", show=False,
           title="Show what changed", help="Word diff of the shown version against the one before; again: its text."),
    Action("prompts.previous_version", "left_square_bracket", "prompts", "screen.previous_version", "Older", show=False,
           title="Prompt: previous version", help="Show the version before the shown one."),
    Action("prompts.next_version", "right_square_bracket", "prompts", "screen.next_version", "Newer", show=False,
           title="Prompt: next version", help="Show the version after the shown one."),
    Action("prompts.compare", "v", "prompts", "screen.compare_versions", "Compare", show=False,
           title="Compare two versions", help="A word diff between any two versions of the shown prompt."),
    Action("prompts.restore", "u", "prompts", "screen.restore_version", "Restore", show=False,
           title="Restore this version", help="Make the shown old version the newest (history is kept)."),
    Action("prompts.refine", "r", "prompts", "screen.refine_prompt", "Refine",
           title="Refine prompt", help="Ask for a change (“make it shorter”): the model makes the next version."),
    Action("prompts.edit", "i", "prompts", "screen.edit_prompt", "Edit",
           title="Edit prompt", help="Change the shown version by hand; saving makes a new version."),
    Action("prompts.edit_external", "o", "prompts", "screen.edit_prompt_externally", "$EDITOR", show=False,
           title="Edit prompt in $VISUAL/$EDITOR", help="Your own editor; saving makes a new version."),
    # -- trying and testing the prompt (the Try view under it) ---------------------------------
    Action("prompts.try", "t", "prompts", "screen.try_prompt", "Try",
           title="Try the prompt", help="Fill its {{variables}} and run the shown version on a model; the output streams below."),
    Action("prompts.fill", "x", "prompts", "screen.fill_variables", "Fill", show=False,
           title="Fill variables and copy", help="Fill the shown version's {{variables}} and copy the text (OSC 52)."),
    Action("prompts.save_case", "k", "prompts", "screen.save_case", "Save as case", show=False,
           title="Save the try-run as a test case", help="Its values as a case; its output as the expected (editable)."),
    Action("prompts.test", "m", "prompts", "screen.test_prompt", "Test",
           title="Test the prompt", help="Run every test case on the shown version: a pass/fail matrix."),
    Action("prompts.compare_runs", "w", "prompts", "screen.compare_runs", "Side by side", show=False,
           title="Compare outputs side by side",
           help="Two versions or two models on the same cases: outputs, pass/fail, tokens, latency, cost."),
    Action("prompts.zoom", "z", "prompts", "screen.zoom_work", "Zoom", show=False,
           title="Zoom the Try view", help="The try output or test matrix full screen (esc returns)."),
    Action("studio.propose_cases", "", "main", "propose_cases", "Propose cases",
           title="Propose test cases from the conversation",
           help="One request turns the requirements you stated into cases and checks; you pick which to keep."),
    Action("studio.close_work", "", "main", "close_work", "Close Try view",
           title="Close the Try view", help="Hide the try output or test matrix under the prompt."),
    Action("studio.import_prompt", "", "main", "import_prompt", "Improve a prompt",
           title="Improve a prompt I already have", help="Paste a prompt: it becomes v1 of a new conversation."),
    # -- the composer --------------------------------------------------------------------------
    Action("composer.send", "enter", "composer", "send", "Send"),
    # Terminals without the kitty keyboard protocol (tmux, most SSH sessions) report
    # shift+enter as a bare enter; alt+enter and ctrl+j reach the app everywhere.
    Action("composer.newline", "shift+enter,alt+enter,ctrl+j", "composer", "newline", "New line", show=False,
           caveats={"shift+enter": "where the terminal reports it"}),
    # Alt+arrows and PageUp/PageDown reach the app in tmux and over SSH.
    Action("composer.select_message", "alt+up", "composer", "screen.select_message", "Select message", show=False,
           title="Select a message", help="Edit, regenerate, delete or copy a message of the chat."),
    Action("studio.page_up", "pageup", "main", "page_chat(-1)", "Scroll up", show=False, priority=True),
    Action("studio.page_down", "pagedown", "main", "page_chat(1)", "Scroll down", show=False, priority=True),
    # -- a selected message of the chat ----------------------------------------------------------
    Action("messages.previous", "up,k", "messages", "select(-1)", "Previous", show=False),
    Action("messages.next", "down,j", "messages", "select(1)", "Next", show=False),
    Action("messages.edit", "e", "messages", "command('edit')", "Edit"),
    Action("messages.regenerate", "r", "messages", "command('regenerate')", "Regenerate"),
    Action("messages.delete", "delete,d", "messages", "command('delete')", "Delete"),
    Action("messages.copy", "c", "messages", "command('copy')", "Copy"),
    Action("messages.copy_code", "b", "messages", "command('copy_code')", "Copy code"),
    Action("messages.older_alternative", "left_square_bracket", "messages", "command('older')", "Older", show=False),
    Action("messages.newer_alternative", "right_square_bracket", "messages", "command('newer')", "Newer", show=False),
    Action("messages.leave", "escape", "messages", "command('leave')", "Back"),
    # -- everywhere ----------------------------------------------------------------------------
    Action("app.quit", "ctrl+q", "app", "quit", "Quit", priority=True),
    Action("app.help", "f1", "app", "help", "Help",
           title="Help: keys", help="Every key binding, after your keymap."),
    Action("app.settings", "f2", "app", "settings", "Settings", show=False,
           title="Settings", help="Endpoint, model, API key, plan, temperature."),
    Action("app.usage", "f3", "app", "usage", "Usage", show=False,
           title="Usage this month", help="Tokens, requests and cost against the plan."),
    Action("app.command_palette", "ctrl+p", "app", "command_palette", "Commands", show=False, priority=True),
    # -- dialogs -------------------------------------------------------------------------------
    Action("modal.cancel", "escape", "dialog", "cancel", "Cancel"),
    Action("modal.confirm", "y", "confirm", "confirm", "Yes"),
    Action("modal.deny", "n", "confirm", "cancel", "No"),
    Action("editor.save", "ctrl+s", "editor", "save", "Save as new version"),
    # The key that opened Help or Usage closes it again.
    Action("help.close", "escape,q,f1", "help", "close", "Close"),
    Action("usage.close", "escape,q,f3", "usage", "close", "Close"),
    Action("settings.cancel", "escape", "settings", "cancel", "Cancel"),
    Action("settings.save", "ctrl+s", "settings", "save", "Save"),
    Action("startup.quit", "q,escape", "startup", "app.quit", "Quit"),
    Action("startup.move_aside", "m", "startup", "move_aside", "Move aside"),
)  # fmt: skip

BY_ID: dict[str, Action] = {action.id: action for action in ACTIONS}


def split_keys(keys: str) -> list[str]:
    """Comma-separated keys as a list: "f5, ctrl+r" -> ["f5", "ctrl+r"]."""
    return [key.strip() for key in keys.split(",") if key.strip()]


def remappable() -> list[str]:
    """The ids `[keymap]` accepts: those with a key (palette-only actions have none to move)."""
    return [action.id for action in ACTIONS if action.keys]


def keys(action_id: str, keymap: Mapping[str, str] = NO_KEYMAP) -> list[str]:
    """The keys of an action after the user's keymap, in Textual's names."""
    return split_keys(keymap.get(action_id) or BY_ID[action_id].keys)


def key_hint(action_id: str, keymap: Mapping[str, str] = NO_KEYMAP) -> str:
    """The keys as the footer names them, for hints in sentences: "alt+enter/ctrl+j"."""
    return "/".join(KEY_NAMES.get(key, key) for key in keys(action_id, keymap))


def spoken(action_id: str, keymap: Mapping[str, str] = NO_KEYMAP) -> tuple[str, str]:
    """("alt+enter or ctrl+j", " (shift+enter where the terminal reports it)") for a sentence.

    Keys with a caveat go in the second part, so a tip names first what works everywhere."""
    caveats = BY_ID[action_id].caveats
    bound = [KEY_NAMES.get(key, key) for key in keys(action_id, keymap)]
    plain = [key for key in bound if key not in caveats] or bound
    limited = [f"{key} {caveats[key]}" for key in bound if key in caveats and key not in plain]
    words = " or ".join([", ".join(plain[:-1]), plain[-1]] if len(plain) > 2 else plain)
    return words, f" ({'; '.join(limited)})" if limited else ""


_PLACEHOLDER = re.compile(r"\{([a-z_]+\.[a-z_]+)(:caveat)?\}")


def fill(text: str, keymap: Mapping[str, str] = NO_KEYMAP) -> str:
    """Put the keys into a hint: "{studio.stop}" -> "esc"; "{composer.newline:caveat}" ->
    the caveat of its keys, if any. A sentence that opens with a key opens with a capital."""

    def key_words(match: re.Match[str]) -> str:
        words, caveat = spoken(match.group(1), keymap)
        return caveat if match.group(2) else words

    filled = _PLACEHOLDER.sub(key_words, text)
    return filled[:1].upper() + filled[1:] if text.startswith("{") else filled


def clashes(keymap: Mapping[str, str]) -> list[tuple[str, str, str]]:
    """(key, id, id): two actions on one key where both would be live, after the keymap.

    Within one scope (or the scopes sharing a node) Textual keeps only one of them;
    a priority binding takes its key from every scope."""
    found: list[tuple[str, str, str]] = []
    seen: dict[tuple[Scope, str], str] = {}
    priority: dict[str, str] = {}
    for action in ACTIONS:
        if not action.keys:
            continue
        scope = SHARED_NODE.get(action.scope, action.scope)
        for key in keys(action.id, keymap):
            other = seen.setdefault((scope, key), action.id)
            if other != action.id:
                found.append((key, other, action.id))
            if action.priority:
                priority[key] = action.id
    found += [
        (key, priority[key], action_id)
        for (_scope, key), action_id in seen.items()
        if key in priority and priority[key] != action_id
    ]
    return found


# The keys Textual's TextArea, under the composer, binds itself (tests/test_actions.py
# checks them against it): a main-screen or app key among them does nothing while one types.
TEXT_AREA_KEYS = frozenset({
    "alt+backspace", "alt+delete", "backspace", "ctrl+a", "ctrl+backspace", "ctrl+c", "ctrl+d", "ctrl+e",
    "ctrl+k", "ctrl+left", "ctrl+right", "ctrl+shift+k", "ctrl+shift+left", "ctrl+shift+right", "ctrl+u",
    "ctrl+v", "ctrl+w", "ctrl+x", "ctrl+y", "ctrl+z", "delete", "down", "end", "f6", "f7", "home", "left",
    "pagedown", "pageup", "right", "shift+down", "shift+end", "shift+home", "shift+left", "shift+right",
    "shift+up", "super+backspace", "super+c", "super+x", "super+y", "super+z", "up",
})  # fmt: skip


def shadowed(keymap: Mapping[str, str]) -> list[tuple[str, str]]:
    """(key, id): screen-wide actions whose key the focused composer takes first, after the keymap."""
    composer = TEXT_AREA_KEYS.union(*(keys(action.id, keymap) for action in in_scope("composer")))
    return [
        (key, action.id)
        for action in ACTIONS
        if action.scope in ("main", "app") and action.keys and not action.priority
        for key in keys(action.id, keymap)
        if key in composer
    ]


def in_scope(scope: Scope) -> Iterable[Action]:
    return (action for action in ACTIONS if action.scope == scope and action.keys)


def bindings(scope: Scope) -> list[BindingType]:
    """A class's BINDINGS: the scope's actions with their default keys and ids."""
    from textual.binding import Binding  # here, not at the top: config and the CLI import this module

    return [
        Binding(
            action.keys,
            action.action,
            action.description,
            show=action.show,
            priority=action.priority,
            id=action.id,
            tooltip=_tooltip(action),
        )
        for action in in_scope(scope)
    ]


def _tooltip(action: Action) -> str:
    if not action.caveats:
        return ""
    plain, caveat = spoken(action.id)
    return f"{plain} everywhere{caveat}"
