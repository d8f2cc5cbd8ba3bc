"""Cost analysis: the monthly bill at each scale point, its knee, and what would cut it.

The fleet priced at each scale point is the one the capacity model sizes (`capacity.py`,
shared with the scalability report): an autoscaled component is priced at the replicas
its load needs, a fixed one at its given replicas even when saturated (the estimate
then names it, since the bill understates what the load would really take). Pricing,
categories and the arithmetic behind each line: `cost_lines.py`. Suggestions and their
savings: `cost_optimizations.py`.

Money is whole cents: each line is rounded half-up to the cent, a category is the sum of
its lines, and the total the sum of the categories, so the breakdown adds up exactly.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from itertools import pairwise
from typing import Any

from atrium.engines.architecture.capacity import (
    CapacityPlan,
    ComponentCapacity,
    Sizing,
    plan_capacity,
)
from atrium.engines.architecture.catalog import catalog_for
from atrium.engines.architecture.cost_lines import Category, CostLine, Pricer
from atrium.engines.architecture.cost_optimizations import Optimization, suggest_optimizations
from atrium.engines.architecture.model import ArchitectureSpec
from atrium.engines.architecture.report_json import to_jsonable

KNEE_MARGINAL_RISE = Fraction(1, 2)  # the marginal cost per user rising by more than 50%


@dataclass(frozen=True, slots=True)
class CostBreakdown:
    compute_cents: int
    storage_cents: int
    database_cents: int
    data_transfer_cents: int

    @property
    def total_cents(self) -> int:
        return (
            self.compute_cents
            + self.storage_cents
            + self.database_cents
            + (self.data_transfer_cents)
        )


@dataclass(frozen=True, slots=True)
class CostEstimate:
    users: int
    monthly_cost_cents: int  # == breakdown.total_cents == the sum of the lines
    breakdown: CostBreakdown
    cost_per_user: float  # USD per user per month
    lines: tuple[CostLine, ...]
    saturated_components: tuple[str, ...]  # fixed components the load saturates here
    notes: tuple[str, ...]

    @property
    def monthly_cost(self) -> float:
        return self.monthly_cost_cents / 100


@dataclass(frozen=True, slots=True)
class CostKnee:
    users: int
    rule: str  # COST_PER_USER_ROSE or MARGINAL_COST_JUMPED
    reason: str
    cost_per_user: float
    previous_cost_per_user: float
    marginal_cost_per_user: float  # USD per user added since the previous scale point
    previous_marginal_cost_per_user: float | None


@dataclass(frozen=True, slots=True)
class CostReport:
    provider: str
    region: str
    region_multiplier: float
    currency: str
    catalog_source: str
    catalog_as_of: str
    scale_points: tuple[int, ...]
    estimates: tuple[CostEstimate, ...]
    knee: CostKnee | None
    optimizations: tuple[Optimization, ...]

    def to_dict(self) -> dict[str, Any]:
        result: dict[str, Any] = to_jsonable(self)
        return result


def analyze_cost(
    spec: ArchitectureSpec, scale_points: Sequence[int], region: str | None = None
) -> CostReport:
    """Price `spec` at each scale point (daily active users) in `region` (default: the spec's).

    Raises InvalidScalePoints, UnknownRegion or UnknownInstanceClass (ValueErrors carrying
    the input field to blame) before computing anything.
    """
    catalog = catalog_for(spec.provider)
    region = region or spec.region
    multiplier = catalog.region_multiplier(region)
    plan = plan_capacity(spec, catalog, scale_points)
    pricer = Pricer(spec, catalog, multiplier)
    estimates = tuple(_estimate(pricer, plan, users) for users in plan.scale_points)
    return CostReport(
        provider=catalog.provider,
        region=region,
        region_multiplier=multiplier,
        currency=catalog.currency,
        catalog_source=catalog.source,
        catalog_as_of=catalog.as_of,
        scale_points=plan.scale_points,
        estimates=estimates,
        knee=find_knee(estimates),
        optimizations=suggest_optimizations(pricer, plan),
    )


def _estimate(pricer: Pricer, plan: CapacityPlan, users: int) -> CostEstimate:
    at = plan.at(users)
    lines: list[CostLine] = []
    notes: list[str] = []
    for cap in plan.capacities:
        sizing = at[cap.component.key]
        lines += pricer.lines(cap, sizing)
        if sizing.saturated:
            notes.append(_saturation_note(cap, sizing))
    sums = dict.fromkeys(Category, 0)
    for line in lines:
        sums[line.category] += line.monthly_cost_cents
    breakdown = CostBreakdown(
        compute_cents=sums[Category.COMPUTE],
        storage_cents=sums[Category.STORAGE],
        database_cents=sums[Category.DATABASE],
        data_transfer_cents=sums[Category.DATA_TRANSFER],
    )
    return CostEstimate(
        users=users,
        monthly_cost_cents=breakdown.total_cents,
        breakdown=breakdown,
        cost_per_user=round(breakdown.total_cents / 100 / users, 6),
        lines=tuple(lines),
        saturated_components=tuple(key for key, s in at.items() if s.saturated),
        notes=tuple(notes),
    )


def _saturation_note(cap: ComponentCapacity, sizing: Sizing) -> str:
    name, resource = cap.component.name, sizing.limiting_resource
    if cap.elastic:
        return (
            f"{name} is past its {resource} quota ({sizing.utilization:.0%}); the provider "
            "throttles it until the quota is raised."
        )
    return (
        f"{name} is saturated ({resource}, {sizing.utilization:.0%}) with {sizing.replicas} "
        f"replica(s); staying under the target takes {sizing.needed_replicas}, which this "
        "estimate does not price."
    )


def find_knee(estimates: Sequence[CostEstimate]) -> CostKnee | None:
    """The first scale point where cost per user stops falling, or marginal cost jumps.

    With T_i the total (cents) at u_i users, the knee is the first point i >= 1 where
      (a) cost per user does not fall: T_i / u_i >= T_{i-1} / u_{i-1}, or
      (b) the marginal cost per added user, M_i = (T_i - T_{i-1}) / (u_i - u_{i-1}),
          exceeds M_{i-1} by more than KNEE_MARGINAL_RISE (50%); needs i >= 2.
    (a) is where growth stops paying for itself; (b) where a new cost regime starts (a
    tier of replicas, a bigger fleet) even if it is still amortized. Compared as exact
    fractions of cents. None when no point qualifies (or there are fewer than two).
    """
    previous_marginal: Fraction | None = None
    for before, now in pairwise(estimates):
        cost_now = Fraction(now.monthly_cost_cents, now.users)
        cost_before = Fraction(before.monthly_cost_cents, before.users)
        marginal = Fraction(
            now.monthly_cost_cents - before.monthly_cost_cents, now.users - before.users
        )
        rule = reason = None
        if cost_now >= cost_before:
            rule = "COST_PER_USER_ROSE"
            reason = (
                f"Cost per user stops falling at {now.users:,} users: "
                f"${_dollars(cost_now):.4f} against ${_dollars(cost_before):.4f} "
                f"at {before.users:,}."
            )
        elif previous_marginal is not None and marginal > previous_marginal * (
            1 + KNEE_MARGINAL_RISE
        ):
            rule = "MARGINAL_COST_JUMPED"
            reason = (
                f"Each user added up to {now.users:,} costs ${_dollars(marginal):.4f}/month, "
                f"against ${_dollars(previous_marginal):.4f} up to {before.users:,}."
            )
        if rule is not None and reason is not None:
            return CostKnee(
                users=now.users,
                rule=rule,
                reason=reason,
                cost_per_user=_dollars(cost_now),
                previous_cost_per_user=_dollars(cost_before),
                marginal_cost_per_user=_dollars(marginal),
                previous_marginal_cost_per_user=(
                    None if previous_marginal is None else _dollars(previous_marginal)
                ),
            )
        previous_marginal = marginal
    return None


def _dollars(cents: Fraction) -> float:
    return float(cents / 100)


__all__ = ["CostBreakdown", "CostEstimate", "CostKnee", "CostReport", "analyze_cost", "find_knee"]
