"""Category scores, the overall score and the grade.

Scores are normalized per thousand lines so a large repository is not punished for being
large. For each category other than test coverage:

    density = sum(severity weight of each finding) / KLOC
    score   = 100 * 0.5 ** (density / half_life[category])

Severity weights: critical 10, high 5, medium 2, low 1, info 0.2. KLOC counts code and test
lines (findings come from both) with a floor of 1, so a 40-line repository with one issue is
judged like a 1,000-line one rather than as if the issue were repeated 25 times. The half-life
is the density at which a category's score falls to 50; it reflects how many findings of that
kind a well-kept codebase still has:

    security 2, runtime risks 4, code smells 12, duplication 6, dead code 10,
    consistency 15, compliance 30

so one critical security finding per 5,000 lines (density 2) halves the security score, while
consistency needs 15 weighted points per 1,000 lines (15 naming or import-order issues) to
get there. The decay never reaches 0, so a bad codebase still ranks below a worse one.

Test coverage is scored from the coverage estimate directly: `100 * estimate` (see
`coverage`); its findings, modules without tests, are reported but do not change its score.

The overall score is the weighted average of the eight category scores, security weighing
2 and every other category 1. Grades: A from 90, B from 80, C from 70, D from 60, F below.
"""

from __future__ import annotations

from collections.abc import Sequence

from atrium.engines.health.models import Category, CategoryScore, Finding, Grade, Severity

SEVERITY_WEIGHTS: dict[Severity, float] = {
    Severity.CRITICAL: 10.0,
    Severity.HIGH: 5.0,
    Severity.MEDIUM: 2.0,
    Severity.LOW: 1.0,
    Severity.INFO: 0.2,
}
HALF_LIFE: dict[Category, float] = {
    Category.SECURITY: 2.0,
    Category.RUNTIME_RISKS: 4.0,
    Category.CODE_SMELLS: 12.0,
    Category.DUPLICATION: 6.0,
    Category.DEAD_CODE: 10.0,
    Category.CONSISTENCY: 15.0,
    Category.COMPLIANCE: 30.0,
}
CATEGORY_WEIGHTS: dict[Category, float] = {
    c: 2.0 if c is Category.SECURITY else 1.0 for c in Category
}
GRADE_THRESHOLDS: tuple[tuple[float, Grade], ...] = (
    (90.0, Grade.A),
    (80.0, Grade.B),
    (70.0, Grade.C),
    (60.0, Grade.D),
)
MIN_KLOC = 1.0


def grade_for(score: float) -> Grade:
    return next((grade for floor, grade in GRADE_THRESHOLDS if score >= floor), Grade.F)


def density(findings: Sequence[Finding], lines: int) -> float:
    """Severity-weighted findings per thousand lines (with the 1 KLOC floor)."""
    kloc = max(lines / 1000.0, MIN_KLOC)
    return sum(SEVERITY_WEIGHTS[f.severity] for f in findings) / kloc


def category_scores(
    findings: Sequence[Finding], lines: int, coverage_estimate: float
) -> list[CategoryScore]:
    by_category: dict[Category, list[Finding]] = {c: [] for c in Category}
    for finding in findings:
        by_category[finding.category].append(finding)
    scores: list[CategoryScore] = []
    for category in Category:
        members = by_category[category]
        per_kloc = density(members, lines)
        if category is Category.TEST_COVERAGE:
            score = 100.0 * max(0.0, min(1.0, coverage_estimate))
        else:
            score = 100.0 * 0.5 ** (per_kloc / HALF_LIFE[category])
        scores.append(
            CategoryScore(
                category=category,
                score=round(score, 1),
                findings=len(members),
                weight=CATEGORY_WEIGHTS[category],
                per_kloc=round(per_kloc, 3),
            )
        )
    return scores


def overall_score(categories: Sequence[CategoryScore]) -> float:
    total_weight = sum(c.weight for c in categories)
    if total_weight == 0:
        return 0.0
    return round(sum(c.score * c.weight for c in categories) / total_weight, 1)
