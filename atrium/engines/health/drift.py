"""Drift alerts: what got worse between two assessments of the same repository.

Four alert types, as Octokraft names them:

- score: the overall score, or one category's score, fell by more than `score_drop`
  points. Test coverage and consistency are left to the two types below, so one decline
  raises one alert.
- coverage: the coverage estimate fell by more than `coverage_drop` (a fraction: 0.05 is
  five percentage points). Values are fractions from 0 to 1.
- convention: convention adherence, measured by the consistency score, fell by more than
  `convention_drop` points.
- churn: the lines of code changed by more than `churn_ratio` of the previous size, in
  either direction; a sudden rewrite or mass deletion deserves a look even if scores held.
  Values are lines of code and `change` is the relative change.

Alerts only fire on declines (churn aside), and compare like with like: both sides can be a
full `Assessment` or the `HealthSummary` stored for an older one.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from atrium.engines.health.models import Assessment, Category, HealthSummary, to_plain

OVERALL = "overall"
LINES_OF_CODE = "lines_of_code"


class DriftType(StrEnum):
    SCORE = "score"
    COVERAGE = "coverage"
    CONVENTION = "convention"
    CHURN = "churn"


@dataclass(frozen=True, slots=True)
class DriftThresholds:
    score_drop: float = 5.0
    coverage_drop: float = 0.05
    convention_drop: float = 5.0
    churn_ratio: float = 0.25


@dataclass(frozen=True, slots=True)
class DriftAlert:
    """`category` is a category value, "overall", or "lines_of_code" for churn."""

    type: DriftType
    category: str
    previous: float
    current: float
    change: float

    def to_dict(self) -> dict[str, Any]:
        return to_plain(self)


def _summary(value: Assessment | HealthSummary) -> HealthSummary:
    return value.summary() if isinstance(value, Assessment) else value


def drift(
    previous: Assessment | HealthSummary,
    current: Assessment | HealthSummary,
    thresholds: DriftThresholds | None = None,
) -> list[DriftAlert]:
    """Alerts in a fixed order: overall, categories in Octokraft's order, coverage, churn."""
    limits = thresholds or DriftThresholds()
    before, after = _summary(previous), _summary(current)
    alerts: list[DriftAlert] = []

    def fell(kind: DriftType, category: str, old: float, new: float, limit: float) -> None:
        if old - new > limit:
            alerts.append(DriftAlert(kind, category, old, new, round(new - old, 4)))

    fell(DriftType.SCORE, OVERALL, before.overall_score, after.overall_score, limits.score_drop)
    for category in Category:
        if category not in before.category_scores or category not in after.category_scores:
            continue
        old, new = before.category_scores[category], after.category_scores[category]
        if category is Category.TEST_COVERAGE:
            continue  # the coverage alert below covers it, in its own unit
        kind = DriftType.CONVENTION if category is Category.CONSISTENCY else DriftType.SCORE
        limit = limits.convention_drop if kind is DriftType.CONVENTION else limits.score_drop
        fell(kind, category.value, old, new, limit)
    fell(
        DriftType.COVERAGE,
        Category.TEST_COVERAGE.value,
        before.coverage_estimate,
        after.coverage_estimate,
        limits.coverage_drop,
    )
    if before.lines_of_code > 0:
        ratio = (after.lines_of_code - before.lines_of_code) / before.lines_of_code
        if abs(ratio) > limits.churn_ratio:
            alerts.append(
                DriftAlert(
                    DriftType.CHURN,
                    LINES_OF_CODE,
                    float(before.lines_of_code),
                    float(after.lines_of_code),
                    round(ratio, 4),
                )
            )
    return alerts
