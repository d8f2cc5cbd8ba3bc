"""Where each component first saturates as users grow: the input to the bottleneck.

Kept apart from `capacity.py` because only the scalability report needs it and it solves
for users rather than evaluating a given user count.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from atrium.engines.architecture.capacity import (
    POOL_CONNECTIONS_PER_REPLICA,
    TARGET_UTILIZATION,
    ComponentCapacity,
    dimensions,
)
from atrium.engines.architecture.model import ComponentKind

_EPSILON = 1e-9


@dataclass(frozen=True, slots=True)
class Saturation:
    """Where a component first reaches utilization 1 with its given replicas."""

    users: int  # 0: saturated with no users at all
    resource: str


def saturation_users(
    cap: ComponentCapacity, upstream: Sequence[ComponentCapacity] = ()
) -> Saturation | None:
    """The fewest users at which `cap` reaches utilization 1 with its given replicas.

    Throughput and IOPS grow linearly with users, so their limit is closed-form. A
    database's connections grow with the pools of autoscaled upstream services, a
    piecewise-linear function (continuous replicas here, not whole ones), solved by
    bisection. None: no user count saturates it.
    """
    replicas = cap.component.replicas
    limits: list[tuple[float, str]] = []
    for d in dimensions(cap, cap.peak_rps_per_user, 0.0):
        if d.resource != "connections" and d.demand > 0:
            limits.append((d.per_replica * replicas / d.demand, d.resource))
    if cap.max_connections is not None:
        limit = cap.max_connections * replicas

        def held(users: float) -> float:
            pools = sum(_continuous_pool(u, users) for u in upstream)
            return max(pools, users * cap.peak_rps_per_user * cap.service_time_s)

        found = _first_reaching(held, limit)
        if found is not None:
            limits.append((found, "connections"))
    if not limits:
        return None
    users, resource = min(limits)
    return Saturation(max(0, math.ceil(users - _EPSILON)), resource)


def _continuous_pool(holder: ComponentCapacity, users: float) -> float:
    rps = users * holder.peak_rps_per_user
    if holder.component.kind is ComponentKind.FUNCTION:
        return rps * holder.service_time_s
    replicas: float = holder.component.replicas
    per_replica = holder.rps_per_replica
    if holder.autoscaled and per_replica:
        replicas = max(replicas, rps / (TARGET_UTILIZATION * per_replica))
    return replicas * POOL_CONNECTIONS_PER_REPLICA


def _first_reaching(f: Callable[[float], float], limit: float) -> float | None:
    """The least x >= 0 with f(x) >= limit, for f non-decreasing; None past 10^12 users."""
    low, high = 0.0, 1e12
    if f(low) >= limit:
        return 0.0
    if f(high) < limit:
        return None
    for _ in range(200):
        middle = (low + high) / 2
        if f(middle) >= limit:
            high = middle
        else:
            low = middle
        if high - low <= 1e-6 * max(1.0, high):
            break
    return high


__all__ = ["Saturation", "saturation_users"]
