"""config.toml, environment and flags, and one clear error for a bad file."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from promptstudio_tui.actions import remappable
from promptstudio_tui.catalog import CATEGORIES
from promptstudio_tui.config import ConfigError, load_settings, save_top_level

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_without_a_file(tmp_path: Path) -> None:
    settings = load_settings(tmp_path / "missing.toml")
    assert settings.plan == "free"
    assert (settings.limits.tokens_limit, settings.limits.requests_limit) == (10_000, 50)
    assert settings.sources["model"] == "default"


def test_file_values_tables_and_sources(tmp_path: Path) -> None:
    cfg = write(
        tmp_path / "config.toml",
        """
base_url = "http://localhost:11434/v1"
model = "llama3.1"
plan = "pro"
temperature = 0.2
max_tokens = 300

[generate]
max_tokens = 2000

[plans.pro]
tokens_limit = 5000

[prices."llama3.1"]
input = 0.5
output = 1.5

[keymap]
"studio.generate_prompt" = "f5, f12"
""",
    )
    s = load_settings(cfg)
    assert (s.base_url, s.model, s.plan) == ("http://localhost:11434/v1", "llama3.1", "pro")
    assert (s.chat.temperature, s.chat.max_tokens) == (0.2, 300)
    assert (s.generate.temperature, s.generate.max_tokens) == (0.3, 2000)
    assert (s.limits.tokens_limit, s.limits.requests_limit) == (5000, 2000)
    assert str(s.prices["llama3.1"].output_per_mtok) == "1.5"
    assert s.keymap == {"studio.generate_prompt": "f5,f12"}  # as Textual reads it: no spaces
    assert s.sources["model"] == str(cfg)


def test_environment_then_flags_override(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = write(tmp_path / "config.toml", 'base_url = "http://file/v1"\nmodel = "from-file"\n')
    monkeypatch.setenv("OPENAI_BASE_URL", "http://env/v1")
    s = load_settings(cfg)
    assert s.base_url == "http://env/v1" and s.sources["base_url"] == "environment variable OPENAI_BASE_URL"
    s = load_settings(cfg, {"base_url": "http://flag/v1", "model": "flag-model", "plan": None})
    assert (s.base_url, s.model) == ("http://flag/v1", "flag-model")
    assert s.sources["model"] == "--model flag"


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [
        ('model = "a"\nplan = "pro\n', 2, "not valid TOML"),
        ('model = "a"\n\ncolour = "red"\n', 3, "unknown setting 'colour'"),
        ('model = "a"\ntemperature = "hot"\n', 2, "temperature must be a number"),
        ("max_tokens = 1.5\n", 1, "max_tokens must be a whole number"),
        ('model = "a"\n[plans.gold]\ntokens_limit = 1\n', 2, "unknown plan [plans.gold]"),
        ('[keymap]\n"composer.send" = 5\n', 2, "[keymap] composer.send must be a string of keys"),
        ('[keymap]\n"composer.send" = " , "\n', 2, "[keymap] composer.send must be a string of keys"),
        (
            '[keymap]\n"app.help" = "f1"\nsend = "f2"\n',
            3,
            "[keymap] send is not an action (did you mean composer.send?)",
        ),
        ('[keymap]\n"studio.load_earlier" = "f6"\n', 2, "[keymap] studio.load_earlier is not an action"),
        (
            '[keymap]\n"studio.search" = "ctrl+g"\n',
            2,
            "ctrl+g is bound to both studio.generate_prompt and studio.search",
        ),
        (
            '[keymap]\n"studio.zoom" = "ctrl+w"\n',
            2,
            "[keymap] ctrl+w for studio.zoom is the composer's own key",
        ),
        (
            '[keymap]\n"app.help" = "f1"\n"composer.send" = "ctrl+n"\n',
            3,
            "[keymap] ctrl+n for studio.new_conversation is the composer's own key",
        ),
        ('model = "a"\ncategories = ["Legal", 3]\n', 2, 'categories must be a list of names like ["Legal"'),
        ('categories = ["  "]\n', 1, "categories must be a list of names"),
        (f'model = "a"\ncategories = ["{"x" * 41}"]\n', 2, "is longer than 40 characters"),
        ("timeout = -1\n", 1, "must not be negative"),
        (
            'model = "a"\n[generate]\nmax_tokens = 10\ntarget = "gpt"\n',
            4,
            "[generate] target must be one of general, claude, reasoning, not 'gpt'",
        ),
        ("[generate]\ntarget = 3\n", 2, "target must be a string"),
        ('model = "a"\ntemperature = nan\n', 2, "temperature must be a finite number, not nan"),
        ("timeout = inf\n", 1, "timeout must be a finite number, not inf"),
        ("timeout = 0\n", 1, "timeout must be more than 0 seconds"),
        ('model = "a"\n[generate]\ntemperature = -nan\n', 3, "temperature must be a finite number"),
    ],
)
def test_bad_files_name_file_and_line(tmp_path: Path, text: str, line: int, fragment: str) -> None:
    cfg = write(tmp_path / "config.toml", text)
    with pytest.raises(ConfigError) as info:
        load_settings(cfg)
    message = str(info.value)
    assert message.startswith(f"{cfg}, line {line}: ")
    assert fragment in message
    assert "\n" not in message


def test_configured_categories_follow_the_built_in_ones(tmp_path: Path) -> None:
    assert load_settings(tmp_path / "missing.toml").categories == CATEGORIES
    cfg = write(tmp_path / "config.toml", 'categories = [" Legal ", "research", "Support", "Legal"]\n')
    assert load_settings(cfg).categories == (*CATEGORIES, "Legal", "Support")  # a built-in is not doubled


def test_an_unknown_keymap_id_lists_every_valid_one(tmp_path: Path) -> None:
    cfg = write(tmp_path / "config.toml", '[keymap]\n"studio.genrate" = "f5"\n')
    with pytest.raises(ConfigError) as info:
        load_settings(cfg)
    for valid in remappable():
        assert valid in str(info.value)


def test_keymap_may_swap_keys_and_reuse_a_key_in_another_pane(tmp_path: Path) -> None:
    text = '[keymap]\n"studio.new_conversation" = "ctrl+g"\n"studio.generate_prompt" = "ctrl+n"\n"prompts.copy" = "y"\n"conversations.star" = "y"\n'
    keymap = load_settings(write(tmp_path / "config.toml", text)).keymap
    assert keymap["studio.generate_prompt"] == "ctrl+n" and keymap["prompts.copy"] == "y"


def test_unknown_plan_flag_names_the_choices(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="free, pro, enterprise"):
        load_settings(tmp_path / "none.toml", {"plan": "gold"})


def test_save_top_level_keeps_comments_and_tables(tmp_path: Path) -> None:
    cfg = write(tmp_path / "config.toml", '# my notes\nmodel = "old"\n\n[plans.free]\ntokens_limit = 99\n')
    save_top_level(cfg, {"model": 'new "quoted"', "temperature": 0.4})
    text = cfg.read_text()
    assert text.startswith("# my notes\n")
    s = load_settings(cfg)
    assert (s.model, s.chat.temperature, s.limits.tokens_limit) == ('new "quoted"', 0.4, 99)
    assert cfg.stat().st_mode & 0o077 == 0


def test_generate_target_defaults_to_general_and_is_read_from_generate(tmp_path: Path) -> None:
    assert load_settings(tmp_path / "missing.toml").generate_target == "general"
    cfg = write(tmp_path / "config.toml", '[generate]\ntarget = "claude"\nmax_tokens = 3000\n')
    settings = load_settings(cfg)
    assert (settings.generate_target, settings.generate.max_tokens) == ("claude", 3000)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=st.text(), number=st.floats(allow_nan=False, allow_infinity=False))
def test_any_value_settings_writes_reads_back_the_same(tmp_path: Path, value: str, number: float) -> None:
    """Control characters, quotes, backslashes, any Unicode: the writer's TOML always parses back."""
    cfg = write(tmp_path / "config.toml", '# mine\nmodel = "old"\n\n[generate]\ntarget = "claude"\n')
    save_top_level(cfg, {"model": value, "base_url": value + "\x00\x7f\\", "timeout": abs(number)})
    read = tomllib.loads(cfg.read_text(encoding="utf-8"))
    assert read["model"] == value and read["base_url"] == value + "\x00\x7f\\"
    assert read["timeout"] == abs(number) and read["generate"] == {"target": "claude"}


@pytest.mark.parametrize("number", [math.nan, math.inf])
def test_the_writer_refuses_nan_and_inf_and_leaves_the_file(tmp_path: Path, number: float) -> None:
    cfg = write(tmp_path / "config.toml", "temperature = 0.5\n")
    with pytest.raises(ValueError, match="finite number"):
        save_top_level(cfg, {"temperature": number})
    assert cfg.read_text(encoding="utf-8") == "temperature = 0.5\n"
    assert [p.name for p in tmp_path.iterdir()] == ["config.toml"]
