"""The optional cost, scalability and threat results, reshaped for the document templates.

They arrive as other engines' `to_dict()` output, and those shapes may grow or change; so every
value is read with a default, numbers are formatted only when they are numbers, and the
templates receive fixed keys. An analysis missing a field prints "n/a"; an unknown field of a
scalability item is still shown, as "name: value".
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from atrium.engines.architecture.document_views import View, cell, count, money, number

MAX_THREAT_ROWS = 25
_SEVERITIES = ("CRITICAL", "HIGH", "MEDIUM", "LOW")
_NAME_KEYS = ("component", "key", "name", "element")
_BREAKDOWN = ("compute", "storage", "database", "data_transfer")


def _rows(value: Any) -> list[Mapping[str, Any]]:
    if not isinstance(value, list | tuple):
        return []
    return [item for item in value if isinstance(item, Mapping)]


def _name(item: Mapping[str, Any]) -> str:
    return next((str(item[k]) for k in _NAME_KEYS if item.get(k) not in (None, "")), "?")


def cost_view(cost: Mapping[str, Any] | None) -> View | None:
    if not isinstance(cost, Mapping):
        return None
    estimates = []
    for e in _rows(cost.get("estimates")):
        parts = e.get("breakdown")
        breakdown = parts if isinstance(parts, Mapping) else {}
        estimates.append(
            {
                "users": count(e.get("users")),
                "monthly": money(e.get("monthly_cost")),
                **{k: money(breakdown.get(k)) for k in _BREAKDOWN},
            }
        )
    optimizations = [
        {
            "title": cell(o.get("title") or o.get("kind") or "Optimization"),
            "kind": cell(o.get("kind") or "-"),
            "saving": money(o.get("monthly_saving")),
        }
        for o in _rows(cost.get("optimizations"))
    ]
    return {"estimates": estimates, "knee": _knee(cost.get("knee")), "optimizations": optimizations}


def _knee(knee: Any) -> str | None:
    """The scale point where cost stops growing linearly: a number of users, or a record."""
    if knee is None or knee == {}:
        return None
    if isinstance(knee, Mapping):
        users = knee.get("users")
        detail = knee.get("reason") or knee.get("description") or knee.get("title")
        text = f"at {count(users)} users" if users is not None else "reached"
        return f"{text}: {detail}" if detail else text
    return f"at {count(knee)} users" if number(knee) is not None else str(knee)


def scalability_view(scalability: Mapping[str, Any] | None) -> View | None:
    if not isinstance(scalability, Mapping):
        return None
    raw = scalability.get("bottleneck")
    bottleneck: str | None
    bottleneck_key: str | None = None
    if isinstance(raw, Mapping):
        bottleneck_key = _name(raw)
        bottleneck = f"{bottleneck_key}: {_facts(raw)}" if _facts(raw) else bottleneck_key
    else:
        bottleneck = str(raw) if raw not in (None, "") else None
    rows = next(
        (
            _rows(scalability[k])
            for k in ("components", "items", "results")
            if _rows(scalability.get(k))
        ),
        [],
    )
    items = [{"component": cell(_name(item)), "facts": cell(_facts(item))} for item in rows]
    return {"bottleneck": bottleneck, "bottleneck_key": bottleneck_key, "rows": items}


def _facts(item: Mapping[str, Any]) -> str:
    """Every scalar field but the name, so fields this module has never heard of still show."""
    return ", ".join(
        f"{k}: {count(v)}"
        for k, v in item.items()
        if k not in _NAME_KEYS and (isinstance(v, str | int | float) or v is None)
    )


def threats_view(threats: Mapping[str, Any] | None) -> View | None:
    if not isinstance(threats, Mapping):
        return None
    rows = [
        {
            "severity": cell(t.get("severity") or "?"),
            "category": cell(t.get("category") or "?"),
            "element": cell(t.get("element") or "?"),
            "title": cell(t.get("title") or "Threat"),
            "mitigation": cell(t.get("mitigation") or "-"),
        }
        for t in _rows(threats.get("threats"))
    ]
    by_severity = {s: sum(1 for r in rows if r["severity"] == s) for s in _SEVERITIES}
    summary = threats.get("summary")
    risk = summary.get("risk_score") if isinstance(summary, Mapping) else None
    return {
        "total": len(rows),
        "by_severity": by_severity,
        "risk_score": count(risk) if risk is not None else None,
        "rows": rows[:MAX_THREAT_ROWS],
        "more": max(len(rows) - MAX_THREAT_ROWS, 0),
        "urgent": [r for r in rows if r["severity"] in ("CRITICAL", "HIGH")],
    }
