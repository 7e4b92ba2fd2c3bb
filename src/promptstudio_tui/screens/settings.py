"""Settings: endpoint, model, API key, plan and temperature, applied without a restart."""

from __future__ import annotations

import asyncio
import math
from dataclasses import dataclass
from urllib.parse import urlsplit

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import Button, Input, Label, Select, Static

from promptstudio_tui.actions import bindings
from promptstudio_tui.config import PLAN_NAMES, ModeSettings
from promptstudio_tui.errors import describe
from promptstudio_tui.sanitize import one_line
from promptstudio_tui.screens.dialog import Dialog
from promptstudio_tui.screens.modals import show_text
from promptstudio_tui.screens.workshop import window_words
from promptstudio_tui.studio import Studio

PRESETS: tuple[tuple[str, str], ...] = (
    ("OpenAI", "https://api.openai.com/v1"),
    ("GitHub Models", "https://models.github.ai/inference"),
    ("OpenRouter", "https://openrouter.ai/api/v1"),
    ("Ollama", "http://localhost:11434/v1"),
    ("LM Studio", "http://localhost:1234/v1"),
    ("vLLM", "http://localhost:8000/v1"),
)
MAX_TEMPERATURE = 2.0
OTHER_MODEL = "\x00other"  # the list's last entry: switch to typing; no model id starts with NUL


@dataclass
class ModelsListed(Message):
    """The model list of `base_url`, or why there is none (posted by the listing worker)."""

    base_url: str
    models: list[str]
    error: str | None


def _host(base_url: str) -> str:
    # Never show user-info from the URL: it can hold a password.
    return urlsplit(base_url).netloc.rpartition("@")[2] or base_url


def _valid_url(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.hostname)


class SettingsScreen(Dialog[bool]):
    """Dismisses with True once saved and applied, False when cancelled."""

    # Set while composing (not with focus() in on_mount, which runs later): keys typed
    # the moment the dialog appears go to the right field instead of being overtaken.
    AUTO_FOCUS = "#base-url"

    DEFAULT_CSS = """
    SettingsScreen > #dialog {
        width: 96;
        padding: 0 1;
    }
    SettingsScreen .heading {
        dock: top;
        text-style: bold;
        padding: 0 1 1 1;
    }
    SettingsScreen #footer {
        dock: bottom;
        height: auto;
    }
    SettingsScreen .row {
        height: auto;
        margin-bottom: 1;
    }
    SettingsScreen .row-label {
        width: 13;
        padding: 1 1 0 1;
        text-style: bold;
    }
    SettingsScreen .row-body {
        height: auto;
        width: 1fr;
    }
    SettingsScreen .controls {
        height: auto;
    }
    SettingsScreen #preset {
        width: 22;
    }
    SettingsScreen #base-url, SettingsScreen #model, SettingsScreen #model-list, SettingsScreen #api-key {
        width: 1fr;
    }
    SettingsScreen #temperature {
        width: 12;
    }
    SettingsScreen .status, SettingsScreen .note {
        color: $text-muted;
        padding: 0 1;
        height: auto;
    }
    SettingsScreen .note {
        color: $warning;
        display: none;
    }
    SettingsScreen .inline-note {
        padding: 1 1 0 1;
        width: 1fr;
    }
    SettingsScreen .hidden {
        display: none;
    }
    SettingsScreen #error {
        color: $error;
        padding: 0 1;
        height: auto;
        display: none;
    }
    SettingsScreen .buttons {
        height: auto;
        align-horizontal: right;
    }
    SettingsScreen .buttons Button {
        margin-left: 2;
    }
    """

    BINDINGS = bindings("settings")

    def __init__(self, studio: Studio) -> None:
        super().__init__()
        self.studio = studio

    def compose(self) -> ComposeResult:
        settings = self.studio.settings
        preset = next((url for _, url in PRESETS if url == settings.base_url), Select.NULL)
        plans = [
            (
                f"{name} — {settings.plans[name].tokens_limit:,} tokens, {settings.plans[name].requests_limit:,} requests a month",
                name,
            )
            for name in PLAN_NAMES
        ]
        with VerticalScroll(id="dialog"):
            yield Static("Settings", classes="heading")
            with Horizontal(classes="row"):
                yield Label("Endpoint", classes="row-label")
                with Vertical(classes="row-body"):
                    with Horizontal(classes="controls"):
                        yield Select(
                            [(Text(name), url) for name, url in PRESETS], prompt="Custom", value=preset, id="preset"
                        )
                        yield Input(settings.base_url, placeholder="https://host/v1", id="base-url")
                    yield Static(id="base_url-note", classes="note")
            with Horizontal(classes="row"):
                yield Label("Model", classes="row-label")
                with Vertical(classes="row-body"):
                    with Horizontal(classes="controls"):
                        yield Select([], prompt="Choose a model", id="model-list", classes="hidden")
                        yield Input(settings.model, placeholder="model name, e.g. gpt-4o-mini", id="model")
                        yield Button("List models", id="list-models")
                    yield Static(id="model-status", classes="status")
                    yield Static(id="model-note", classes="note")
                    yield Static(Text(self._window_line()), id="context-window", classes="status")
            with Horizontal(classes="row"):
                yield Label("API key", classes="row-label")
                with Vertical(classes="row-body"):
                    with Horizontal(classes="controls"):
                        yield Input(password=True, placeholder="paste a new key to replace it", id="api-key")
                        yield Button("Clear key", id="clear-key")
                    yield Static(id="key-source", classes="status")
            with Horizontal(classes="row"):
                yield Label("Plan", classes="row-label")
                with Vertical(classes="row-body"):
                    yield Select(plans, value=settings.plan, allow_blank=False, id="plan")
                    yield Static(id="plan-note", classes="note")
            with Horizontal(classes="row"):
                yield Label("Temperature", classes="row-label")
                yield Input(f"{settings.chat.temperature:g}", id="temperature")
                yield Static(
                    "0 to 2: lower is focused and repeatable, higher is more varied.", classes="status inline-note"
                )
            with Vertical(id="footer"):
                yield Static(id="error")
                with Horizontal(classes="buttons"):
                    yield Button("Cancel", id="cancel")
                    yield Button("Save", id="save", variant="primary")

    def on_mount(self) -> None:
        for key in ("base_url", "model", "plan"):
            show_text(self.query_one(f"#{key}-note", Static), self._source_note(key))
        self._show_key_source()
        self._ask_for_models(self.studio.settings.base_url)

    def _window_line(self) -> str:
        """How much of a conversation the model can take, and whether that is known or assumed."""
        return f"Context window: {window_words(self.studio.window())}"

    def _source_note(self, key: str) -> str:
        """A warning when something outranks config.toml; nothing for defaults and the file."""
        source = self.studio.settings.sources.get(key, "default")
        if source.startswith("environment"):
            return f"Set by the {source}, which overrides config.toml: a value saved here applies now, but the environment wins at the next start."
        if source.endswith("flag"):
            return f"Set by the {source} for this run; a value saved here is written to config.toml for the next start."
        return ""

    def _show_key_source(self, prefix: str = "") -> None:
        key = self.studio.api_key()
        if key.value is None:
            text = "No API key stored. Local servers (Ollama, LM Studio, vLLM) do not need one."
        else:
            text = f"Current key {key.masked} from the {key.source}."
            if key.from_environment:
                text += " It takes precedence over a key saved here."
        self.query_one("#key-source", Static).update(Text(prefix + text))

    # -- model list ------------------------------------------------------------

    def _ask_for_models(self, base_url: str) -> None:
        self.query_one("#model-status", Static).update(Text(f"Asking {_host(base_url)} for its models…"))
        self._list_models(base_url)

    @work(exclusive=True, group="settings-models", exit_on_error=False)
    async def _list_models(self, base_url: str) -> None:
        try:
            # The SDK loads on first use (seconds): off the event loop, so the dialog stays live.
            await asyncio.to_thread(self.studio.warm_up)
            models = await self.studio.list_models(base_url)
        except Exception as exc:  # noqa: BLE001 - any failure means "type the name"; never a traceback here
            # Only the type of an unforeseen error: its text could carry the URL's secrets.
            self.post_message(ModelsListed(base_url, [], describe(exc) or f"unexpected {type(exc).__name__}."))
            return
        self.post_message(ModelsListed(base_url, models, None))

    @on(ModelsListed)
    def _models_listed(self, event: ModelsListed) -> None:
        status = self.query_one("#model-status", Static)
        model_input = self.query_one("#model", Input)
        chooser = self.query_one("#model-list", Select)
        current = model_input.value.strip()
        if not event.models:
            self._type_model()
            reason = event.error or f"{_host(event.base_url)} offers no model list."
            status.update(Text(f"Could not list models: {reason} Type the model name instead."))
            return
        options = [(Text(one_line(model)), model) for model in event.models]
        options.append((Text("Type another name…"), OTHER_MODEL))
        note = f"{len(event.models)} models offered by {_host(event.base_url)}."
        if current and current not in event.models:
            options.insert(0, (Text(f"{current} (not in this endpoint's list)"), current))
            note += f" {current} is not among them."
        with self.prevent(Select.Changed):
            chooser.set_options(options)
            if current:
                chooser.value = current
        chooser.remove_class("hidden")
        model_input.add_class("hidden")
        status.update(Text(note))

    @on(Select.Changed, "#model-list")
    def _model_chosen(self, event: Select.Changed) -> None:
        if event.value == OTHER_MODEL:
            self._type_model()
            self.query_one("#model", Input).focus()
        elif event.value != Select.NULL:
            self.query_one("#model", Input).value = str(event.value)

    def _type_model(self) -> None:
        """Swap the list for the text field, which always holds the model to save."""
        self.query_one("#model-list", Select).add_class("hidden")
        self.query_one("#model", Input).remove_class("hidden")

    @on(Button.Pressed, "#list-models")
    def _list_pressed(self) -> None:
        self._ask_for_models(self.query_one("#base-url", Input).value.strip())

    # -- endpoint presets --------------------------------------------------------

    @on(Select.Changed, "#preset")
    def _preset_chosen(self, event: Select.Changed) -> None:
        url_input = self.query_one("#base-url", Input)
        if event.value != Select.NULL and event.value != url_input.value.strip():
            url_input.value = str(event.value)
            self._ask_for_models(str(event.value))

    @on(Input.Changed, "#base-url")
    def _url_typed(self, event: Input.Changed) -> None:
        preset = self.query_one("#preset", Select)
        match = next((url for _, url in PRESETS if url == event.value.strip()), Select.NULL)
        if preset.value != match:
            preset.value = match

    @on(Input.Submitted, "#base-url")
    def _url_submitted(self) -> None:
        self._list_pressed()

    # -- API key -----------------------------------------------------------------

    @on(Button.Pressed, "#clear-key")
    def _clear_key(self) -> None:
        try:
            removed = self.studio.keys.clear()
        except Exception as exc:  # noqa: BLE001 - a locked keyring must not crash the screen
            self._show_error(f"Could not clear the key: {describe(exc) or type(exc).__name__}")
            return
        done = f"Removed the key from the {' and the '.join(removed)}. " if removed else "No stored key to remove. "
        self._show_key_source(done)

    # -- save / cancel -------------------------------------------------------------

    def _show_error(self, text: str) -> None:
        show_text(self.query_one("#error", Static), text)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(False)

    def _validated(self) -> tuple[str, str, str, float] | str:
        """(base_url, model, plan, temperature), or the sentence saying what is wrong."""
        base_url = self.query_one("#base-url", Input).value.strip()
        model = one_line(self.query_one("#model", Input).value)
        plan = str(self.query_one("#plan", Select).value)
        try:
            temperature = float(self.query_one("#temperature", Input).value)
        except ValueError:
            temperature = math.nan
        if not _valid_url(base_url):
            return "The base URL must start with http:// or https:// and name a host, e.g. https://api.openai.com/v1."
        if not model:
            return "Choose or type a model."
        if not 0 <= temperature <= MAX_TEMPERATURE:  # also refuses nan and inf
            return "Temperature must be a number from 0 to 2, e.g. 0.7."
        return base_url, model, plan, temperature

    @on(Button.Pressed, "#save")
    @on(Input.Submitted, "#model, #api-key, #temperature")
    def action_save(self) -> None:
        values = self._validated()
        if isinstance(values, str):
            self._show_error(values)
            return
        base_url, model, plan, temperature = values
        settings = self.studio.settings
        changes: dict[str, object] = {
            name: value
            for name, value, old in (
                ("base_url", base_url, settings.base_url),
                ("model", model, settings.model),
                ("plan", plan, settings.plan),
            )
            if value != old
        }
        if temperature != settings.chat.temperature:
            changes["chat"] = ModeSettings(temperature, settings.chat.max_tokens)
        key = self.query_one("#api-key", Input).value
        stored_in = None
        # The key first: a refused key (spaces, locked keyring) leaves everything as it was.
        try:
            if key.strip():
                stored_in = self.studio.keys.save(key)
        except Exception as exc:  # noqa: BLE001 - a refused key or a locked keyring is one sentence
            self._show_error(f"The API key was not saved, nor anything else: {describe(exc) or type(exc).__name__}")
            return
        try:
            if changes:
                self.studio.update_settings(**changes)
        except Exception as exc:  # noqa: BLE001 - e.g. a read-only config.toml: one sentence
            self._show_key_source(f"The key was stored in the {stored_in}. " if stored_in else "")
            self._show_error(f"The settings were not saved: {describe(exc) or type(exc).__name__}")
            return
        message = f"Settings saved; API key stored in the {stored_in}." if stored_in else "Settings saved."
        self.app.notify(message, markup=False)  # the path may hold brackets
        self.dismiss(True)
