"""Reports to JSON-able dicts: what `to_dict()` on every analysis report returns.

Results are stored as JSON and read back by templates and the REST layer, so the shape is
plain: snake_case keys, lists for tuples, enum values, None for an infinite figure (JSON
has no infinity). Money is carried as whole cents, which sum exactly; every
`<name>_cents` field is also given as `<name>` in dollars, the shape the seed's REST
responses use (`monthly_cost`, `breakdown.compute`, ...).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import fields, is_dataclass
from enum import Enum
from typing import Any

_CENTS = "_cents"


def to_jsonable(value: Any) -> Any:
    if is_dataclass(value) and not isinstance(value, type):
        result: dict[str, Any] = {}
        for field in fields(value):
            item = getattr(value, field.name)
            if field.name.endswith(_CENTS) and isinstance(item, int):
                result[field.name[: -len(_CENTS)]] = item / 100
            result[field.name] = to_jsonable(item)
        return result
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Mapping):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_jsonable(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


__all__ = ["to_jsonable"]
