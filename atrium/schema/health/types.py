"""Code health in the graph: assessments, findings, drift alerts, dismiss rules, dashboard."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

import strawberry
from strawberry.scalars import JSON

from atrium.models import health as models
from atrium.resolvers.health import loaders
from atrium.schema.common import (
    AtriumInfo,
    Node,
)
from atrium.schema.identity.types import User, load_user

for _enum, _name, _description in (
    (models.AssessmentStatus, "AssessmentStatus", "PENDING, RUNNING, COMPLETED or FAILED."),
    (models.AssessmentTrigger, "AssessmentTrigger", "MANUAL, PUSH or SCHEDULED."),
):
    strawberry.enum(_enum, name=_name, description=_description)


def _arg(description: str) -> Any:
    return strawberry.argument(description=description)


@strawberry.type(description="One health category's score in an assessment.")
class HealthCategoryScore:
    category: str = strawberry.field(description="e.g. SECURITY, CODE_SMELLS.")
    score: float = strawberry.field(description="0-100.")
    findings: int = strawberry.field(description="Findings counted in it.")
    weight: float = strawberry.field(description="Weight in the overall score (security 2).")
    per_kloc: float = strawberry.field(description="Severity-weighted findings per 1,000 lines.")


@strawberry.type(description="A health assessment of one repository at one commit.")
class Assessment(Node):
    status: models.AssessmentStatus = strawberry.field(description="Where it stands.")
    trigger: models.AssessmentTrigger = strawberry.field(description="What started it.")
    commit: str | None = strawberry.field(description="Commit assessed.")
    overall_score: float | None = strawberry.field(description="0-100, weighted.")
    grade: str | None = strawberry.field(description="A-F.")
    lines_of_code: int | None = strawberry.field(description="Code lines.")
    lines_of_tests: int | None = strawberry.field(description="Test lines.")
    coverage_estimate: float | None = strawberry.field(description="Estimated, 0-1.")
    categories: list[HealthCategoryScore] = strawberry.field(description="The eight categories.")
    analysers: JSON = strawberry.field(description="Analysers run, versions, durations.")
    error: str | None = strawberry.field(description="Why it failed.")
    repository_id: strawberry.ID | None = strawberry.field(description="Repository assessed.")
    project_id: strawberry.ID = strawberry.field(description="The project.")
    scheduled_for: datetime | None = strawberry.field(
        description="The schedule slot it was made for (SCHEDULED assessments)."
    )
    created_at: datetime = strawberry.field(description="When it was requested.")
    completed_at: datetime | None = strawberry.field(description="When it finished.")

    @classmethod
    def from_model(cls, row: models.Assessment) -> Assessment:
        return cls(
            id=strawberry.ID(row.id),
            status=row.status,
            trigger=row.trigger,
            commit=row.commit,
            overall_score=row.overall_score,
            grade=row.grade,
            lines_of_code=row.lines_of_code,
            lines_of_tests=row.lines_of_tests,
            coverage_estimate=row.coverage_estimate,
            categories=[
                HealthCategoryScore(
                    category=str(c["category"]).upper(),
                    score=c["score"],
                    findings=c["findings"],
                    weight=c["weight"],
                    per_kloc=c["per_kloc"],
                )
                for c in row.categories
            ],
            analysers=cast("JSON", row.analysers),
            error=row.error,
            repository_id=strawberry.ID(row.repository_id) if row.repository_id else None,
            project_id=strawberry.ID(row.project_id),
            scheduled_for=row.scheduled_for,
            created_at=row.created_at,
            completed_at=row.completed_at,
        )


@strawberry.type(description="An issue an analyser found.")
class Finding(Node):
    fingerprint: str = strawberry.field(description="Stable across commits.")
    rule: str = strawberry.field(description="e.g. S307.")
    category: str = strawberry.field(description="Health category.")
    severity: str = strawberry.field(description="CRITICAL, HIGH, MEDIUM, LOW or INFO.")
    path: str = strawberry.field(description="File, relative to the repository.")
    line: int | None = strawberry.field(description="Line.")
    message: str = strawberry.field(description="What is wrong.")
    tool: str = strawberry.field(description="Analyser.")
    assessment_id: strawberry.ID = strawberry.field(description="Where it was found.")
    project_id: strawberry.Private[str]

    @classmethod
    def from_model(cls, row: models.Finding) -> Finding:
        return cls(
            id=strawberry.ID(row.id),
            fingerprint=row.fingerprint,
            rule=row.rule,
            category=row.category,
            severity=row.severity,
            path=row.path,
            line=row.line,
            message=row.message,
            tool=row.tool,
            assessment_id=strawberry.ID(row.assessment_id),
            project_id=row.project_id,
        )

    async def _dismissal(self, info: AtriumInfo) -> models.FindingDismissal | None:
        found = await info.context.loaders.get(loaders.dismissals_by_project).load(self.project_id)
        return found.get(self.fingerprint)

    @strawberry.field(description="Dismissed (in this or an earlier assessment).")
    async def dismissed(self, info: AtriumInfo) -> bool:
        return await self._dismissal(info) is not None

    @strawberry.field(description="Why it was dismissed.")
    async def dismiss_reason(self, info: AtriumInfo) -> str | None:
        dismissal = await self._dismissal(info)
        return dismissal.reason if dismissal else None

    @strawberry.field(description="Who dismissed it.")
    async def dismissed_by(self, info: AtriumInfo) -> User | None:
        dismissal = await self._dismissal(info)
        return await load_user(info, dismissal.dismissed_by_id) if dismissal else None


@strawberry.type(description="A health measure that fell by more than its threshold.")
class DriftAlert(Node):
    type: str = strawberry.field(description="SCORE, COVERAGE, CONVENTION or CHURN.")
    category: str | None = strawberry.field(description="Category, OVERALL or LINES_OF_CODE.")
    previous: float = strawberry.field(description="Value in the previous assessment.")
    current: float = strawberry.field(description="Value now.")
    change: float = strawberry.field(description="current - previous.")
    assessment_id: strawberry.ID = strawberry.field(description="The assessment that saw it.")
    dismissed_at: datetime | None = strawberry.field(description="When it was dismissed.")
    created_at: datetime = strawberry.field(description="When it was raised.")

    @classmethod
    def from_model(cls, row: models.DriftAlert) -> DriftAlert:
        return cls(
            id=strawberry.ID(row.id),
            type=row.type,
            category=row.category,
            previous=row.previous,
            current=row.current,
            change=row.change,
            assessment_id=strawberry.ID(row.assessment_id),
            dismissed_at=row.dismissed_at,
            created_at=row.created_at,
        )


@strawberry.type(description="Hides matching findings (every set field must match).")
class DismissRule(Node):
    rule: str | None = strawberry.field(description="Rule id or pattern.")
    path_glob: str | None = strawberry.field(description="Path pattern.")
    severity: str | None = strawberry.field(description="Severity.")
    reason: str = strawberry.field(description="Why.")
    created_at: datetime = strawberry.field(description="When it was made.")

    @classmethod
    def from_model(cls, row: models.DismissRule) -> DismissRule:
        return cls(
            id=strawberry.ID(row.id),
            rule=row.rule,
            path_glob=row.path_glob,
            severity=row.severity,
            reason=row.reason,
            created_at=row.created_at,
        )


@strawberry.type(description="A count of findings in one bucket.")
class FindingCount:
    key: str = strawberry.field(description="Severity, category or rule.")
    count: int = strawberry.field(description="Findings.")


@strawberry.type(description="Findings of the latest assessments, counted.")
class FindingStats:
    total: int = strawberry.field(description="All open findings.")
    dismissed: int = strawberry.field(description="Dismissed ones (not in the buckets).")
    by_severity: list[FindingCount] = strawberry.field(description="Per severity.")
    by_category: list[FindingCount] = strawberry.field(description="Per category.")
    top_rules: list[FindingCount] = strawberry.field(description="The ten commonest rules.")


@strawberry.type(description="A health category over a project's latest assessments.")
class HealthCategory:
    key: str = strawberry.field(description="e.g. SECURITY, RUNTIME_RISKS.")
    name: str = strawberry.field(description="e.g. Security, Runtime risks.")
    weight: float = strawberry.field(description="Weight in the overall score (security 2).")
    score: float | None = strawberry.field(
        description="0-100, the latest assessments' scores weighted by lines (null: none yet)."
    )
    per_kloc: float | None = strawberry.field(
        description="Severity-weighted findings per 1,000 lines, weighted likewise."
    )
    findings: int = strawberry.field(description="Open (not dismissed) findings in it.")


@strawberry.type(description="A project's health at a glance: the latest result and the trend.")
class HealthDashboard:
    latest: list[Assessment] = strawberry.field(description="Latest completed per repository.")
    trend: list[Assessment] = strawberry.field(description="Last 20 completed, oldest first.")
    open_drift_alerts: int = strawberry.field(description="Drift alerts not dismissed.")
