"""What a pull request does to a repository's health: `compare(base, head, changed_files)`.

Findings are matched by fingerprint, so an issue that merely moved keeps its identity:
`introduced` are head findings whose fingerprint the base lacks, `fixed` the reverse.
The health impact is the change of the overall score, and the projected score is the head's.

Risk, the first rule that applies:

- CRITICAL: an introduced critical finding;
- HIGH: an introduced high finding, or the overall score falls by 5 points or more;
- MEDIUM: an introduced medium finding, the score falls by 1 point or more, or more than
  20 files changed (large changes hide problems from reviewers);
- LOW: otherwise.

Merge readiness:

- BLOCKED: an introduced critical finding, or an introduced high security finding;
- NEEDS_REVIEW: risk HIGH or MEDIUM;
- READY: otherwise.

Every level comes with the reasons that produced it, for the PR comment.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from atrium.engines.health.models import Assessment, Category, Finding, Severity, to_plain

HIGH_RISK_SCORE_DROP = 5.0
MEDIUM_RISK_SCORE_DROP = 1.0
LARGE_CHANGE_FILES = 20


class Risk(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


class Readiness(StrEnum):
    READY = "ready"
    NEEDS_REVIEW = "needs_review"
    BLOCKED = "blocked"


@dataclass(frozen=True, slots=True)
class CategoryDelta:
    category: Category
    base: float
    head: float
    change: float


@dataclass(frozen=True, slots=True)
class PullRequestImpact:
    introduced: tuple[Finding, ...]
    fixed: tuple[Finding, ...]
    health_impact: float
    base_score: float
    projected_score: float
    risk: Risk
    risk_reasons: tuple[str, ...]
    readiness: Readiness
    readiness_reasons: tuple[str, ...]
    category_deltas: tuple[CategoryDelta, ...]
    changed_files: tuple[str, ...]
    introduced_in_changed_files: int

    def to_dict(self) -> dict[str, Any]:
        return to_plain(self)


def _by_severity(findings: Sequence[Finding], severity: Severity) -> list[Finding]:
    return [f for f in findings if f.severity is severity]


def _describe(findings: Sequence[Finding], label: str) -> str:
    sample = ", ".join(f"{f.rule} at {f.path}:{f.line}" for f in findings[:3])
    more = f" and {len(findings) - 3} more" if len(findings) > 3 else ""
    return f"{len(findings)} {label} finding(s) introduced: {sample}{more}"


def _risk(
    introduced: Sequence[Finding], impact: float, changed: int
) -> tuple[Risk, tuple[str, ...]]:
    critical = _by_severity(introduced, Severity.CRITICAL)
    if critical:
        return Risk.CRITICAL, (_describe(critical, "critical"),)
    reasons: list[str] = []
    high = _by_severity(introduced, Severity.HIGH)
    if high:
        reasons.append(_describe(high, "high"))
    if impact <= -HIGH_RISK_SCORE_DROP:
        reasons.append(f"health score falls by {-impact:.1f} points")
    if reasons:
        return Risk.HIGH, tuple(reasons)
    medium = _by_severity(introduced, Severity.MEDIUM)
    if medium:
        reasons.append(_describe(medium, "medium"))
    if impact <= -MEDIUM_RISK_SCORE_DROP:
        reasons.append(f"health score falls by {-impact:.1f} points")
    if changed > LARGE_CHANGE_FILES:
        reasons.append(f"{changed} files changed")
    if reasons:
        return Risk.MEDIUM, tuple(reasons)
    return Risk.LOW, ("no finding above low severity introduced",)


def _readiness(
    introduced: Sequence[Finding], risk: Risk, risk_reasons: tuple[str, ...]
) -> tuple[Readiness, tuple[str, ...]]:
    critical = _by_severity(introduced, Severity.CRITICAL)
    security = [
        f
        for f in introduced
        if f.category is Category.SECURITY and f.severity in (Severity.CRITICAL, Severity.HIGH)
    ]
    reasons: list[str] = []
    if critical:
        reasons.append(_describe(critical, "critical"))
    if security and security != critical:
        reasons.append(_describe(security, "critical or high security"))
    if reasons:
        return Readiness.BLOCKED, tuple(reasons)
    if risk in (Risk.HIGH, Risk.MEDIUM):
        return Readiness.NEEDS_REVIEW, risk_reasons
    return Readiness.READY, ("no blocking finding introduced and risk is low",)


def compare(
    base: Assessment, head: Assessment, changed_files: Sequence[str] = ()
) -> PullRequestImpact:
    """The impact of going from `base` (the target branch) to `head` (the PR's commit)."""
    base_prints = {f.fingerprint for f in base.findings}
    head_prints = {f.fingerprint for f in head.findings}
    introduced = tuple(f for f in head.findings if f.fingerprint not in base_prints)
    fixed = tuple(f for f in base.findings if f.fingerprint not in head_prints)
    impact = round(head.overall_score - base.overall_score, 1)
    changed = tuple(dict.fromkeys(p.replace("\\", "/").removeprefix("./") for p in changed_files))
    risk, risk_reasons = _risk(introduced, impact, len(changed))
    readiness, readiness_reasons = _readiness(introduced, risk, risk_reasons)
    base_scores = {c.category: c.score for c in base.categories}
    deltas = tuple(
        CategoryDelta(
            c.category,
            base_scores[c.category],
            c.score,
            round(c.score - base_scores[c.category], 1),
        )
        for c in head.categories
        if c.category in base_scores
    )
    changed_set = set(changed)
    return PullRequestImpact(
        introduced=introduced,
        fixed=fixed,
        health_impact=impact,
        base_score=base.overall_score,
        projected_score=head.overall_score,
        risk=risk,
        risk_reasons=risk_reasons,
        readiness=readiness,
        readiness_reasons=readiness_reasons,
        category_deltas=deltas,
        changed_files=changed,
        introduced_in_changed_files=sum(f.path in changed_set for f in introduced),
    )
