"""Drift alerts between two assessments: score, coverage, convention and churn."""

from __future__ import annotations

from atrium.engines.health import (
    Category,
    DriftThresholds,
    DriftType,
    HealthSummary,
    drift,
)
from tests.engines.health.builders import assessment


def test_no_alert_for_small_changes_or_improvements():
    before = assessment(coverage=0.5)
    small = assessment(scores={Category.CODE_SMELLS: 86.0}, coverage=0.47, lines=11_000)
    better = assessment(scores={c: 100.0 for c in Category}, coverage=0.9)
    assert drift(before, small) == []
    assert drift(before, better) == []


def test_each_kind_of_decline_raises_its_own_alert():
    before = assessment(coverage=0.6, lines=10_000)
    after = assessment(
        scores={Category.SECURITY: 70.0, Category.CONSISTENCY: 80.0, Category.DEAD_CODE: 88.0},
        coverage=0.5,
        lines=14_000,
    )
    alerts = {(a.type, a.category): a for a in drift(before, after)}
    assert set(alerts) == {
        (DriftType.SCORE, "overall"),
        (DriftType.SCORE, "security"),
        (DriftType.CONVENTION, "consistency"),
        (DriftType.COVERAGE, "test_coverage"),
        (DriftType.CHURN, "lines_of_code"),
    }
    security = alerts[(DriftType.SCORE, "security")]
    assert (security.previous, security.current, security.change) == (90.0, 70.0, -20.0)
    coverage = alerts[(DriftType.COVERAGE, "test_coverage")]
    assert (coverage.previous, coverage.current) == (0.6, 0.5)
    assert alerts[(DriftType.CHURN, "lines_of_code")].change == 0.4
    # the overall alert comes first and every alert serialises to JSON-able values
    assert drift(before, after)[0].category == "overall"
    assert alerts[(DriftType.CONVENTION, "consistency")].to_dict()["type"] == "convention"


def test_thresholds_and_stored_summaries():
    before = assessment().summary()
    after = assessment(scores={Category.DUPLICATION: 84.0})
    # a stored summary round-trips through JSON and compares like an assessment
    stored = HealthSummary.from_dict(before.to_dict())
    assert stored == before
    assert [a.category for a in drift(stored, after)] == ["duplication"]
    assert drift(stored, after, DriftThresholds(score_drop=10.0)) == []


def test_mass_deletion_is_churn_too():
    alerts = drift(assessment(lines=10_000), assessment(lines=5_000))
    assert [(a.type, a.change) for a in alerts] == [(DriftType.CHURN, -0.5)]
