"""A threat model's result as graph types, with each threat's status from people's verdicts."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import strawberry

from atrium.engines.architecture.threat_rules import ElementKind, Severity, StrideCategory
from atrium.models.architecture import ThreatDecision, ThreatStatus
from atrium.schema.common import AtriumInfo
from atrium.schema.identity.types import User, load_user

strawberry.enum(
    ThreatStatus,
    name="ThreatStatus",
    description="OPEN (no verdict), MITIGATED or ACCEPTED (risk taken knowingly).",
)
strawberry.enum(StrideCategory, name="StrideCategory", description="The STRIDE category.")
strawberry.enum(Severity, name="ThreatSeverity", description="CRITICAL, HIGH, MEDIUM or LOW.")
strawberry.enum(ElementKind, name="ThreatElementKind", description="COMPONENT or LINK.")


@strawberry.type(description="One threat found by a rule on one component or link.")
class Threat:
    id: str = strawberry.field(
        description="Fingerprint of rule and element: the same threat keeps it across analyses."
    )
    rule_id: str = strawberry.field(description="The rule that found it, e.g. `STRIDE-I-001`.")
    category: StrideCategory = strawberry.field(description="STRIDE category.")
    severity: Severity = strawberry.field(description="How bad.")
    element_kind: ElementKind = strawberry.field(description="COMPONENT or LINK.")
    element: str = strawberry.field(description="Component key, or `source->target`.")
    title: str = strawberry.field(description="The threat, in a line.")
    rationale: str = strawberry.field(description="Why the rule fired, naming the facts.")
    mitigation: str = strawberry.field(description="What would address it.")
    status: ThreatStatus = strawberry.field(description="OPEN, MITIGATED or ACCEPTED.")
    note: str | None = strawberry.field(description="The verdict's note.")
    decided_at: datetime | None = strawberry.field(description="When the verdict was given.")
    decided_by_id: strawberry.Private[str | None]

    @strawberry.field(description="Who gave the verdict.")
    async def decided_by(self, info: AtriumInfo) -> User | None:
        return await load_user(info, self.decided_by_id)

    @classmethod
    def from_result(cls, raw: dict[str, Any], decision: ThreatDecision | None) -> Threat:
        return cls(
            id=raw["id"],
            rule_id=raw["rule_id"],
            category=StrideCategory(raw["category"]),
            severity=Severity(raw["severity"]),
            element_kind=ElementKind(raw["element_kind"]),
            element=raw["element"],
            title=raw["title"],
            rationale=raw["rationale"],
            mitigation=raw["mitigation"],
            status=decision.status if decision else ThreatStatus.OPEN,
            note=decision.note if decision else None,
            decided_at=decision.updated_at if decision else None,
            decided_by_id=decision.decided_by_id if decision else None,
        )


@strawberry.type(description="How many threats fall in one bucket.")
class ThreatCount:
    key: str = strawberry.field(description="The category or severity.")
    count: int = strawberry.field(description="Threats in it.")


@strawberry.type(description="A STRIDE threat model of one version.")
class ThreatModel:
    all_threats: strawberry.Private[list[Threat]]
    risk_score: int = strawberry.field(
        description="CRITICAL 10, HIGH 5, MEDIUM 2, LOW 1 points per threat, summed."
    )
    highest_severity: Severity | None = strawberry.field(description="Worst severity found.")
    by_category: list[ThreatCount] = strawberry.field(description="Threats per STRIDE category.")
    by_severity: list[ThreatCount] = strawberry.field(description="Threats per severity.")

    @strawberry.field(description="Threats, worst first; filter by status, severity, category.")
    def threats(
        self,
        status: Annotated[
            ThreatStatus | None, strawberry.argument(description="Only this status.")
        ] = None,
        severity: Annotated[
            Severity | None, strawberry.argument(description="Only this severity.")
        ] = None,
        category: Annotated[
            StrideCategory | None, strawberry.argument(description="Only this category.")
        ] = None,
    ) -> list[Threat]:
        return [
            t
            for t in self.all_threats
            if (status is None or t.status is status)
            and (severity is None or t.severity is severity)
            and (category is None or t.category is category)
        ]

    @strawberry.field(description="Threats found.")
    def total(self) -> int:
        return len(self.all_threats)

    @strawberry.field(description="Threats with no verdict yet.")
    def open_count(self) -> int:
        return sum(1 for t in self.all_threats if t.status is ThreatStatus.OPEN)

    @classmethod
    def from_result(cls, raw: dict[str, Any], decisions: dict[str, ThreatDecision]) -> ThreatModel:
        summary = raw["summary"]
        highest = summary.get("highest_severity")
        return cls(
            all_threats=[Threat.from_result(t, decisions.get(t["id"])) for t in raw["threats"]],
            risk_score=summary["risk_score"],
            highest_severity=Severity(highest) if highest else None,
            by_category=[ThreatCount(key=k, count=v) for k, v in summary["by_category"].items()],
            by_severity=[ThreatCount(key=k, count=v) for k, v in summary["by_severity"].items()],
        )
