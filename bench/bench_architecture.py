"""Architecture engines on a 200-component design: cost, scalability and threats.

Builds the design deterministically (a CDN, a load balancer and a gateway in front of
repeating cells of services, databases, caches, queues, workers, object stores and
third-party APIs, across three trust zones), then times each analysis over 5 scale points
as the median of N runs (time.perf_counter).

Targets: cost under 50 ms, scalability under 200 ms for 200 components and 5 points.
Baseline, measured in the same run: the same analyses of a 20-component design built the
same way, so the ratio shows how the engines scale with the design's size.

    python -m bench.bench_architecture [--components 200] [--runs 21]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from typing import Any

from atrium.engines.architecture.cost import analyze_cost
from atrium.engines.architecture.model import (
    ArchitectureSpec,
    Component,
    ComponentKind,
    DataClassification,
    Link,
    Protocol,
    TrustZone,
)
from atrium.engines.architecture.scalability import analyze_scalability
from atrium.engines.architecture.threats import analyze_threats

SCALE_POINTS = (1_000, 10_000, 100_000, 1_000_000, 10_000_000)
BASELINE_COMPONENTS = 20
TARGETS_MS = {"cost": 50.0, "scalability": 200.0, "threats": 50.0}
SERVICE_CLASSES = ("m6i.large", "m6i.xlarge", "c6i.xlarge", "m7g.large", "r6i.large")
DATABASE_CLASSES = ("db.m6i.large", "db.m6i.xlarge", "db.r6i.large", "db.m6i.2xlarge")
ZONES = (
    TrustZone("internet", "Internet", 0),
    TrustZone("dmz", "DMZ", 1),
    TrustZone("private", "Private", 2),
)
# One cell: what a team's slice of a larger system looks like.
CELL = (
    ComponentKind.SERVICE,
    ComponentKind.DATABASE,
    ComponentKind.CACHE,
    ComponentKind.QUEUE,
    ComponentKind.FUNCTION,
    ComponentKind.OBJECT_STORAGE,
    ComponentKind.SERVICE,
    ComponentKind.EXTERNAL,
)


def build(n: int) -> ArchitectureSpec:
    """`n` components: a CDN, a load balancer and a gateway, then cells until n."""
    components = [
        Component(
            "cdn",
            "CDN",
            ComponentKind.CDN,
            requests_per_user_per_day=200,
            payload_kb=40,
            trust_zone="internet",
            public=True,
        ),
        Component(
            "lb",
            "Load balancer",
            ComponentKind.LOAD_BALANCER,
            requests_per_user_per_day=120,
            payload_kb=15,
            trust_zone="dmz",
        ),
        Component(
            "gw",
            "API gateway",
            ComponentKind.GATEWAY,
            requests_per_user_per_day=120,
            payload_kb=15,
            trust_zone="dmz",
        ),
    ]
    links = [Link("cdn", "lb"), Link("lb", "gw")]
    cell = 0
    while len(components) < n:
        members: dict[ComponentKind, str] = {}
        for position, kind in enumerate(CELL):
            if len(components) >= n:
                break
            key = f"c{cell}-{position}-{kind.value.lower()}"
            components.append(_member(key, kind, cell, position))
            if kind in members:  # the cell's second service, called by its first
                links.append(Link(members[kind], key, Protocol.GRPC))
            members.setdefault(kind, key)
        links += _cell_links(members)
        cell += 1
    return ArchitectureSpec(components=tuple(components), links=tuple(links), trust_zones=ZONES)


def _member(key: str, kind: ComponentKind, cell: int, position: int) -> Component:
    rate = 10 + (cell * 7 + position * 3) % 40
    if kind is ComponentKind.SERVICE:
        return Component(
            key,
            key,
            kind,
            SERVICE_CLASSES[(cell + position) % 5],
            replicas=2 + cell % 3,
            requests_per_user_per_day=rate,
            payload_kb=8,
            trust_zone="private",
            autoscaling=(cell + position) % 2 == 0,
            storage_gb=20 if position == 6 else 0,
        )
    if kind is ComponentKind.DATABASE:
        return Component(
            key,
            key,
            kind,
            DATABASE_CLASSES[cell % 4],
            replicas=1 + cell % 2,
            storage_gb=100 + 50 * (cell % 5),
            requests_per_user_per_day=rate * 3,
            trust_zone="private",
            autoscaling=cell % 3 == 0,
        )
    if kind is ComponentKind.CACHE:
        return Component(key, key, kind, requests_per_user_per_day=rate * 5, trust_zone="private")
    if kind is ComponentKind.OBJECT_STORAGE:
        return Component(
            key,
            key,
            kind,
            storage_gb=500 + 100 * cell,
            payload_kb=200,
            requests_per_user_per_day=rate / 4,
            trust_zone="private",
            public=cell % 4 == 0,
        )
    return Component(key, key, kind, requests_per_user_per_day=rate / 2, trust_zone="private")


def _cell_links(members: dict[ComponentKind, str]) -> list[Link]:
    service = members.get(ComponentKind.SERVICE)
    if service is None:
        return []
    links = [Link("gw", service)]
    edges = (
        (service, ComponentKind.DATABASE, Protocol.SQL, DataClassification.CONFIDENTIAL),
        (service, ComponentKind.CACHE, Protocol.TCP, DataClassification.INTERNAL),
        (service, ComponentKind.QUEUE, Protocol.AMQP, DataClassification.INTERNAL),
        (service, ComponentKind.OBJECT_STORAGE, Protocol.HTTPS, DataClassification.INTERNAL),
        (service, ComponentKind.EXTERNAL, Protocol.HTTPS, DataClassification.RESTRICTED),
    )
    for source, kind, protocol, data in edges:
        if kind in members:
            links.append(Link(source, members[kind], protocol, data))
    if ComponentKind.QUEUE in members and ComponentKind.FUNCTION in members:
        links.append(
            Link(members[ComponentKind.QUEUE], members[ComponentKind.FUNCTION], Protocol.AMQP)
        )
        if ComponentKind.DATABASE in members:
            links.append(
                Link(
                    members[ComponentKind.FUNCTION],
                    members[ComponentKind.DATABASE],
                    Protocol.SQL,
                    DataClassification.CONFIDENTIAL,
                )
            )
    return links


def _median_ms(run: Callable[[], Any], runs: int) -> float:
    run()  # warm: the catalog is loaded and cached on first use
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        run()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def _analyses(spec: ArchitectureSpec) -> dict[str, Callable[[], Any]]:
    found: dict[str, Callable[[], Any]] = {
        "cost": lambda: analyze_cost(spec, SCALE_POINTS),
        "scalability": lambda: analyze_scalability(spec, SCALE_POINTS),
        "threats": lambda: analyze_threats(spec),
    }
    return found


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--components", type=int, default=200)
    parser.add_argument("--runs", type=int, default=21)
    args = parser.parse_args(argv if argv is not None else [])
    spec, baseline = build(args.components), build(BASELINE_COMPONENTS)
    print(
        f"{len(spec.components)} components, {len(spec.links)} links, "
        f"{len(spec.trust_zones)} trust zones; {len(SCALE_POINTS)} scale points; "
        f"median of {args.runs} runs (baseline: {len(baseline.components)} components)"
    )
    measured, small = _analyses(spec), _analyses(baseline)
    for name, run in measured.items():
        ms, base_ms = _median_ms(run, args.runs), _median_ms(small[name], args.runs)
        line = (
            f"{name:<12} {ms:8.2f} ms   baseline {base_ms:7.2f} ms   "
            f"ratio to baseline {ms / base_ms:6.2f}x"
        )
        target = TARGETS_MS.get(name)
        if target is not None:
            verdict = "met" if ms <= target else "NOT met"
            line += f"   target {target:.0f} ms: {ms / target:.3f} of it, {verdict}"
        print(line)


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
