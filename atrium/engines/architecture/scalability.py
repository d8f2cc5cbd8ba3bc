"""Scalability analysis: utilization, replicas, latency and the bottleneck at each scale point.

The capacity figures per kind (service times, requests/s per vCPU, connection and IOPS
limits, managed quotas) and how replicas follow load are documented in `capacity.py`;
the queueing formula (Erlang C) in `queueing.py`. This module adds what only this report
needs:

- Latency per component: the M/M/c mean response time with c = servers per replica x
  replicas, lam = the component's peak requests/s and 1/mu its kind's service time.
  A component at utilization >= 1 on any resource (CPU, IOPS, connections, quota) is
  saturated: its queue grows without bound, its latency is infinite (None in `to_dict`).
- End-to-end latency: the request path starts at the public components (or, when none is
  public, at those no link reaches) and follows links; the reported figure is the slowest
  such path, the sum of its components' latencies. A QUEUE ends a path, since whatever
  consumes it runs asynchronously; a link that closes a cycle is not followed.
- The bottleneck: for every component that cannot grow by itself (not autoscaled), the
  fewest users at which it reaches utilization 1 with its given replicas
  (`saturation.py`); the smallest wins, ties going to the component listed first.
  Autoscaled components are left out: they add replicas instead of saturating.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from atrium.engines.architecture.capacity import (
    TARGET_UTILIZATION,
    CapacityPlan,
    ComponentCapacity,
    Sizing,
    plan_capacity,
)
from atrium.engines.architecture.catalog import catalog_for
from atrium.engines.architecture.model import ArchitectureSpec, ComponentKind
from atrium.engines.architecture.queueing import mmc_response_time
from atrium.engines.architecture.report_json import to_jsonable
from atrium.engines.architecture.saturation import saturation_users


@dataclass(frozen=True, slots=True)
class ComponentAtScale:
    users: int
    peak_rps: float
    replicas: int
    needed_replicas: int  # to stay at or below the target utilization
    utilization: float  # the highest over its resources; >= 1 is saturated
    limiting_resource: str | None  # cpu, iops, connections, throughput, concurrency
    saturated: bool
    latency_ms: float  # math.inf when saturated (None in to_dict)
    connections: float  # database connections held; 0 for other kinds


@dataclass(frozen=True, slots=True)
class ComponentScalability:
    key: str
    name: str
    kind: str
    instance_class: str | None
    vcpu: int | None
    replicas: int  # as given
    autoscaling: bool  # as modelled: managed kinds never autoscale here
    capacity_rps_per_replica: float | None  # None: no limit
    service_time_ms: float
    max_connections: int | None
    iops: int | None
    saturation_users: int | None  # with the given replicas; None: never
    saturation_resource: str | None
    points: tuple[ComponentAtScale, ...]


@dataclass(frozen=True, slots=True)
class ScalePointSummary:
    users: int
    end_to_end_latency_ms: float  # the slowest request path; math.inf if it saturates
    critical_path: tuple[str, ...]  # component keys, entry first
    saturated_components: tuple[str, ...]
    max_utilization: float


@dataclass(frozen=True, slots=True)
class Bottleneck:
    key: str
    name: str
    saturation_users: int
    limiting_resource: str


@dataclass(frozen=True, slots=True)
class ScalabilityReport:
    scale_points: tuple[int, ...]
    target_utilization: float
    components: tuple[ComponentScalability, ...]
    points: tuple[ScalePointSummary, ...]
    bottleneck: Bottleneck | None
    saturation_order: tuple[Bottleneck, ...]  # every component that can saturate, first first

    def to_dict(self) -> dict[str, Any]:
        result: dict[str, Any] = to_jsonable(self)
        return result


def analyze_scalability(spec: ArchitectureSpec, scale_points: Sequence[int]) -> ScalabilityReport:
    plan = plan_capacity(spec, catalog_for(spec.provider), scale_points)
    latencies = {users: _latencies(plan, plan.at(users)) for users in plan.scale_points}
    components = tuple(_component(plan, cap, latencies) for cap in plan.capacities)
    order = sorted(
        (
            (c.saturation_users, i, c)
            for i, c in enumerate(components)
            if c.saturation_users is not None and not c.autoscaling
        ),
        key=lambda item: (item[0], item[1]),
    )
    saturation_order = tuple(
        Bottleneck(c.key, c.name, users, c.saturation_resource or "") for users, _, c in order
    )
    paths = _RequestPaths(spec, plan)
    points = tuple(
        _summary(users, plan.at(users), latencies[users], paths) for users in plan.scale_points
    )
    return ScalabilityReport(
        scale_points=plan.scale_points,
        target_utilization=TARGET_UTILIZATION,
        components=components,
        points=points,
        bottleneck=saturation_order[0] if saturation_order else None,
        saturation_order=saturation_order,
    )


def _latencies(plan: CapacityPlan, at: Mapping[str, Sizing]) -> dict[str, float]:
    """Seconds per component at one scale point."""
    result = {}
    for cap in plan.capacities:
        sizing = at[cap.component.key]
        if sizing.saturated:
            result[cap.component.key] = math.inf
        elif cap.servers_per_replica is None:
            result[cap.component.key] = cap.service_time_s
        else:
            servers = cap.servers_per_replica * sizing.replicas
            result[cap.component.key] = mmc_response_time(
                servers, sizing.peak_rps, cap.service_time_s
            )
    return result


def _component(
    plan: CapacityPlan, cap: ComponentCapacity, latencies: Mapping[int, Mapping[str, float]]
) -> ComponentScalability:
    c = cap.component
    saturation = saturation_users(cap, plan.upstream.get(c.key, ()))
    points = []
    for users in plan.scale_points:
        s = plan.at(users)[c.key]
        points.append(
            ComponentAtScale(
                users=users,
                peak_rps=s.peak_rps,
                replicas=s.replicas,
                needed_replicas=s.needed_replicas,
                utilization=s.utilization,
                limiting_resource=s.limiting_resource,
                saturated=s.saturated,
                latency_ms=latencies[users][c.key] * 1000.0,
                connections=s.connections,
            )
        )
    return ComponentScalability(
        key=c.key,
        name=c.name,
        kind=c.kind.value,
        instance_class=cap.instance.name if cap.instance else None,
        vcpu=cap.instance.vcpu if cap.instance else None,
        replicas=c.replicas,
        autoscaling=cap.autoscaled,
        capacity_rps_per_replica=cap.rps_per_replica,
        service_time_ms=cap.service_time_s * 1000.0,
        max_connections=cap.max_connections,
        iops=cap.iops,
        saturation_users=saturation.users if saturation else None,
        saturation_resource=saturation.resource if saturation else None,
        points=tuple(points),
    )


class _RequestPaths:
    """The link graph a request follows, built once and walked at every scale point."""

    def __init__(self, spec: ArchitectureSpec, plan: CapacityPlan) -> None:
        kinds = {cap.component.key: cap.component.kind for cap in plan.capacities}
        self.next: dict[str, list[str]] = {key: [] for key in kinds}
        reached = set()
        for link in spec.links:
            if link.source not in kinds or link.target not in kinds:
                continue
            if kinds[link.source] is ComponentKind.QUEUE:
                continue
            if link.target not in self.next[link.source]:
                self.next[link.source].append(link.target)
            reached.add(link.target)
        public = [c.key for c in spec.components if c.public and c.key in kinds]
        self.entries = public or [k for k in kinds if k not in reached] or list(kinds)

    def slowest(self, latency: Mapping[str, float]) -> tuple[float, tuple[str, ...]]:
        """The slowest path from any entry: (seconds, keys), by an iterative DFS."""
        if not self.entries:
            return 0.0, ()
        best: dict[str, tuple[float, str | None]] = {}
        visiting: set[str] = set()
        for entry in self.entries:
            if entry in best:
                continue
            visiting.add(entry)
            stack = [(entry, iter(self.next[entry]))]
            while stack:
                node, children = stack[-1]
                child = next((c for c in children if c not in best and c not in visiting), None)
                if child is not None:
                    visiting.add(child)
                    stack.append((child, iter(self.next[child])))
                    continue
                stack.pop()
                visiting.discard(node)
                tail, after = 0.0, None
                for c in self.next[node]:
                    if c in best and (after is None or best[c][0] > tail):
                        tail, after = best[c][0], c
                best[node] = (latency[node] + tail, after)
        start = max(self.entries, key=lambda key: best[key][0])
        path, at = [start], best[start][1]
        while at is not None:
            path.append(at)
            at = best[at][1]
        return best[start][0], tuple(path)


def _summary(
    users: int, at: Mapping[str, Sizing], latency: Mapping[str, float], paths: _RequestPaths
) -> ScalePointSummary:
    seconds, path = paths.slowest(latency)
    return ScalePointSummary(
        users=users,
        end_to_end_latency_ms=seconds * 1000.0,
        critical_path=path,
        saturated_components=tuple(key for key, s in at.items() if s.saturated),
        max_utilization=max((s.utilization for s in at.values()), default=0.0),
    )


__all__ = [
    "Bottleneck",
    "ComponentAtScale",
    "ComponentScalability",
    "ScalabilityReport",
    "ScalePointSummary",
    "analyze_scalability",
]
