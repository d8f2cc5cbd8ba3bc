"""The spec reshaped into the rows and hints the document templates print.

Templates receive fixed keys prepared here (and in `analysis_views` for the optional analyses),
so with `StrictUndefined` a template typo fails loudly, and text a user typed is escaped once,
here, before it lands in a Markdown table.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from typing import Any

from atrium.engines.architecture.model import (
    DATASTORE_KINDS,
    INSTANCE_KINDS,
    ArchitectureSpec,
    Component,
    ComponentKind,
)

View = dict[str, Any]

SIGNALS: dict[ComponentKind, str] = {
    ComponentKind.SERVICE: "p95 latency and 5xx rate against the SLO (e.g. 99.9% success, "
    "p95 under 300 ms); CPU and memory above 80%",
    ComponentKind.FUNCTION: "error rate, throttles, concurrency near the account limit, "
    "duration near the timeout",
    ComponentKind.DATABASE: "connections near the maximum, replication lag, slow queries, "
    "storage above 80%",
    ComponentKind.CACHE: "hit ratio dropping, evictions, memory above 80%",
    ComponentKind.QUEUE: "age of the oldest message, depth growing, dead-letter queue not empty",
    ComponentKind.OBJECT_STORAGE: "4xx/5xx rate, request spikes, unexpected public access",
    ComponentKind.CDN: "origin error rate, cache hit ratio dropping",
    ComponentKind.LOAD_BALANCER: "unhealthy targets, 5xx from targets, rejected connections",
    ComponentKind.GATEWAY: "429 (throttled) and 5xx rates, added latency",
    ComponentKind.EXTERNAL: "error rate and latency of calls to it, circuit breaker open",
}
FAILURE_MODES: dict[ComponentKind, tuple[str, str]] = {  # (symptoms, first steps)
    ComponentKind.DATABASE: (
        "callers time out or fail writes; reads may serve stale replicas",
        "check failover and replication status; promote a replica if one exists; otherwise "
        "restore from the latest backup or point-in-time recovery",
    ),
    ComponentKind.CACHE: (
        "latency rises as callers fall through to the source of truth, which may then overload",
        "fail over or restart the node, shed load at the front door, warm the cache gradually",
    ),
    ComponentKind.QUEUE: (
        "producers fail to enqueue or consumers stall; work is delayed and messages age",
        "scale consumers, inspect the dead-letter queue, replay messages after the fix",
    ),
    ComponentKind.OBJECT_STORAGE: (
        "uploads and downloads fail or slow down",
        "check the provider's status and the bucket policy; serve cached copies meanwhile",
    ),
}


def cell(value: Any) -> str:
    """Safe inside a Markdown table: a `|` or a line break would split the row."""
    return str(value).replace("|", "\\|").replace("\r", " ").replace("\n", " ")


def plural(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def yes_no(flag: bool) -> str:
    return "yes" if flag else "no"


def number(value: Any) -> float | None:
    """Only real numbers count: a bool is an int to Python, but never an amount here."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def money(value: Any) -> str:
    amount = number(value)
    return "n/a" if amount is None else f"${amount:,.2f}"


def count(value: Any) -> str:
    amount = number(value)
    if amount is None:
        return "n/a" if value is None else cell(value)
    return f"{amount:,.0f}" if amount.is_integer() else f"{amount:,.2f}"


def spec_view(spec: ArchitectureSpec) -> View:
    zones = {z.key: z for z in spec.trust_zones}
    calls: dict[str, list[str]] = defaultdict(list)
    called_by: dict[str, list[str]] = defaultdict(list)
    for link in spec.links:
        calls[link.source].append(f"{link.target} ({link.protocol})")
        called_by[link.target].append(link.source)

    def zone_name(c: Component) -> str:
        zone = zones.get(c.trust_zone) if c.trust_zone else None
        return cell(zone.name) if zone else (cell(c.trust_zone) if c.trust_zone else "none")

    components = [
        {
            "key": cell(c.key),
            "name": cell(c.name),
            "kind": str(c.kind),
            "technology": cell(c.technology or "-"),
            "zone": zone_name(c),
            "replicas": c.replicas,
            "scaling": "autoscaling" if c.autoscaling else "fixed",
            "public": yes_no(c.public),
            "calls": ", ".join(calls.get(c.key, [])) or "nothing",
            "called_by": ", ".join(called_by.get(c.key, [])) or "nobody (entry point)",
            "signals": SIGNALS[c.kind],
            "datastore": c.kind in DATASTORE_KINDS,
        }
        for c in spec.components
    ]
    links = [
        {
            "source": cell(link.source),
            "target": cell(link.target),
            "protocol": str(link.protocol),
            "classification": str(link.data_classification),
            "encrypted": yes_no(link.encrypted),
            "authenticated": yes_no(link.authenticated),
            "description": cell(link.description or "-"),
        }
        for link in spec.links
    ]
    return {
        "provider": str(spec.provider),
        "region": spec.region,
        "peak_factor": count(spec.peak_factor),
        "zones": [
            {"name": z.name, "key": z.key, "trust_level": z.trust_level} for z in spec.trust_zones
        ],
        "components": components,
        "links": links,
        "failure_modes": _failure_modes(spec, called_by),
        "facts": (
            f"{plural(len(spec.components), 'component')} in "
            f"{plural(len(spec.trust_zones), 'trust zone')}, "
            f"joined by {plural(len(spec.links), 'link')}, on {spec.provider} in {spec.region}"
        ),
    }


def _failure_modes(spec: ArchitectureSpec, called_by: Mapping[str, list[str]]) -> list[View]:
    modes = []
    for c in spec.components:
        if c.kind not in FAILURE_MODES:
            continue
        symptoms, steps = FAILURE_MODES[c.kind]
        single = c.kind in INSTANCE_KINDS and c.replicas <= 1 and not c.autoscaling
        modes.append(
            {
                "key": c.key,
                "name": c.name,
                "kind": str(c.kind),
                "impacted": ", ".join(called_by.get(c.key, [])) or "no modelled callers",
                "symptoms": symptoms,
                "steps": steps,
                "single_point": single,
                "storage": count(c.storage_gb) if c.storage_gb else None,
            }
        )
    return modes


def open_questions(spec: ArchitectureSpec, cost: View | None, threats: View | None) -> list[str]:
    """Questions a reviewer would ask anyway, raised from gaps the spec itself shows."""
    questions = []
    undecided = [
        c.key for c in spec.components if not c.technology and c.kind != ComponentKind.EXTERNAL
    ]
    if undecided:
        questions.append(f"Which technology will these components use: {', '.join(undecided)}?")
    plain = [f"{x.source}->{x.target}" for x in spec.links if not x.encrypted]
    if plain:
        questions.append(f"Can these links be encrypted in transit: {', '.join(plain)}?")
    single = [
        c.key
        for c in spec.components
        if c.kind in INSTANCE_KINDS and c.replicas <= 1 and not c.autoscaling
    ]
    if single:
        questions.append(f"Is one replica without autoscaling acceptable for: {', '.join(single)}?")
    if threats and threats["urgent"]:
        questions.append(
            f"Who owns the {len(threats['urgent'])} critical and high threats, and by when?"
        )
    if cost and cost["knee"]:
        questions.append(f"Is the cost knee ({cost['knee']}) within the growth plan?")
    return questions
