"""Typed views of stored cost and scalability results, for typed clients.

Results are stored as the engines' ``to_dict()`` JSON; these types read that JSON (not
the engine objects), so an analysis stored months ago still reads through today's schema.
Fields are plain (no resolvers): a report of 200 components costs no awaitables.
"""

from __future__ import annotations

from dataclasses import fields
from typing import Any, TypeVar

import strawberry

T = TypeVar("T")


def _plain(cls: type[T], raw: dict[str, Any], **nested: Any) -> T:
    """``cls`` from its snake_case keys in ``raw``; ``nested`` gives values built apart."""
    names = {f.name for f in fields(cls)}  # type: ignore[arg-type]
    values = {name: raw.get(name) for name in names if name not in nested}
    return cls(**values, **nested)


@strawberry.type(description="Monthly cost by category; the parts sum to the total.")
class CostBreakdown:
    compute: float = strawberry.field(description="Instances, functions, CDN, gateways (USD).")
    storage: float = strawberry.field(description="Block and object storage (USD).")
    database: float = strawberry.field(description="Managed databases and caches (USD).")
    data_transfer: float = strawberry.field(description="Internet egress (USD).")


@strawberry.type(description="One priced line of one component, with its arithmetic.")
class CostLine:
    component_key: str = strawberry.field(description="The component.")
    component_name: str = strawberry.field(description="Its name.")
    category: str = strawberry.field(description="compute, storage, database or data_transfer.")
    monthly_cost: float = strawberry.field(description="USD per month.")
    basis: str = strawberry.field(description='How, e.g. "2 x m6i.large x 730 h x $0.096/h".')


@strawberry.type(description="The monthly estimate at one scale point.")
class CostEstimate:
    users: int = strawberry.field(description="Daily active users.")
    monthly_cost: float = strawberry.field(description="Total USD per month.")
    cost_per_user: float = strawberry.field(description="USD per user per month.")
    breakdown: CostBreakdown = strawberry.field(description="By category.")
    lines: list[CostLine] = strawberry.field(description="Per component.")
    saturated_components: list[str] = strawberry.field(description="Keys over capacity here.")
    notes: list[str] = strawberry.field(description="Caveats of this estimate.")


@strawberry.type(description="Where cost per user stops falling or jumps.")
class CostKnee:
    users: int = strawberry.field(description="The scale point.")
    rule: str = strawberry.field(description="COST_PER_USER_ROSE or MARGINAL_COST_JUMPED.")
    reason: str = strawberry.field(description="Why, in a sentence.")
    cost_per_user: float = strawberry.field(description="USD per user there.")
    previous_cost_per_user: float = strawberry.field(description="At the previous point.")


@strawberry.type(description="A suggested change with its estimated saving.")
class CostOptimization:
    kind: str = strawberry.field(
        description="RESERVED_CAPACITY, SPOT_CAPACITY, ADD_CACHE, ADD_CDN, "
        "ENABLE_AUTOSCALING or RIGHT_SIZE."
    )
    title: str = strawberry.field(description="The suggestion.")
    detail: str = strawberry.field(description="The numbers behind it.")
    component_keys: list[str] = strawberry.field(description="Components concerned.")
    at_users: int = strawberry.field(description="Scale point the saving is computed at.")
    monthly_saving: float = strawberry.field(description="USD per month, against today's design.")


@strawberry.type(description="A cost analysis: estimates per scale point, knee, optimizations.")
class CostReport:
    provider: str = strawberry.field(description="Cloud provider priced.")
    region: str = strawberry.field(description="Region priced.")
    region_multiplier: float = strawberry.field(description="Region price vs the base region.")
    currency: str = strawberry.field(description="Always USD.")
    catalog_source: str = strawberry.field(description="Where the prices come from.")
    catalog_as_of: str = strawberry.field(description="When the prices date from.")
    scale_points: list[int] = strawberry.field(description="Users priced.")
    estimates: list[CostEstimate] = strawberry.field(description="One per scale point.")
    knee: CostKnee | None = strawberry.field(description="The cost knee, if there is one.")
    optimizations: list[CostOptimization] = strawberry.field(description="Suggested savings.")

    @classmethod
    def from_result(cls, raw: dict[str, Any]) -> CostReport:
        return _plain(
            cls,
            raw,
            estimates=[
                _plain(
                    CostEstimate,
                    e,
                    breakdown=_plain(CostBreakdown, e["breakdown"]),
                    lines=[_plain(CostLine, line) for line in e["lines"]],
                )
                for e in raw["estimates"]
            ],
            knee=_plain(CostKnee, raw["knee"]) if raw.get("knee") else None,
            optimizations=[_plain(CostOptimization, o) for o in raw["optimizations"]],
        )


@strawberry.type(description="One component at one scale point.")
class ComponentAtScale:
    users: int = strawberry.field(description="Daily active users.")
    peak_rps: float = strawberry.field(description="Peak requests per second it sees.")
    replicas: int = strawberry.field(description="Replicas it runs (autoscaled ones grow).")
    needed_replicas: int = strawberry.field(description="Replicas to stay under the target.")
    utilization: float = strawberry.field(description="Peak load / capacity (1 = saturated).")
    limiting_resource: str = strawberry.field(description="cpu, connections, iops, throughput…")
    saturated: bool = strawberry.field(description="Utilization at or above 1.")
    latency_ms: float | None = strawberry.field(description="M/M/c response time; null: ∞.")
    connections: float | None = strawberry.field(description="Database connections in use.")


@strawberry.type(description="A component's capacity model and its load at each scale point.")
class ComponentScalability:
    key: str = strawberry.field(description="The component.")
    name: str = strawberry.field(description="Its name.")
    kind: str = strawberry.field(description="Its kind.")
    instance_class: str | None = strawberry.field(description="Class sized.")
    vcpu: float | None = strawberry.field(description="vCPUs per replica.")
    replicas: int = strawberry.field(description="Replicas in the design.")
    autoscaling: bool = strawberry.field(description="Scales with load.")
    capacity_rps_per_replica: float = strawberry.field(description="Requests/s one replica serves.")
    service_time_ms: float = strawberry.field(description="Time per request, unloaded.")
    max_connections: int | None = strawberry.field(description="Database connection limit.")
    iops: int | None = strawberry.field(description="Storage IOPS.")
    saturation_users: int | None = strawberry.field(description="Users at which it saturates.")
    saturation_resource: str | None = strawberry.field(description="What runs out first.")
    points: list[ComponentAtScale] = strawberry.field(description="Per scale point.")


@strawberry.type(description="The whole architecture at one scale point.")
class ScalePointSummary:
    users: int = strawberry.field(description="Daily active users.")
    end_to_end_latency_ms: float | None = strawberry.field(
        description="Latency along the slowest request path; null when saturated."
    )
    critical_path: list[str] = strawberry.field(description="That path, by component key.")
    saturated_components: list[str] = strawberry.field(description="Keys over capacity.")
    max_utilization: float = strawberry.field(description="Highest utilization of any part.")


@strawberry.type(description="A component that saturates as users grow.")
class Bottleneck:
    key: str = strawberry.field(description="The component.")
    name: str = strawberry.field(description="Its name.")
    saturation_users: int = strawberry.field(description="Users at which it saturates.")
    limiting_resource: str = strawberry.field(description="What runs out.")


@strawberry.type(description="A scalability analysis: capacity, utilization, latency.")
class ScalabilityReport:
    scale_points: list[int] = strawberry.field(description="Users modelled.")
    target_utilization: float = strawberry.field(description="Utilization replicas are sized to.")
    components: list[ComponentScalability] = strawberry.field(description="Per component.")
    points: list[ScalePointSummary] = strawberry.field(description="Per scale point.")
    bottleneck: Bottleneck | None = strawberry.field(
        description="The first fixed-size component to saturate."
    )
    saturation_order: list[Bottleneck] = strawberry.field(description="All of them, in order.")

    @classmethod
    def from_result(cls, raw: dict[str, Any]) -> ScalabilityReport:
        return _plain(
            cls,
            raw,
            components=[
                _plain(
                    ComponentScalability,
                    c,
                    points=[_plain(ComponentAtScale, p) for p in c["points"]],
                )
                for c in raw["components"]
            ],
            points=[_plain(ScalePointSummary, p) for p in raw["points"]],
            bottleneck=_plain(Bottleneck, raw["bottleneck"]) if raw.get("bottleneck") else None,
            saturation_order=[_plain(Bottleneck, b) for b in raw["saturation_order"]],
        )
