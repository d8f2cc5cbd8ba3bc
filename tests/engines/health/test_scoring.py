"""Scores per KLOC, the exponential decay, the weighted overall score and the grades."""

from __future__ import annotations

import pytest

from atrium.engines.health.models import Category, Finding, Grade, Severity
from atrium.engines.health.scoring import (
    HALF_LIFE,
    category_scores,
    density,
    grade_for,
    overall_score,
)


def _finding(category: Category, severity: Severity) -> Finding:
    return Finding("R", category, severity, "m.py", 1, "m", "ruff", "fp")


@pytest.mark.parametrize(
    ("score", "grade"),
    [
        (100, Grade.A),
        (90, Grade.A),
        (89.9, Grade.B),
        (80, Grade.B),
        (70, Grade.C),
        (60, Grade.D),
        (59.9, Grade.F),
        (0, Grade.F),
    ],
)
def test_grade_thresholds(score: float, grade: Grade):
    assert grade_for(score) is grade


def test_density_is_per_thousand_lines_with_a_floor():
    one_critical = [_finding(Category.SECURITY, Severity.CRITICAL)]
    assert density(one_critical, 4_000) == 2.5
    assert density(one_critical, 40) == 10.0  # a tiny repository counts as 1 KLOC


def test_a_category_halves_at_its_half_life():
    # one critical security finding in 5,000 lines is a density of 2, security's half-life
    scores = category_scores([_finding(Category.SECURITY, Severity.CRITICAL)], 5_000, 1.0)
    security = next(s for s in scores if s.category is Category.SECURITY)
    assert HALF_LIFE[Category.SECURITY] == 2.0
    assert (security.score, security.per_kloc, security.findings) == (50.0, 2.0, 1)
    # the others are untouched and test coverage follows the estimate
    rest = {s.category: s.score for s in scores if s.category is not Category.SECURITY}
    assert rest == {c: 100.0 for c in Category if c is not Category.SECURITY}


def test_more_findings_always_score_lower():
    few = category_scores([_finding(Category.CODE_SMELLS, Severity.LOW)] * 5, 1_000, 0.5)
    many = category_scores([_finding(Category.CODE_SMELLS, Severity.LOW)] * 50, 1_000, 0.5)
    pick = {s.category: s.score for s in few}, {s.category: s.score for s in many}
    assert pick[0][Category.CODE_SMELLS] > pick[1][Category.CODE_SMELLS] > 0
    assert pick[0][Category.TEST_COVERAGE] == 50.0


def test_overall_is_a_weighted_average_with_security_double():
    scores = category_scores([_finding(Category.SECURITY, Severity.CRITICAL)], 5_000, 1.0)
    # security 50 with weight 2, seven categories at 100 with weight 1
    assert overall_score(scores) == round((50 * 2 + 100 * 7) / 9, 1)
