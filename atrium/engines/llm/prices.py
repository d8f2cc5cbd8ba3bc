"""What a model call costs, from a per-model price table shipped as data.

``data/prices.json`` records where its prices come from and when they were read; prices
are USD per million tokens. A model is matched by its exact name, then by the longest
known prefix (``gpt-4o-mini-2024-07-18`` is ``gpt-4o-mini``), after dropping a provider
prefix (``openai/gpt-4o``). An unknown model costs nothing and says so (``known``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

PRICES_FILE = Path(__file__).resolve().parent / "data" / "prices.json"
PER_TOKENS = 1_000_000


@dataclass(frozen=True)
class ModelPrice:
    model: str  # the table's entry that matched
    input_per_million: float
    output_per_million: float


@dataclass(frozen=True)
class PriceTable:
    source: str
    date: str
    prices: dict[str, ModelPrice]

    @classmethod
    def from_mapping(cls, raw: dict[str, Any]) -> PriceTable:
        prices = {
            name.lower(): ModelPrice(name.lower(), float(p["input"]), float(p["output"]))
            for name, p in raw["models"].items()
        }
        return cls(source=str(raw.get("source", "")), date=str(raw.get("date", "")), prices=prices)

    def price_of(self, model: str | None) -> ModelPrice | None:
        name = (model or "").strip().lower()
        if "/" in name:
            name = name.rsplit("/", 1)[1]
        if not name:
            return None
        exact = self.prices.get(name)
        if exact is not None:
            return exact
        best: ModelPrice | None = None
        for key, price in self.prices.items():
            if (
                name.startswith(key)
                and name[len(key)] in "-:@."
                and (best is None or len(key) > len(best.model))
            ):
                best = price
        return best

    def cost(self, model: str | None, input_tokens: int, output_tokens: int) -> Cost:
        price = self.price_of(model)
        if price is None:
            return Cost(0.0, 0.0, known=False)
        return Cost(
            input_tokens * price.input_per_million / PER_TOKENS,
            output_tokens * price.output_per_million / PER_TOKENS,
            known=True,
        )


@dataclass(frozen=True)
class Cost:
    input: float
    output: float
    known: bool

    @property
    def total(self) -> float:
        return self.input + self.output


@cache
def default_prices() -> PriceTable:
    return PriceTable.from_mapping(json.loads(PRICES_FILE.read_text()))


def cost_of(model: str | None, input_tokens: int, output_tokens: int) -> Cost:
    """The cost of one call at the shipped prices."""
    return default_prices().cost(model, input_tokens, output_tokens)
