"""Cost optimizations, each with a monthly saving computed from the design's own numbers.

Savings are quoted against the design as analysed and are not additive (reserving an
instance that right-sizing would shrink counts the same dollars twice). Each suggestion
names the scale point it is priced at: the largest, where decisions bite, except
autoscaling, whose saving shows at the smallest, where fixed replicas sit idle.

- RESERVED_CAPACITY: instances that run at every analysed scale point (fixed replicas, and
  the floor an autoscaler never goes below) at the catalog's 1-year reserved discount.
- SPOT_CAPACITY: the replicas an autoscaled stateless SERVICE (no block storage) adds above
  that floor, at the spot discount: those are the ones that can be interrupted.
- ADD_CACHE: a DATABASE with load and no CACHE beside it (none linked to it or to its
  callers). Assumes READ_SHARE of queries are reads and a cache serves CACHE_HIT_RATIO of
  them; the saving is the database replicas no longer needed to stay under the target
  utilization, minus a cache of the default class sized for the reads.
- ADD_CDN: public egress not already behind a CDN (linked from one, directly or through
  load balancers and gateways), repriced at the CDN's $/GB (the origin-to-CDN transfer,
  free on AWS and discounted elsewhere, is left out).
- ENABLE_AUTOSCALING: a fixed SERVICE with more replicas than the smallest scale point
  needs; autoscaling would keep the larger of that need and min(given, 2) for availability.
- RIGHT_SIZE: an instance below RIGHT_SIZE_BELOW utilization at the largest scale point;
  the cheapest class of the same pool that stays under the target (with the same replicas,
  or as many as autoscaling would run); caches keep at least their memory, and burstable
  classes are skipped (they sustain a fraction of their vCPUs).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum

from atrium.engines.architecture.capacity import (
    TARGET_UTILIZATION,
    CapacityPlan,
    ComponentCapacity,
    capacity_of,
    dimensions,
    needed_replicas,
    size,
    utilization,
)
from atrium.engines.architecture.cost_lines import Pricer, fmt, to_cents, usd
from atrium.engines.architecture.model import Component, ComponentKind

READ_SHARE = 0.8
CACHE_HIT_RATIO = 0.8
RIGHT_SIZE_BELOW = 0.3
_PROXIES = (ComponentKind.LOAD_BALANCER, ComponentKind.GATEWAY)
_INSTANCE_KINDS = (ComponentKind.SERVICE, ComponentKind.DATABASE, ComponentKind.CACHE)


class OptimizationKind(StrEnum):
    RESERVED_CAPACITY = "RESERVED_CAPACITY"
    SPOT_CAPACITY = "SPOT_CAPACITY"
    ADD_CACHE = "ADD_CACHE"
    ADD_CDN = "ADD_CDN"
    ENABLE_AUTOSCALING = "ENABLE_AUTOSCALING"
    RIGHT_SIZE = "RIGHT_SIZE"


@dataclass(frozen=True, slots=True)
class Optimization:
    kind: OptimizationKind
    title: str
    detail: str
    component_keys: tuple[str, ...]
    at_users: int
    monthly_saving_cents: int

    @property
    def monthly_saving(self) -> float:
        return self.monthly_saving_cents / 100


def suggest_optimizations(pricer: Pricer, plan: CapacityPlan) -> tuple[Optimization, ...]:
    found = [
        *_reserved(pricer, plan),
        *_spot(pricer, plan),
        *_caches(pricer, plan),
        *_cdn(pricer, plan),
        *_autoscaling(pricer, plan),
        *_right_size(pricer, plan),
    ]
    found = [o for o in found if o.monthly_saving_cents > 0]
    return tuple(sorted(found, key=lambda o: (-o.monthly_saving_cents, o.kind, o.component_keys)))


def _instances(plan: CapacityPlan) -> Iterator[ComponentCapacity]:
    return (c for c in plan.capacities if c.component.kind in _INSTANCE_KINDS and c.instance)


def _floor(plan: CapacityPlan, key: str) -> int:
    return min(plan.at(users)[key].replicas for users in plan.scale_points)


def _hourly(cap: ComponentCapacity) -> float:
    return cap.instance.hourly_usd if cap.instance else 0.0


def _reserved(pricer: Pricer, plan: CapacityPlan) -> Iterator[Optimization]:
    keys, on_demand = [], 0.0
    for cap in _instances(plan):
        keys.append(cap.component.key)
        on_demand += pricer.instance_month(_hourly(cap), _floor(plan, cap.component.key))
    share = pricer.catalog.discounts.reserved_1y
    if keys:
        yield Optimization(
            OptimizationKind.RESERVED_CAPACITY,
            "Reserve the capacity that always runs",
            f"{len(keys)} instance components run at every scale point; their "
            f"{usd(on_demand)}/month on-demand is {share:.0%} cheaper on a 1-year "
            "commitment.",
            tuple(keys),
            plan.scale_points[-1],
            to_cents(on_demand * share),
        )


def _spot(pricer: Pricer, plan: CapacityPlan) -> Iterator[Optimization]:
    largest, keys, burst_cost = plan.scale_points[-1], [], 0.0
    for cap in _instances(plan):
        c = cap.component
        if c.kind is not ComponentKind.SERVICE or not cap.autoscaled or c.storage_gb > 0:
            continue
        burst = plan.at(largest)[c.key].replicas - _floor(plan, c.key)
        if burst > 0:
            keys.append(c.key)
            burst_cost += pricer.instance_month(_hourly(cap), burst)
    share = pricer.catalog.discounts.spot
    if keys:
        yield Optimization(
            OptimizationKind.SPOT_CAPACITY,
            "Run autoscaled stateless replicas on spot capacity",
            f"The replicas autoscaling adds at {largest:,} users cost {usd(burst_cost)}/month "
            f"on-demand; spot capacity is typically {share:.0%} cheaper.",
            tuple(keys),
            largest,
            to_cents(burst_cost * share),
        )


def _caches(pricer: Pricer, plan: CapacityPlan) -> Iterator[Optimization]:
    kinds = {c.component.key: c.component.kind for c in plan.capacities}
    neighbours: dict[str, set[str]] = {key: set() for key in kinds}
    callers: dict[str, set[str]] = {key: set() for key in kinds}
    for link in pricer.spec.links:
        if link.source in kinds and link.target in kinds:
            neighbours[link.source].add(link.target)
            neighbours[link.target].add(link.source)
            callers[link.target].add(link.source)
    largest = plan.scale_points[-1]
    for db in plan.capacities:
        c = db.component
        if c.kind is not ComponentKind.DATABASE or db.instance is None:
            continue
        near = neighbours[c.key].union(*(neighbours[k] for k in callers[c.key]))
        if c.requests_per_user_per_day <= 0 or any(kinds[k] is ComponentKind.CACHE for k in near):
            continue
        s = plan.at(largest)[c.key]
        offloaded = s.peak_rps * (1 - READ_SHARE * CACHE_HIT_RATIO)
        before = max(c.replicas, needed_replicas(dimensions(db, s.peak_rps, s.connections)))
        after = max(c.replicas, needed_replicas(dimensions(db, offloaded, s.connections)))
        if after >= before:
            continue
        storage = c.storage_gb * pricer.catalog.prices.database_storage_gb_month
        per_replica = pricer.instance_month(db.instance.hourly_usd, 1) + pricer.rate(storage)
        freed = (before - after) * per_replica
        cache = _cache_for(pricer, db, READ_SHARE)
        cache_replicas = size(cache, largest).needed_replicas
        cache_cost = pricer.instance_month(_hourly(cache), cache_replicas)
        yield Optimization(
            OptimizationKind.ADD_CACHE,
            f"Put a cache in front of {c.name}",
            f"If a cache served {CACHE_HIT_RATIO:.0%} of the "
            f"{READ_SHARE:.0%} of queries that are reads, {c.name} would need "
            f"{after} replicas instead of {before} at {largest:,} users ({usd(freed)}/month), "
            f"for {cache_replicas} x {cache.instance.name if cache.instance else '?'} "
            f"({usd(cache_cost)}/month).",
            (c.key,),
            largest,
            to_cents(freed - cache_cost),
        )


def _cache_for(pricer: Pricer, db: ComponentCapacity, read_share: float) -> ComponentCapacity:
    c = db.component
    proposed = Component(
        key=f"{c.key}-cache",
        name=f"{c.name} cache",
        kind=ComponentKind.CACHE,
        requests_per_user_per_day=c.requests_per_user_per_day * read_share,
    )
    return capacity_of(pricer.spec, pricer.catalog, db.index, proposed)


def _cdn(pricer: Pricer, plan: CapacityPlan) -> Iterator[Optimization]:
    behind_cdn = _reachable_from_cdn(pricer, plan)
    largest, prices = plan.scale_points[-1], pricer.catalog.prices
    keys, gb = [], 0.0
    for cap in plan.capacities:
        egress = pricer.egress_gb(cap, largest)
        if egress > 0 and cap.component.key not in behind_cdn:
            keys.append(cap.component.key)
            gb += egress
    egress_rate, cdn_rate = pricer.rate(prices.egress_per_gb), pricer.rate(prices.cdn_per_gb)
    if keys and egress_rate > cdn_rate:
        yield Optimization(
            OptimizationKind.ADD_CDN,
            "Serve public responses through a CDN",
            f"{fmt(gb)} GB/month of internet egress at {largest:,} users costs "
            f"${fmt(egress_rate)}/GB; CDN delivery costs ${fmt(cdn_rate)}/GB.",
            tuple(keys),
            largest,
            to_cents(gb * (egress_rate - cdn_rate)),
        )


def _reachable_from_cdn(pricer: Pricer, plan: CapacityPlan) -> set[str]:
    """Components a CDN already fronts: linked from a CDN, directly or through proxies.

    Load balancers and gateways pass responses back through the CDN; a service does not
    pass through what it calls (an object store it links to serves its own downloads).
    """
    kinds = {c.component.key: c.component.kind for c in plan.capacities}
    targets: dict[str, list[str]] = {}
    for link in pricer.spec.links:
        targets.setdefault(link.source, []).append(link.target)
    seen: set[str] = set()
    stack = [key for key, kind in kinds.items() if kind is ComponentKind.CDN]
    while stack:
        for target in targets.get(stack.pop(), ()):
            if target not in seen and target in kinds:
                seen.add(target)
                if kinds[target] in _PROXIES:
                    stack.append(target)
    return seen


def _autoscaling(pricer: Pricer, plan: CapacityPlan) -> Iterator[Optimization]:
    smallest, keys, idle = plan.scale_points[0], [], 0.0
    for cap in _instances(plan):
        c = cap.component
        if c.kind is not ComponentKind.SERVICE or cap.autoscaled:
            continue
        keep = max(plan.at(smallest)[c.key].needed_replicas, min(c.replicas, 2))
        if c.replicas > keep:
            keys.append(c.key)
            idle += pricer.instance_month(_hourly(cap), c.replicas - keep)
    if keys:
        yield Optimization(
            OptimizationKind.ENABLE_AUTOSCALING,
            "Autoscale over-provisioned fixed replicas",
            f"At {smallest:,} users these services run more replicas than the load needs "
            f"(keeping two for availability); autoscaling would save {usd(idle)}/month there.",
            tuple(keys),
            smallest,
            to_cents(idle),
        )


def _right_size(pricer: Pricer, plan: CapacityPlan) -> Iterator[Optimization]:
    largest = plan.scale_points[-1]
    for cap in _instances(plan):
        c, current, s = cap.component, cap.instance, plan.at(largest)[cap.component.key]
        if current is None or s.utilization >= RIGHT_SIZE_BELOW:
            continue
        if s.peak_rps <= 0 and s.connections <= 0:
            continue  # no load given: nothing to size against
        now = pricer.instance_month(current.hourly_usd, s.replicas)
        for candidate in pricer.catalog.pool(current.pool):
            if candidate.hourly_usd >= current.hourly_usd:
                break
            if candidate.burstable:
                continue  # sized on full vCPUs, which a burstable class does not sustain
            if c.kind is ComponentKind.CACHE and candidate.memory_gb < current.memory_gb:
                continue
            smaller = capacity_of(pricer.spec, pricer.catalog, cap.index, c, candidate)
            dims = dimensions(smaller, s.peak_rps, s.connections)
            replicas = max(c.replicas, needed_replicas(dims)) if cap.autoscaled else s.replicas
            if utilization(dims, replicas)[0] > TARGET_UTILIZATION:
                continue
            then = pricer.instance_month(candidate.hourly_usd, replicas)
            if then < now:
                yield Optimization(
                    OptimizationKind.RIGHT_SIZE,
                    f"Right-size {c.name}",
                    f"{c.name} is {s.utilization:.0%} utilized at {largest:,} users; "
                    f"{replicas} x {candidate.name} would stay under "
                    f"{TARGET_UTILIZATION:.0%} (check memory headroom).",
                    (c.key,),
                    largest,
                    to_cents(now - then),
                )
            break


__all__ = ["Optimization", "OptimizationKind", "suggest_optimizations"]
