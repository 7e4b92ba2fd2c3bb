"""Model → price, and cost in integer micro-dollars (1 USD = 1_000_000 micros).

Money is never a float: prices are Decimal, costs are whole micros.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

MICROS_PER_USD = 1_000_000
# No model costs anywhere near this (USD per 1M tokens); a config price above it is a typo.
MAX_PRICE_USD = Decimal(1_000_000)
# The most a cost can be: what SQLite can store. Only an absurd token count or price reaches it.
MAX_COST_MICROS = 2**63 - 1


@dataclass(frozen=True)
class Price:
    input_per_mtok: Decimal  # USD per 1M prompt tokens
    output_per_mtok: Decimal  # USD per 1M completion tokens


def _p(input_usd: str, output_usd: str) -> Price:
    return Price(Decimal(input_usd), Decimal(output_usd))


# OpenAI's published standard-tier list prices (USD per 1M tokens), as of 2025.
# They change and exclude discounts (cached input, batch, flex); users override
# them in config.toml under [prices."model"].
DEFAULT_PRICES: dict[str, Price] = {
    "gpt-5": _p("1.25", "10.00"),
    "gpt-5-mini": _p("0.25", "2.00"),
    "gpt-5-nano": _p("0.05", "0.40"),
    "gpt-4.1": _p("2.00", "8.00"),
    "gpt-4.1-mini": _p("0.40", "1.60"),
    "gpt-4.1-nano": _p("0.10", "0.40"),
    "gpt-4o": _p("2.50", "10.00"),
    "gpt-4o-mini": _p("0.15", "0.60"),
    "o3": _p("2.00", "8.00"),
    "o3-mini": _p("1.10", "4.40"),
    "o4-mini": _p("1.10", "4.40"),
    "gpt-4-turbo": _p("10.00", "30.00"),
    "gpt-3.5-turbo": _p("0.50", "1.50"),
}

# Only a date stamp may follow a known name ("gpt-4o-2024-08-06", "gpt-3.5-turbo-0125"):
# "o3-pro" or "gpt-4o-realtime-preview" cost differently, and "unknown" beats a wrong price.
_SNAPSHOT_SUFFIX = re.compile(r"-(?:\d{4}-\d{2}-\d{2}|\d{4})")

_FIELDS = {"input": "input_per_mtok", "output": "output_per_mtok"}


def price_for(model: str, overrides: Mapping[str, Price] | None = None) -> Price | None:
    table = {**DEFAULT_PRICES, **(overrides or {})}
    bare = model.rsplit("/", 1)[-1]  # "openai/gpt-4o" (OpenRouter, GitHub Models)
    for name in (model, bare):
        if name in table:
            return table[name]
    snapshots = [known for known in table if bare.startswith(known) and _SNAPSHOT_SUFFIX.fullmatch(bare, len(known))]
    return table[max(snapshots, key=len)] if snapshots else None


def cost_micros(
    model: str,
    prompt_tokens: int,
    completion_tokens: int,
    overrides: Mapping[str, Price] | None = None,
) -> int | None:
    """Cost in whole micro-dollars, or None when the price is unknown (never 0 for unknown)."""
    if prompt_tokens < 0 or completion_tokens < 0:
        raise ValueError("token counts must not be negative")
    price = price_for(model, overrides)
    if price is None:
        return None
    # USD per 1M tokens is exactly micro-USD per token.
    micros = prompt_tokens * price.input_per_mtok + completion_tokens * price.output_per_mtok
    if micros >= MAX_COST_MICROS:  # before quantize, which cannot hold more than 28 digits
        return MAX_COST_MICROS
    return int(micros.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def format_usd(micros: int | None) -> str:
    """ "$0.0123" under $1, "$12.34" from $1; "price unknown" for None."""
    if micros is None:
        return "price unknown"
    usd = Decimal(micros).scaleb(-6)
    small = usd.quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)
    if small < 1:
        # A real but tiny cost must not read as free.
        return "<$0.0001" if micros > 0 and small == 0 else f"${small}"
    return f"${usd.quantize(Decimal('0.01'), rounding=ROUND_HALF_UP):,}"


def parse_price_table(raw: Mapping[str, Mapping[str, object]]) -> dict[str, Price]:
    """Parse config.toml's [prices."model"] tables: input = <USD/1M>, output = <USD/1M>."""
    prices: dict[str, Price] = {}
    for model, entry in raw.items():
        if not isinstance(entry, Mapping):
            raise ValueError(f'prices."{model}" must be a table with input and output')
        unknown = sorted(set(entry) - set(_FIELDS))
        if unknown:
            raise ValueError(f'prices."{model}": unknown field {unknown[0]!r} (use input and output)')
        values = {attr: _usd(model, key, entry.get(key)) for key, attr in _FIELDS.items()}
        prices[model] = Price(**values)
    return prices


def _usd(model: str, key: str, value: object) -> Decimal:
    where = f'prices."{model}".{key}'
    if value is None:
        raise ValueError(f"{where} is missing (USD per 1M tokens)")
    # bool is an int subclass; "true" is not a price.
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
        raise ValueError(f"{where} must be a number, got {value!r}")
    # str() keeps TOML's 2.5 as Decimal("2.5") rather than its binary expansion.
    amount = Decimal(str(value)) if isinstance(value, float) else Decimal(value)
    if not amount.is_finite():
        raise ValueError(f"{where} must be a finite number, got {value!r}")
    if amount < 0:
        raise ValueError(f"{where} must not be negative, got {value!r}")
    if amount > MAX_PRICE_USD:
        raise ValueError(f"{where} must be at most {MAX_PRICE_USD:,} (USD per 1M tokens), got {value!r}")
    return amount
