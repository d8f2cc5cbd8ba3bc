"""STRIDE threat model of an architecture: deterministic rules, explained, fingerprinted.

A threat's `id` is a fingerprint of its rule and element only (not of severity, wording or the
rest of the spec), so a person's "mitigated" or "accepted" decision, stored against that id,
still applies after the architecture is edited and re-analysed, and a threat that disappears
and comes back is recognised as the same one.

Risk score: a weighted count of threats, CRITICAL 10, HIGH 5, MEDIUM 2, LOW 1. One critical
threat weighs as much as two high ones, five medium ones or ten low ones; the score only falls
when a threat is fixed or downgraded, so versions of one architecture compare directly.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from atrium.engines.architecture.model import ArchitectureSpec
from atrium.engines.architecture.threat_component_rules import (
    COMPONENT_RULES,
    component_findings,
)
from atrium.engines.architecture.threat_link_rules import LINK_RULES, link_findings
from atrium.engines.architecture.threat_rules import (
    ElementKind,
    Finding,
    Rule,
    Severity,
    SpecIndex,
    StrideCategory,
)

RULES: tuple[Rule, ...] = LINK_RULES + COMPONENT_RULES
SEVERITY_WEIGHTS: dict[Severity, int] = {
    Severity.CRITICAL: 10,
    Severity.HIGH: 5,
    Severity.MEDIUM: 2,
    Severity.LOW: 1,
}
_SEVERITY_RANK = {s: i for i, s in enumerate(Severity)}
_CATEGORY_RANK = {c: i for i, c in enumerate(StrideCategory)}


def fingerprint(rule_id: str, element_kind: ElementKind, element: str) -> str:
    """16 hex digits of sha256: short enough for a URL, far too long to collide in one model."""
    digest = hashlib.sha256(f"{rule_id}|{element_kind}|{element}".encode()).hexdigest()
    return digest[:16]


@dataclass(frozen=True, slots=True)
class Threat:
    id: str
    rule_id: str
    category: StrideCategory
    element_kind: ElementKind
    element: str  # a component key, or "source->target" for a link
    title: str
    severity: Severity
    rationale: str
    mitigation: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "rule_id": self.rule_id,
            "category": str(self.category),
            "element_kind": str(self.element_kind),
            "element": self.element,
            "title": self.title,
            "severity": str(self.severity),
            "rationale": self.rationale,
            "mitigation": self.mitigation,
        }


@dataclass(frozen=True, slots=True)
class ThreatSummary:
    """Counts list every category and severity, zeros included, so charts keep their axes."""

    total: int
    by_category: dict[StrideCategory, int]
    by_severity: dict[Severity, int]
    risk_score: int
    highest_severity: Severity | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "total": self.total,
            "by_category": {str(k): v for k, v in self.by_category.items()},
            "by_severity": {str(k): v for k, v in self.by_severity.items()},
            "risk_score": self.risk_score,
            "highest_severity": str(self.highest_severity) if self.highest_severity else None,
        }


@dataclass(frozen=True, slots=True)
class ThreatReport:
    threats: tuple[Threat, ...]
    summary: ThreatSummary

    def to_dict(self) -> dict[str, Any]:
        return {
            "threats": [t.to_dict() for t in self.threats],
            "summary": self.summary.to_dict(),
        }


def analyze_threats(spec: ArchitectureSpec) -> ThreatReport:
    """Threats sorted by severity, then STRIDE order, then element, then rule id."""
    index = SpecIndex(spec)
    findings = link_findings(index, spec.links) + component_findings(index, spec.components)
    threats = _dedupe(_threat(f) for f in findings)
    threats.sort(
        key=lambda t: (
            _SEVERITY_RANK[t.severity],
            _CATEGORY_RANK[t.category],
            t.element,
            t.rule_id,
        )
    )
    return ThreatReport(tuple(threats), summarize(threats))


def summarize(threats: list[Threat] | tuple[Threat, ...]) -> ThreatSummary:
    """Also usable on a filtered list, e.g. only the threats nobody has accepted yet."""
    by_category = dict.fromkeys(StrideCategory, 0)
    by_severity = dict.fromkeys(Severity, 0)
    for threat in threats:
        by_category[threat.category] += 1
        by_severity[threat.severity] += 1
    present = [s for s in Severity if by_severity[s]]
    return ThreatSummary(
        total=len(threats),
        by_category=by_category,
        by_severity=by_severity,
        risk_score=sum(SEVERITY_WEIGHTS[s] * n for s, n in by_severity.items()),
        highest_severity=present[0] if present else None,
    )


def _threat(finding: Finding) -> Threat:
    rule = finding.rule
    return Threat(
        id=fingerprint(rule.id, rule.element_kind, finding.element),
        rule_id=rule.id,
        category=rule.category,
        element_kind=rule.element_kind,
        element=finding.element,
        title=rule.title,
        severity=finding.severity,
        rationale=finding.rationale,
        mitigation=rule.mitigation,
    )


def _dedupe(threats: Iterable[Threat]) -> list[Threat]:
    """Two links with the same ends share a fingerprint; the worse of their threats is kept."""
    kept: dict[str, Threat] = {}
    for threat in threats:
        current = kept.get(threat.id)
        if current is None or _SEVERITY_RANK[threat.severity] < _SEVERITY_RANK[current.severity]:
            kept[threat.id] = threat
    return list(kept.values())


__all__ = [
    "RULES",
    "SEVERITY_WEIGHTS",
    "ElementKind",
    "Rule",
    "Severity",
    "StrideCategory",
    "Threat",
    "ThreatReport",
    "ThreatSummary",
    "analyze_threats",
    "fingerprint",
    "summarize",
]
