"""Assessments built in memory, for the engines that only compare assessments."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from atrium.engines.health.models import (
    Assessment,
    Category,
    CategoryScore,
    Finding,
    Severity,
)
from atrium.engines.health.scoring import CATEGORY_WEIGHTS, grade_for, overall_score


def finding(
    fingerprint: str,
    severity: Severity = Severity.LOW,
    category: Category = Category.CODE_SMELLS,
    path: str = "app/m.py",
) -> Finding:
    return Finding("R1", category, severity, path, 1, f"issue {fingerprint}", "ruff", fingerprint)


def assessment(
    findings: Sequence[Finding] = (),
    scores: Mapping[Category, float] | None = None,
    *,
    coverage: float = 0.5,
    lines: int = 10_000,
) -> Assessment:
    values = {c: 90.0 for c in Category} | {Category.TEST_COVERAGE: 100 * coverage}
    values |= dict(scores or {})
    categories = tuple(CategoryScore(c, values[c], 0, CATEGORY_WEIGHTS[c], 0.0) for c in Category)
    overall = overall_score(categories)
    return Assessment(
        findings=tuple(findings),
        categories=categories,
        overall_score=overall,
        grade=grade_for(overall),
        lines_of_code=lines,
        lines_of_tests=lines // 2,
        files=10,
        languages=(),
        coverage_estimate=coverage,
    )
