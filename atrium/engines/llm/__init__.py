"""The LLM proxy, the pure part: prices, usage-limit windows and rules, statistics.

- `cost_of(model, input_tokens, output_tokens)` prices a call from the shipped table
  (``data/prices.json``, with its source and date);
- `window_at(interval, now, anchor)` is a limit's current window and next reset;
- `applicable`, `crossed` decide which limits a call counts against and which warning
  thresholds (80%, 100%) a change of usage crosses;
- `timeframe`, `group_usage`, `group_usage_by` cut a range into buckets and build series
  per key (several groupings in one pass).

Nothing here touches a database, the network or the clock.
"""

from atrium.engines.llm.limits import (
    THRESHOLDS,
    LimitEntity,
    LimitRule,
    LimitType,
    Subject,
    applicable,
    crossed,
)
from atrium.engines.llm.prices import Cost, ModelPrice, PriceTable, cost_of, default_prices
from atrium.engines.llm.statistics import (
    TIMEFRAMES,
    Group,
    Timeframe,
    TimeframeError,
    Totals,
    UsageRow,
    group_usage,
    group_usage_by,
    timeframe,
)
from atrium.engines.llm.windows import Clock, LimitInterval, Window, system_clock, window_at

__all__ = [
    "THRESHOLDS",
    "TIMEFRAMES",
    "Clock",
    "Cost",
    "Group",
    "LimitEntity",
    "LimitInterval",
    "LimitRule",
    "LimitType",
    "ModelPrice",
    "PriceTable",
    "Subject",
    "Timeframe",
    "TimeframeError",
    "Totals",
    "UsageRow",
    "Window",
    "applicable",
    "cost_of",
    "crossed",
    "default_prices",
    "group_usage",
    "group_usage_by",
    "system_clock",
    "timeframe",
    "window_at",
]
