"""Settings: defaults, then config.toml, then environment, then command-line flags."""

from __future__ import annotations

import difflib
import math
import os
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

from promptstudio_tui.catalog import CATEGORIES
from promptstudio_tui.safe_files import PRIVATE, write_file

DEFAULT_BASE_URL = "https://api.openai.com/v1"
DEFAULT_MODEL = "gpt-4o-mini"
PLAN_NAMES = ("free", "pro", "enterprise")
# Who the generated prompt is written for ([generate] target): markdown sections for any
# model, XML-tagged sections for Claude, goal and constraints only for reasoning models.
GENERATE_TARGETS = ("general", "claude", "reasoning")


@dataclass(frozen=True)
class PlanLimits:
    tokens_limit: int
    requests_limit: int


# The free tier is the product's published one; pro and enterprise are generous
# local defaults (documented in the README) that a team can tune in config.toml.
DEFAULT_PLANS = {
    "free": PlanLimits(10_000, 50),
    "pro": PlanLimits(1_000_000, 2_000),
    "enterprise": PlanLimits(10_000_000, 20_000),
}


@dataclass(frozen=True)
class ModeSettings:
    temperature: float
    max_tokens: int


@dataclass(frozen=True)
class Settings:
    base_url: str = DEFAULT_BASE_URL
    model: str = DEFAULT_MODEL
    plan: str = "free"
    chat: ModeSettings = ModeSettings(0.7, 800)
    generate: ModeSettings = ModeSettings(0.3, 1500)
    generate_target: str = "general"  # one of GENERATE_TARGETS
    timeout: float = 60.0
    context_window: int | None = None
    export_dir: str = "~"  # where the studio's export dialog puts files ("~": the home folder)
    categories: tuple[str, ...] = CATEGORIES  # the built-in ones, then those config.toml adds
    plans: Mapping[str, PlanLimits] = field(default_factory=lambda: dict(DEFAULT_PLANS))
    prices: Mapping[str, Any] = field(default_factory=dict)  # model -> pricing.Price
    keymap: Mapping[str, str] = field(default_factory=dict)
    # Where each of base_url/model/plan came from, for the settings screen.
    sources: Mapping[str, str] = field(default_factory=dict)

    @property
    def limits(self) -> PlanLimits:
        return self.plans[self.plan]

    def with_values(self, **values: Any) -> Settings:
        return replace(self, **values)


class ConfigError(Exception):
    """One clear sentence naming the file and, where known, the line."""

    def __init__(self, path: Path, message: str, line: int | None = None):
        where = f"{path}, line {line}" if line else str(path)
        super().__init__(f"{where}: {message}")
        self.path, self.line = path, line


_TOP_KEYS = {
    "base_url": str,
    "model": str,
    "plan": str,
    "temperature": float,
    "max_tokens": int,
    "timeout": float,
    "context_window": int,
    "export_dir": str,
}
_TABLES = {"plans", "prices", "keymap", "generate"}
CATEGORY_CHARS = 40


def load_settings(config_file: Path, overrides: Mapping[str, str | None] | None = None) -> Settings:
    """Build the effective settings; `overrides` are command-line flags (None = not given)."""
    raw, text = _read(config_file)
    settings = Settings(sources={k: "default" for k in ("base_url", "model", "plan")})
    settings = _apply_file(settings, raw, text, config_file)
    sources = dict(settings.sources)
    env_url = os.environ.get("OPENAI_BASE_URL")
    if env_url:
        settings = settings.with_values(base_url=env_url)
        sources["base_url"] = "environment variable OPENAI_BASE_URL"
    for key, value in (overrides or {}).items():
        if value is not None:
            settings = settings.with_values(**{key: value})
            sources[key] = f"--{key.replace('_', '-')} flag"
    if settings.plan not in settings.plans:
        raise ConfigError(config_file, f"unknown plan {settings.plan!r}; choose one of {', '.join(PLAN_NAMES)}")
    return settings.with_values(sources=sources)


def _read(path: Path) -> tuple[dict[str, Any], str]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}, ""
    except UnicodeDecodeError as exc:  # name the line, like every other config error
        line = exc.object[: exc.start].count(b"\n") + 1
        raise ConfigError(path, f"is not valid UTF-8 (byte 0x{exc.object[exc.start]:02x})", line) from None
    except OSError as exc:
        raise ConfigError(path, f"cannot be read ({exc.__class__.__name__}: {exc})") from None
    try:
        return tomllib.loads(text), text
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"\(at line (\d+), column \d+\)", str(exc))
        reason = re.sub(r"\s*\(at line.*\)$", "", str(exc))
        raise ConfigError(path, f"is not valid TOML: {reason}", int(match.group(1)) if match else None) from None


def _line_of(text: str, key: str, table: str | None = None) -> int | None:
    """Best-effort line of `key = ...` or of a `[table` header, for error messages.

    With `table` ("generate", "plans.pro"), look inside that table first: the same key
    name may appear at the top level or in another table earlier in the file."""
    if key.startswith("["):
        pattern = re.compile(rf"^[ \t]*{re.escape(key)}", re.MULTILINE)
    else:
        pattern = re.compile(rf'^[ \t]*("?){re.escape(key)}\1[ \t]*=', re.MULTILINE)
    start, end = 0, len(text)
    if table is not None:
        header = re.compile(rf"^[ \t]*\[[ \t]*{re.escape(table)}[ \t]*\]", re.MULTILINE).search(text)
        if header is not None:
            start = header.end()
            following = re.compile(r"^[ \t]*\[", re.MULTILINE).search(text, start)
            end = following.start() if following else len(text)
    match = pattern.search(text, start, end) or pattern.search(text)
    return text.count("\n", 0, match.start()) + 1 if match else None


def _typed(value: Any, kind: type, key: str, path: Path, text: str, table: str | None = None) -> Any:
    ok = isinstance(value, kind) and not isinstance(value, bool)
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        value, ok = float(value), True
    if not ok:
        expected = {str: "a string", int: "a whole number", float: "a number"}[kind]
        raise ConfigError(path, f"{key} must be {expected}, not {value!r}", _line_of(text, key, table))
    if kind is float and not math.isfinite(value):  # nan and inf are TOML floats, not settings
        raise ConfigError(path, f"{key} must be a finite number, not {value!r}", _line_of(text, key, table))
    if kind in (int, float) and value < 0:
        raise ConfigError(path, f"{key} must not be negative", _line_of(text, key, table))
    return value


def _known_keys(values: dict[str, Any], known: tuple[str, ...], table: str, path: Path, text: str) -> None:
    """A typo inside a table (`token_limit`) must not be silently ignored."""
    for key in values:
        if key not in known:
            raise ConfigError(
                path, f"unknown setting {key!r} in [{table}] (known: {', '.join(known)})", _line_of(text, key, table)
            )


def _apply_file(settings: Settings, raw: dict[str, Any], text: str, path: Path) -> Settings:
    from promptstudio_tui.pricing import parse_price_table

    for key in raw:
        if key not in _TOP_KEYS and key not in _TABLES and key != "categories":
            known = ", ".join(sorted([*_TOP_KEYS, *_TABLES, "categories"]))
            raise ConfigError(path, f"unknown setting {key!r} (known: {known})", _line_of(text, key))
    top = {k: _typed(raw[k], t, k, path, text) for k, t in _TOP_KEYS.items() if k in raw}
    if top.get("timeout") == 0:  # every request would time out at once
        raise ConfigError(path, "timeout must be more than 0 seconds", _line_of(text, "timeout"))
    sources = dict(settings.sources)
    for key in ("base_url", "model", "plan"):
        if key in top:
            sources[key] = str(path)
    keys = ("base_url", "model", "plan", "timeout", "context_window", "export_dir")
    values: dict[str, Any] = {k: top[k] for k in keys if k in top}
    values["chat"] = ModeSettings(
        top.get("temperature", settings.chat.temperature), top.get("max_tokens", settings.chat.max_tokens)
    )
    if "categories" in raw:
        values["categories"] = _categories(raw["categories"], path, text)
    gen = _table(raw, "generate", path, text)
    _known_keys(gen, ("temperature", "max_tokens", "target"), "generate", path, text)
    values["generate"] = ModeSettings(
        _typed(gen.get("temperature", settings.generate.temperature), float, "temperature", path, text, "generate"),
        _typed(gen.get("max_tokens", settings.generate.max_tokens), int, "max_tokens", path, text, "generate"),
    )
    target = _typed(gen.get("target", settings.generate_target), str, "target", path, text, "generate")
    if target not in GENERATE_TARGETS:
        raise ConfigError(
            path,
            f"[generate] target must be one of {', '.join(GENERATE_TARGETS)}, not {target!r}",
            _line_of(text, "target", "generate"),
        )
    values["generate_target"] = target
    plans = dict(settings.plans)
    for name, limits in _table(raw, "plans", path, text).items():
        if name not in PLAN_NAMES:
            raise ConfigError(
                path,
                f"unknown plan [plans.{name}]; plans are {', '.join(PLAN_NAMES)}",
                _line_of(text, f"[plans.{name}"),
            )
        table = f"plans.{name}"
        if not isinstance(limits, dict):  # `pro = 5` under [plans] was silently ignored
            raise ConfigError(path, f"[plans] {name} must be a table like [{table}]", _line_of(text, name, "plans"))
        _known_keys(limits, ("tokens_limit", "requests_limit"), table, path, text)
        base = plans[name]
        plans[name] = PlanLimits(
            _typed(limits.get("tokens_limit", base.tokens_limit), int, "tokens_limit", path, text, table),
            _typed(limits.get("requests_limit", base.requests_limit), int, "requests_limit", path, text, table),
        )
    values["plans"] = plans
    try:
        values["prices"] = parse_price_table(_table(raw, "prices", path, text))
    except ValueError as exc:
        raise ConfigError(path, str(exc), _line_of(text, "[prices")) from None
    values["keymap"] = _keymap(_table(raw, "keymap", path, text), path, text)
    values["sources"] = sources
    return settings.with_values(**values)


def _categories(value: Any, path: Path, text: str) -> tuple[str, ...]:
    """The built-in categories, then the configured ones (a built-in named again is not doubled)."""
    names = value if isinstance(value, list) else [value]
    if not all(isinstance(name, str) and name.strip() and "\n" not in name for name in names):
        raise ConfigError(
            path, 'categories must be a list of names like ["Legal", "Support"]', _line_of(text, "categories")
        )
    if too_long := [name for name in names if len(name.strip()) > CATEGORY_CHARS]:
        message = f"categories: {too_long[0].strip()[:CATEGORY_CHARS]}… is longer than {CATEGORY_CHARS} characters"
        raise ConfigError(path, message, _line_of(text, "categories"))
    known = {name.casefold() for name in CATEGORIES}
    added = [name.strip() for name in names if name.strip().casefold() not in known]
    return CATEGORIES + tuple(dict.fromkeys(added))


def _keymap(table: dict[str, Any], path: Path, text: str) -> dict[str, str]:
    """Action id -> "key,key", checked against the action registry."""
    from promptstudio_tui.actions import clashes, remappable, shadowed, split_keys

    valid = remappable()
    keymap: dict[str, str] = {}
    for action_id, keys in table.items():
        line = _line_of(text, action_id, "keymap")
        if action_id not in valid:
            # "generate_prompt" or "send": the README once showed ids without their place.
            tail = action_id.rpartition(".")[2]
            close = [v for v in valid if v.endswith(f".{tail}")] or difflib.get_close_matches(action_id, valid, n=1)
            guess = f" (did you mean {' or '.join(close)}?)" if close else ""
            raise ConfigError(
                path, f"[keymap] {action_id} is not an action{guess}; the actions are {', '.join(valid)}", line
            )
        if not isinstance(keys, str) or not split_keys(keys):
            raise ConfigError(path, f'[keymap] {action_id} must be a string of keys like "ctrl+g" or "f5,ctrl+r"', line)
        keymap[action_id] = ",".join(split_keys(keys))  # Textual reads "f5, ctrl+r" as the key " ctrl+r"
    # A clash is an error, not a warning: Textual would keep one of the two and silently
    # drop the other action's key, and the user, who has just edited this table, fixes it
    # fastest with the line in front of them (every other mistake in this file stops too).
    for key, first, second in clashes(keymap):
        remapped = second if second in keymap else first
        message = f"[keymap] {key} is bound to both {first} and {second}; give one of them another key"
        raise ConfigError(path, message, _line_of(text, remapped, "keymap"))
    for key, action_id in shadowed(keymap):
        message = f"[keymap] {key} for {action_id} is the composer's own key, so it would do nothing while you type; pick another"
        remapped = next(name for name, bound in keymap.items() if key in split_keys(bound))
        raise ConfigError(path, message, _line_of(text, remapped, "keymap"))
    return keymap


def _table(raw: dict[str, Any], name: str, path: Path, text: str) -> dict[str, Any]:
    value = raw.get(name, {})
    if not isinstance(value, dict):
        raise ConfigError(path, f"{name} must be a table ([{name}])", _line_of(text, name))
    return value


def save_top_level(config_file: Path, values: Mapping[str, str | float | int]) -> None:
    """Set top-level scalar keys in config.toml, keeping the user's comments and layout."""
    text = config_file.read_text(encoding="utf-8") if config_file.exists() else ""
    lines = text.splitlines()
    first_table = next((i for i, line in enumerate(lines) if line.lstrip().startswith("[")), len(lines))
    for key, value in values.items():
        rendered = f"{key} = {_toml_scalar(value)}"
        pattern = re.compile(rf"^\s*{re.escape(key)}\s*=")
        for i in range(first_table):
            if pattern.match(lines[i]):
                lines[i] = rendered
                break
        else:
            lines.insert(first_table, rendered)
            first_table += 1
    # A config.toml that is a link (dotfiles kept elsewhere) is the user's own: the config
    # folder is private to them. The file it points at is replaced, not the link.
    target = config_file.resolve() if config_file.is_symlink() else config_file
    write_file(target, "\n".join(lines) + "\n", overwrite=True, mode=PRIVATE)


# TOML's basic strings may not hold control characters other than tab: each is escaped.
_TOML_ESCAPES = {"\\": "\\\\", '"': '\\"', "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r"}
_TOML_NEEDS_ESCAPE = re.compile(r'[\\"\x00-\x08\x0a-\x1f\x7f]')


def _toml_scalar(value: str | float | int) -> str:
    """`value` as TOML that reads back as the same value (ValueError for nan and inf)."""
    if isinstance(value, str):
        escaped = _TOML_NEEDS_ESCAPE.sub(lambda m: _TOML_ESCAPES.get(m[0], f"\\u{ord(m[0]):04x}"), value)
        return f'"{escaped}"'
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"A setting must be a finite number, not {value!r}; config.toml was left as it was.")
    return repr(value)
