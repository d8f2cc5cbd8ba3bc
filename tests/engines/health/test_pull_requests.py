"""A pull request's impact: introduced and fixed findings, risk and merge readiness."""

from __future__ import annotations

from pathlib import Path

from atrium.engines.health import Category, Readiness, Risk, Severity, assess, compare
from tests.engines.health.builders import assessment, finding
from tests.engines.health.repos import clean_files, write_tree

DANGER = (
    '"""Runs what it is given."""\n\n\n'
    'def run(text: str) -> object:\n    """Evaluate text."""\n    return eval(text)\n'
)


async def test_introducing_an_eval_blocks_the_merge(tmp_path: Path):
    # given a clean base and a head that adds a module calling eval
    base = await assess(write_tree(tmp_path / "base", clean_files()))
    head_files = clean_files() | {"calc/danger.py": DANGER}
    head = await assess(write_tree(tmp_path / "head", head_files))
    # when compared
    impact = compare(base, head, ["calc/danger.py"])
    # then the eval is introduced, nothing is fixed, and the merge is blocked
    introduced = {(f.rule, f.path) for f in impact.introduced}
    assert ("S307", "calc/danger.py") in introduced
    assert impact.fixed == ()
    assert impact.readiness is Readiness.BLOCKED
    assert impact.risk is Risk.CRITICAL
    assert any("S307 at calc/danger.py:6" in r for r in impact.readiness_reasons)
    assert impact.health_impact < 0
    assert impact.projected_score == head.overall_score
    assert impact.introduced_in_changed_files == len(impact.introduced)
    security = next(d for d in impact.category_deltas if d.category is Category.SECURITY)
    assert security.change < 0
    # and the same code compared with itself is ready to merge
    unchanged = compare(base, base, [])
    assert (unchanged.readiness, unchanged.risk) == (Readiness.READY, Risk.LOW)
    assert unchanged.introduced == unchanged.fixed == ()
    assert unchanged.to_dict()["readiness"] == "ready"


def test_verdicts_by_what_was_introduced():
    base = assessment([finding("old", Severity.HIGH)])
    cases = [
        ([finding("m", Severity.MEDIUM)], Risk.MEDIUM, Readiness.NEEDS_REVIEW),
        ([finding("h", Severity.HIGH, Category.RUNTIME_RISKS)], Risk.HIGH, Readiness.NEEDS_REVIEW),
        ([finding("s", Severity.HIGH, Category.SECURITY)], Risk.HIGH, Readiness.BLOCKED),
        ([finding("c", Severity.CRITICAL, Category.DEAD_CODE)], Risk.CRITICAL, Readiness.BLOCKED),
        ([finding("l", Severity.LOW)], Risk.LOW, Readiness.READY),
    ]
    for introduced, risk, readiness in cases:
        impact = compare(base, assessment([finding("old", Severity.HIGH), *introduced]), ["a.py"])
        assert (impact.risk, impact.readiness) == (risk, readiness), introduced
        assert [f.fingerprint for f in impact.introduced] == [introduced[0].fingerprint]


def test_fixed_findings_score_drops_and_large_changes():
    base = assessment([finding("gone", Severity.HIGH), finding("kept")])
    fixed = compare(base, assessment([finding("kept")]))
    assert [f.fingerprint for f in fixed.fixed] == ["gone"]
    assert fixed.readiness is Readiness.READY
    # a score that falls by 5 points or more is high risk even without a new finding
    worse = compare(base, assessment([finding("kept")], scores={Category.SECURITY: 60.0}))
    assert worse.health_impact <= -5
    assert (worse.risk, worse.readiness) == (Risk.HIGH, Readiness.NEEDS_REVIEW)
    # and more than 20 changed files need a reviewer
    files = [f"src/m{i}.py" for i in range(21)]
    large = compare(base, base, files)
    assert (large.risk, large.readiness) == (Risk.MEDIUM, Readiness.NEEDS_REVIEW)
    assert large.risk_reasons == ("21 files changed",)
