"""The capacity model the cost and scalability engines share.

Cost needs the replicas each component runs at a scale point; scalability needs the same
replicas plus utilization and latency. Computing them in one place keeps the two reports
consistent: the bill always prices exactly the fleet the scalability report sizes.

Each component is a pool of servers (an M/M/c queue in `queueing.py`). Per kind:

    kind            service time  servers per replica  capacity per replica
    SERVICE         10 ms         vCPUs                100 rps per vCPU
    DATABASE        2 ms          vCPUs                500 queries/s per vCPU
    CACHE           0.04 ms       vCPUs                25,000 ops/s per vCPU
    QUEUE           10 ms         30                   3,000 messages/s
    FUNCTION        100 ms        1,000 (concurrency)  10,000 rps
    OBJECT_STORAGE  20 ms         110                  5,500 requests/s
    CDN             10 ms         2,500                250,000 rps
    GATEWAY         10 ms         100                  10,000 rps
    LOAD_BALANCER   1 ms          no limit             -
    EXTERNAL        100 ms        no limit             -

Where the figures come from (engineering rules of thumb, not measurements of the user's
code): a JSON API handler doing light work spends about 10 ms of CPU per request; a
pgbench-style mixed OLTP load runs a few thousand transactions/s on 4-8 vCPUs (2 ms per
query per vCPU); redis-benchmark reports about 100k GET/SET per second per core, of which
we take a quarter for network, TLS and larger values. The managed kinds use the providers'
documented default quotas (AWS figures, the tightest of the three): SQS FIFO with batching
(3,000 msg/s; standard queues are nearly unlimited, so this is conservative), Lambda's
regional concurrency of 1,000 at an assumed 100 ms per invocation, S3's 5,500 GET/s per
prefix, CloudFront's 250,000 rps per distribution, API Gateway's 10,000 rps account
throttle. Load balancers scale themselves with no documented ceiling; an EXTERNAL service
is someone else's capacity, so neither ever saturates. Burstable classes (t3, B-series,
e2-medium) count their full vCPUs, as in unlimited mode (whose surcharge is not priced).

A database has two more limits: connections and IOPS. `max_connections` follows RDS
PostgreSQL's default, LEAST(memory / 9,531,392 bytes, 5000); the connections it must hold
are the pools of the services linked to it (10 per replica, HikariCP's default pool) plus
one per concurrent execution of a linked function (Little's law: rps x duration). IOPS is
gp3's 3,000 baseline (12,000 for 400 GB and more, which RDS stripes over four volumes),
with 0.25 I/O per query (a warm buffer cache serves most reads; writes flush the WAL).

Replicas: an autoscaled SERVICE, DATABASE or CACHE runs enough replicas to stay at or
below TARGET_UTILIZATION, never fewer than the given replicas (its minimum, as HPA's
minReplicas). A fixed component keeps its given replicas and may saturate. Managed kinds
are never autoscaled here: their replicas count shards, prefixes or distributions, each
worth one quota, and raising a quota is a support request, not an autoscaler's job.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from atrium.engines.architecture.catalog import Catalog, InstanceClass
from atrium.engines.architecture.model import (
    SECONDS_PER_DAY,
    ArchitectureSpec,
    Component,
    ComponentKind,
)
from atrium.engines.architecture.scale_points import InvalidScalePoints, validate_scale_points

TARGET_UTILIZATION = 0.7
POOL_CONNECTIONS_PER_REPLICA = 10
BYTES_PER_CONNECTION = 9_531_392
MAX_CONNECTIONS_CAP = 5_000
BASELINE_IOPS = 3_000
STRIPED_IOPS = 12_000
STRIPED_FROM_GB = 400
IO_PER_QUERY = 0.25
_EPSILON = 1e-9


@dataclass(frozen=True, slots=True)
class KindProfile:
    service_time_s: float
    servers_per_replica: int | None  # fixed (managed quota); None with per_vcpu or no limit
    per_vcpu: bool  # servers = the instance class's vCPUs
    elastic: bool  # managed: priced per use, never autoscaled here
    resource: str | None  # what bounds its throughput; None: nothing does


PROFILES: Mapping[ComponentKind, KindProfile] = {
    ComponentKind.SERVICE: KindProfile(0.010, None, True, False, "cpu"),
    ComponentKind.DATABASE: KindProfile(0.002, None, True, False, "cpu"),
    ComponentKind.CACHE: KindProfile(0.00004, None, True, False, "cpu"),
    ComponentKind.QUEUE: KindProfile(0.010, 30, False, True, "throughput"),
    ComponentKind.FUNCTION: KindProfile(0.100, 1_000, False, True, "concurrency"),
    ComponentKind.OBJECT_STORAGE: KindProfile(0.020, 110, False, True, "throughput"),
    ComponentKind.CDN: KindProfile(0.010, 2_500, False, True, "throughput"),
    ComponentKind.GATEWAY: KindProfile(0.010, 100, False, True, "throughput"),
    ComponentKind.LOAD_BALANCER: KindProfile(0.001, None, False, True, None),
    ComponentKind.EXTERNAL: KindProfile(0.100, None, False, True, None),
}


@dataclass(frozen=True, slots=True)
class ComponentCapacity:
    """What one component can take, independent of the scale point."""

    component: Component
    index: int  # position in spec.components, for error paths
    instance: InstanceClass | None
    servers_per_replica: int | None  # None: no limit
    service_time_s: float
    resource: str | None
    max_connections: int | None  # databases only
    iops: int | None  # databases only
    elastic: bool
    peak_rps_per_user: float

    @property
    def rps_per_replica(self) -> float | None:
        if self.servers_per_replica is None:
            return None
        return self.servers_per_replica / self.service_time_s

    @property
    def autoscaled(self) -> bool:
        return self.component.autoscaling and not self.elastic


@dataclass(frozen=True, slots=True)
class Dimension:
    """One resource's demand at a scale point against what one replica offers."""

    resource: str
    demand: float
    per_replica: float


@dataclass(frozen=True, slots=True)
class Sizing:
    """One component at one scale point."""

    key: str
    users: int
    peak_rps: float
    replicas: int
    needed_replicas: int  # to stay at or below TARGET_UTILIZATION
    utilization: float  # the highest over its resources, with `replicas`; may exceed 1
    limiting_resource: str | None
    connections: float  # database connections held (0 for other kinds)

    @property
    def saturated(self) -> bool:
        return self.utilization >= 1.0


@dataclass(frozen=True, slots=True)
class CapacityPlan:
    scale_points: tuple[int, ...]
    capacities: tuple[ComponentCapacity, ...]  # in spec order
    sizing: Mapping[int, Mapping[str, Sizing]]  # users -> component key -> sizing
    upstream: Mapping[str, tuple[ComponentCapacity, ...]]  # database key -> pool holders

    def at(self, users: int) -> Mapping[str, Sizing]:
        return self.sizing[users]


def capacity_of(
    spec: ArchitectureSpec,
    catalog: Catalog,
    index: int,
    component: Component,
    instance: InstanceClass | None = None,
) -> ComponentCapacity:
    """`instance` overrides the component's class, to size a right-sizing candidate."""
    profile = PROFILES[component.kind]
    if instance is None:
        field = ("components", str(index), "instance_class")
        instance = catalog.class_for(component, field)
    servers = profile.servers_per_replica
    if profile.per_vcpu and instance is not None:
        servers = instance.vcpu
    database = component.kind is ComponentKind.DATABASE and instance is not None
    max_connections = iops = None
    if database and instance is not None:
        by_memory = int(instance.memory_gb * 1024**3 / BYTES_PER_CONNECTION)
        max_connections = max(1, min(by_memory, MAX_CONNECTIONS_CAP))
        iops = STRIPED_IOPS if component.storage_gb >= STRIPED_FROM_GB else BASELINE_IOPS
    return ComponentCapacity(
        component=component,
        index=index,
        instance=instance,
        servers_per_replica=servers,
        service_time_s=profile.service_time_s,
        resource=profile.resource,
        max_connections=max_connections,
        iops=iops,
        elastic=profile.elastic,
        peak_rps_per_user=component.requests_per_user_per_day * spec.peak_factor / SECONDS_PER_DAY,
    )


def dimensions(cap: ComponentCapacity, peak_rps: float, connections: float) -> list[Dimension]:
    dims = []
    rps_per_replica = cap.rps_per_replica
    if rps_per_replica is not None and cap.resource is not None:
        dims.append(Dimension(cap.resource, peak_rps, rps_per_replica))
    if cap.iops is not None:
        dims.append(Dimension("iops", peak_rps * IO_PER_QUERY, cap.iops))
    if cap.max_connections is not None:
        dims.append(Dimension("connections", connections, cap.max_connections))
    return dims


def needed_replicas(dims: Sequence[Dimension]) -> int:
    """Replicas that keep every resource at or below the target (at least one)."""
    needed = 1
    for d in dims:
        needed = max(needed, math.ceil(d.demand / (TARGET_UTILIZATION * d.per_replica) - _EPSILON))
    return needed


def utilization(dims: Sequence[Dimension], replicas: int) -> tuple[float, str | None]:
    worst, resource = 0.0, None
    for d in dims:
        value = d.demand / (d.per_replica * replicas)
        if value > worst:
            worst, resource = value, d.resource
    return worst, resource


def size(cap: ComponentCapacity, users: int, connections: float = 0.0) -> Sizing:
    peak_rps = users * cap.peak_rps_per_user
    dims = dimensions(cap, peak_rps, connections)
    needed = needed_replicas(dims)
    given = cap.component.replicas
    replicas = max(given, needed) if cap.autoscaled else given
    value, resource = utilization(dims, replicas)
    return Sizing(
        cap.component.key, users, peak_rps, replicas, needed, value, resource, connections
    )


def plan_capacity(
    spec: ArchitectureSpec, catalog: Catalog, scale_points: Sequence[int]
) -> CapacityPlan:
    points = validate_scale_points(scale_points)
    capacities = tuple(capacity_of(spec, catalog, i, c) for i, c in enumerate(spec.components))
    by_key = {cap.component.key: cap for cap in capacities}
    holders: dict[str, dict[str, ComponentCapacity]] = {}
    for link in spec.links:
        source, target = by_key.get(link.source), by_key.get(link.target)
        if source is None or target is None or target.component.kind != ComponentKind.DATABASE:
            continue
        if source.component.kind in (ComponentKind.SERVICE, ComponentKind.FUNCTION):
            holders.setdefault(target.component.key, {})[source.component.key] = source
    upstream = {key: tuple(found.values()) for key, found in holders.items()}
    databases = [c for c in capacities if c.max_connections is not None]
    others = [c for c in capacities if c.max_connections is None]
    sizing: dict[int, dict[str, Sizing]] = {}
    for users in points:
        at = {cap.component.key: size(cap, users) for cap in others}
        for db in databases:
            in_flight = users * db.peak_rps_per_user * db.service_time_s
            pools = sum(
                _connections_held(u, at[u.component.key])
                for u in upstream.get(db.component.key, ())
            )
            at[db.component.key] = size(db, users, max(pools, in_flight))
        sizing[users] = {cap.component.key: at[cap.component.key] for cap in capacities}
    return CapacityPlan(points, capacities, sizing, upstream)


def _connections_held(holder: ComponentCapacity, sizing: Sizing) -> float:
    if holder.component.kind is ComponentKind.FUNCTION:
        return sizing.peak_rps * holder.service_time_s
    return float(sizing.replicas * POOL_CONNECTIONS_PER_REPLICA)


__all__ = [
    "PROFILES",
    "TARGET_UTILIZATION",
    "CapacityPlan",
    "ComponentCapacity",
    "Dimension",
    "InvalidScalePoints",
    "Sizing",
    "capacity_of",
    "dimensions",
    "needed_replicas",
    "plan_capacity",
    "size",
    "utilization",
    "validate_scale_points",
]
