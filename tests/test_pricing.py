from __future__ import annotations

from decimal import Decimal

import pytest

from promptstudio_tui.pricing import (
    DEFAULT_PRICES,
    MAX_COST_MICROS,
    Price,
    cost_micros,
    format_usd,
    parse_price_table,
    price_for,
)

REQUIRED_MODELS = {
    "gpt-4o", "gpt-4o-mini", "gpt-4.1", "gpt-4.1-mini", "gpt-4.1-nano", "o3", "o4-mini",
    "o3-mini", "gpt-4-turbo", "gpt-3.5-turbo", "gpt-5", "gpt-5-mini", "gpt-5-nano",
}  # fmt: skip


def test_defaults_cover_common_models_with_decimal_prices() -> None:
    assert DEFAULT_PRICES.keys() >= REQUIRED_MODELS
    for price in DEFAULT_PRICES.values():
        assert isinstance(price.input_per_mtok, Decimal) and isinstance(price.output_per_mtok, Decimal)
        assert 0 < price.input_per_mtok <= price.output_per_mtok
    assert DEFAULT_PRICES["gpt-4o"] == Price(Decimal("2.50"), Decimal("10.00"))


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        ("gpt-4o", "gpt-4o"),
        ("openai/gpt-4o", "gpt-4o"),
        ("gpt-4o-2024-08-06", "gpt-4o"),
        ("gpt-4o-mini-2024-07-18", "gpt-4o-mini"),
        ("openai/gpt-4o-mini-2024-07-18", "gpt-4o-mini"),
        ("gpt-4.1-nano-2025-04-14", "gpt-4.1-nano"),
        ("o3-mini-2025-01-31", "o3-mini"),
        ("gpt-3.5-turbo-0125", "gpt-3.5-turbo"),
        ("gpt-4-turbo-2024-04-09", "gpt-4-turbo"),
    ],
)
def test_price_for_known_names(model: str, expected: str) -> None:
    assert price_for(model) == DEFAULT_PRICES[expected]


@pytest.mark.parametrize(
    "model",
    ["llama3.1:8b", "o3-pro", "gpt-4o-realtime-preview", "gpt-4", "anthropic/claude-3.5-sonnet", ""],
)
def test_price_for_unknown_is_none(model: str) -> None:
    assert price_for(model) is None


def test_overrides_win_and_add_models() -> None:
    cheap = Price(Decimal("1"), Decimal("2"))
    router = Price(Decimal("3"), Decimal("4"))
    overrides = {"gpt-4o": cheap, "openai/gpt-4o": router, "my-local": Price(Decimal(0), Decimal(0))}
    assert price_for("gpt-4o", overrides) == cheap
    assert price_for("openai/gpt-4o", overrides) == router  # exact name before stripping
    assert price_for("azure/gpt-4o", overrides) == cheap
    assert price_for("gpt-4o-2024-11-20", overrides) == cheap
    assert price_for("my-local", overrides) == Price(Decimal(0), Decimal(0))
    assert price_for("gpt-4o-mini", overrides) == DEFAULT_PRICES["gpt-4o-mini"]


def test_cost_micros_is_exact_integer_math() -> None:
    # gpt-4o: $2.50 / $10.00 per 1M → 2.5 and 10 micros per token.
    assert cost_micros("gpt-4o", 1_000, 500) == 2_500 + 5_000
    assert cost_micros("gpt-4o", 1_000_000, 1_000_000) == 12_500_000
    assert cost_micros("gpt-4o", 0, 0) == 0
    # gpt-4o-mini: 0.15 + 0.60 micros per token.
    assert cost_micros("gpt-4o-mini", 123_456_789, 7) == 18_518_523  # 18_518_518.35 + 4.2 = …522.55


def test_cost_micros_rounds_half_up() -> None:
    assert cost_micros("gpt-4o", 1, 0) == 3  # 2.5 → 3
    assert cost_micros("gpt-4o-mini", 3, 0) == 0  # 0.45 → 0
    assert cost_micros("gpt-4o-mini", 10, 0) == 2  # 1.5 → 2
    assert cost_micros("gpt-5-nano", 30, 0) == 2  # 1.5 → 2


def test_cost_micros_unknown_is_none_not_zero() -> None:
    assert cost_micros("mystery-model", 1000, 1000) is None


def test_cost_micros_uses_overrides() -> None:
    overrides = {"mystery-model": Price(Decimal("0.5"), Decimal("1"))}
    assert cost_micros("mystery-model", 3, 1, overrides) == 3  # 1.5 + 1 = 2.5 → 3


def test_cost_micros_of_an_absurd_price_or_count_is_capped_at_what_can_be_stored() -> None:
    absurd = {"m": Price(Decimal("1e308"), Decimal("1e308"))}
    assert cost_micros("m", 10, 10, absurd) == MAX_COST_MICROS
    assert cost_micros("gpt-4o", 10**30, 10**30) == MAX_COST_MICROS
    assert format_usd(MAX_COST_MICROS).startswith("$9,223,372,036,854")


def test_cost_micros_rejects_negative_tokens() -> None:
    with pytest.raises(ValueError):
        cost_micros("gpt-4o", -1, 0)


@pytest.mark.parametrize(
    ("micros", "text"),
    [
        (None, "price unknown"),
        (0, "$0.0000"),
        (1, "<$0.0001"),
        (49, "<$0.0001"),
        (50, "$0.0001"),
        (12_300, "$0.0123"),
        (999_900, "$0.9999"),
        (999_950, "$1.00"),
        (1_000_000, "$1.00"),
        (1_234_567, "$1.23"),
        (12_345_000, "$12.35"),
        (1_234_567_890, "$1,234.57"),
    ],
)
def test_format_usd(micros: int | None, text: str) -> None:
    assert format_usd(micros) == text


def test_parse_price_table() -> None:
    table = parse_price_table({"gpt-4o": {"input": 2.5, "output": 10}, "openai/o3": {"input": 0.1, "output": 0}})
    assert table == {
        "gpt-4o": Price(Decimal("2.5"), Decimal("10")),
        "openai/o3": Price(Decimal("0.1"), Decimal("0")),  # not 0.1000000000000000055…
    }
    assert parse_price_table({}) == {}


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"output": 1}, r'prices\."m"\.input is missing'),
        ({"input": 1}, r'prices\."m"\.output is missing'),
        ({"input": -1, "output": 1}, r'prices\."m"\.input must not be negative'),
        ({"input": 1, "output": "2.0"}, r'prices\."m"\.output must be a number'),
        ({"input": True, "output": 1}, r'prices\."m"\.input must be a number'),
        ({"input": float("nan"), "output": 1}, r'prices\."m"\.input must be a finite number'),
        ({"input": 1, "output": float("inf")}, r'prices\."m"\.output must be a finite number'),
        ({"input": 1e308, "output": 1}, r'prices\."m"\.input must be at most 1,000,000 \(USD per 1M tokens\)'),
        ({"input": 1, "ouput": 1}, r'prices\."m": unknown field \'ouput\''),
        (3, r'prices\."m" must be a table'),
    ],
)
def test_parse_price_table_errors_name_model_and_field(entry: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_price_table({"m": entry})  # type: ignore[dict-item]
