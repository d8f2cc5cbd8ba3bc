"""Code-health queries and mutations: dashboard, assessments, findings and their triage."""

from __future__ import annotations

from typing import Annotated, Any

import strawberry
from sqlalchemy import func, select

from atrium.core.errors import NotFound
from atrium.engines.health import Category
from atrium.engines.health.scoring import CATEGORY_WEIGHTS
from atrium.models import health as models
from atrium.models.projects import Project
from atrium.resolvers.health import assessments as assessment_service
from atrium.resolvers.health import loaders, triage
from atrium.resolvers.loading import visible_org_ids
from atrium.schema.common import (
    After,
    AtriumInfo,
    Before,
    Connection,
    First,
    Last,
    UserError,
    run_mutation,
    statement_connection,
)
from atrium.schema.health.types import (
    Assessment,
    DismissRule,
    DriftAlert,
    Finding,
    FindingCount,
    FindingStats,
    HealthCategory,
    HealthDashboard,
)


def _arg(description: str) -> Any:
    return strawberry.argument(description=description)


async def require_project(info: AtriumInfo, project_id: str) -> Project:
    info.context.principal.require_authenticated()
    async with info.context.session() as session:
        project = await session.scalar(
            select(Project).where(
                Project.id == project_id,
                Project.organization_id.in_(visible_org_ids(info.context)),
            )
        )
    if project is None:
        raise NotFound("Project", project_id)
    return project


@strawberry.type
class HealthQuery:
    @strawberry.field(description="The latest assessment of each repository and the trend.")
    async def project_health(
        self, info: AtriumInfo, project_id: Annotated[strawberry.ID, _arg("The project.")]
    ) -> HealthDashboard:
        project = await require_project(info, project_id)
        done = models.Assessment.status == models.AssessmentStatus.COMPLETED
        async with info.context.session() as session:
            latest = (
                await session.scalars(
                    select(models.Assessment).where(
                        models.Assessment.id.in_(loaders.latest_assessment_ids(project.id))
                    )
                )
            ).all()
            trend = (
                await session.scalars(
                    select(models.Assessment)
                    .where(models.Assessment.project_id == project.id, done)
                    .order_by(models.Assessment.id.desc())
                    .limit(20)
                )
            ).all()
            alerts = await session.scalar(
                select(func.count()).where(
                    models.DriftAlert.project_id == project.id,
                    models.DriftAlert.dismissed_at.is_(None),
                )
            )
        return HealthDashboard(
            latest=[Assessment.from_model(r) for r in latest],
            trend=[Assessment.from_model(r) for r in reversed(trend)],
            open_drift_alerts=int(alerts or 0),
        )

    @strawberry.field(description="An assessment by ID (of this project, when given).")
    async def assessment(
        self,
        info: AtriumInfo,
        id: Annotated[strawberry.ID, _arg("The assessment.")],
        project_id: Annotated[strawberry.ID | None, _arg("The project it must belong to.")] = None,
    ) -> Assessment:
        info.context.principal.require_authenticated()
        row = await info.context.loaders.get(loaders.assessments_by_id).load(id)
        if row is None or (project_id is not None and row.project_id != project_id):
            raise NotFound("Assessment", id)
        return Assessment.from_model(row)

    @strawberry.field(description="The eight health categories over the latest assessments.")
    async def health_categories(
        self, info: AtriumInfo, project_id: Annotated[strawberry.ID, _arg("The project.")]
    ) -> list[HealthCategory]:
        project = await require_project(info, project_id)
        async with info.context.session() as session:
            latest = (
                await session.scalars(
                    select(models.Assessment).where(
                        models.Assessment.id.in_(loaders.latest_assessment_ids(project.id))
                    )
                )
            ).all()
            findings = loaders.open_findings(project.id).subquery()
            counts: dict[str, int] = dict(
                (
                    await session.execute(
                        select(findings.c.category, func.count()).group_by(findings.c.category)
                    )
                ).all()
            )
        return [_category(category, latest, counts) for category in Category]

    @strawberry.field(description="A finding by ID (of this project, when given).")
    async def finding(
        self,
        info: AtriumInfo,
        id: Annotated[strawberry.ID, _arg("The finding.")],
        project_id: Annotated[strawberry.ID | None, _arg("The project it must belong to.")] = None,
    ) -> Finding:
        info.context.principal.require_authenticated()
        row = await info.context.loaders.get(loaders.findings_by_id).load(id)
        if row is None or (project_id is not None and row.project_id != project_id):
            raise NotFound("Finding", id)
        return Finding.from_model(row)

    @strawberry.field(description="A project's assessments, newest first.")
    async def assessments(
        self,
        info: AtriumInfo,
        project_id: Annotated[strawberry.ID, _arg("The project.")],
        repository_id: Annotated[strawberry.ID | None, _arg("Only this repository.")] = None,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[Assessment]:
        project = await require_project(info, project_id)
        model = models.Assessment
        stmt = select(model).where(model.project_id == project.id)
        if repository_id is not None:
            stmt = stmt.where(model.repository_id == repository_id)
        return await statement_connection(
            info, stmt, model.id, Assessment.from_model, first, after, last, before, descending=True
        )

    @strawberry.field(
        description="Findings of the latest assessments (or of one), filtered; dismissed ones "
        "only when asked."
    )
    async def findings(
        self,
        info: AtriumInfo,
        project_id: Annotated[strawberry.ID, _arg("The project.")],
        assessment_id: Annotated[strawberry.ID | None, _arg("Of this assessment.")] = None,
        severity: Annotated[str | None, _arg("CRITICAL, HIGH, MEDIUM, LOW or INFO.")] = None,
        category: Annotated[str | None, _arg("e.g. SECURITY.")] = None,
        rule: Annotated[str | None, _arg("Rule id.")] = None,
        path: Annotated[str | None, _arg("Path prefix.")] = None,
        include_dismissed: Annotated[bool, _arg("Include dismissed findings.")] = False,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[Finding]:
        project = await require_project(info, project_id)
        model = models.Finding
        stmt = select(model).where(model.project_id == project.id)
        if assessment_id is not None:
            stmt = stmt.where(model.assessment_id == assessment_id)
        else:
            stmt = stmt.where(model.assessment_id.in_(loaders.latest_assessment_ids(project.id)))
        if not include_dismissed:
            stmt = stmt.where(model.fingerprint.not_in(loaders.dismissed_fingerprints(project.id)))
        for column, value in ((model.severity, severity), (model.category, category)):
            if value is not None:
                stmt = stmt.where(column == value.upper())
        if rule is not None:
            stmt = stmt.where(model.rule == rule)
        if path is not None:
            stmt = stmt.where(model.path.startswith(path, autoescape=True))
        return await statement_connection(
            info, stmt, model.id, Finding.from_model, first, after, last, before
        )

    @strawberry.field(description="Open findings of the latest assessments, counted.")
    async def finding_stats(
        self, info: AtriumInfo, project_id: Annotated[strawberry.ID, _arg("The project.")]
    ) -> FindingStats:
        project = await require_project(info, project_id)
        findings = loaders.open_findings(project.id).subquery()
        async with info.context.session() as session:

            async def counts(column: Any, limit: int | None = None) -> list[FindingCount]:
                stmt = (
                    select(column, func.count())
                    .group_by(column)
                    .order_by(func.count().desc(), column)
                )
                if limit:
                    stmt = stmt.limit(limit)
                rows = (await session.execute(stmt)).all()
                return [FindingCount(key=k, count=n) for k, n in rows]

            by_severity = await counts(findings.c.severity)
            by_category = await counts(findings.c.category)
            top_rules = await counts(findings.c.rule, 10)
            dismissed = await session.scalar(
                select(func.count()).where(
                    models.Finding.assessment_id.in_(loaders.latest_assessment_ids(project.id)),
                    models.Finding.fingerprint.in_(loaders.dismissed_fingerprints(project.id)),
                )
            )
        return FindingStats(
            total=sum(c.count for c in by_severity),
            dismissed=int(dismissed or 0),
            by_severity=by_severity,
            by_category=by_category,
            top_rules=top_rules,
        )

    @strawberry.field(description="Drift alerts, newest first.")
    async def drift_alerts(
        self,
        info: AtriumInfo,
        project_id: Annotated[strawberry.ID, _arg("The project.")],
        include_dismissed: Annotated[bool, _arg("Include dismissed alerts.")] = False,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[DriftAlert]:
        project = await require_project(info, project_id)
        model = models.DriftAlert
        stmt = select(model).where(model.project_id == project.id)
        if not include_dismissed:
            stmt = stmt.where(model.dismissed_at.is_(None))
        return await statement_connection(
            info, stmt, model.id, DriftAlert.from_model, first, after, last, before, descending=True
        )

    @strawberry.field(description="A project's dismiss rules.")
    async def dismiss_rules(
        self,
        info: AtriumInfo,
        project_id: Annotated[strawberry.ID, _arg("The project.")],
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[DismissRule]:
        project = await require_project(info, project_id)
        model = models.DismissRule
        stmt = select(model).where(model.project_id == project.id)
        return await statement_connection(
            info, stmt, model.id, DismissRule.from_model, first, after, last, before
        )


def _category(category: Category, latest: Any, counts: dict[str, int]) -> HealthCategory:
    """A category's score and density over assessments, each weighted by its lines."""
    key = category.name
    scored = [
        (max(a.lines_of_code or 0, 1), c)
        for a in latest
        for c in a.categories
        if str(c.get("category", "")).upper() == key
    ]
    lines = sum(n for n, _ in scored)
    return HealthCategory(
        key=key,
        name=category.value.replace("_", " ").capitalize(),
        weight=CATEGORY_WEIGHTS[category],
        score=round(sum(n * c["score"] for n, c in scored) / lines, 1) if scored else None,
        per_kloc=round(sum(n * c["per_kloc"] for n, c in scored) / lines, 3) if scored else None,
        findings=int(counts.get(key, 0)),
    )


@strawberry.input(description="Assess a project's repositories (or one) now.")
class TriggerAssessmentInput:
    project_id: strawberry.ID = strawberry.field(description="The project.")
    repository_id: strawberry.ID | None = strawberry.field(
        default=None, description="Only this linked repository (default: all of them)."
    )
    ref: str | None = strawberry.field(default=None, description="Commit or branch (HEAD).")


@strawberry.input(description="A finding to dismiss or restore.")
class FindingTriageInput:
    id: strawberry.ID = strawberry.field(description="The finding.")
    reason: str | None = strawberry.field(default=None, description="Why (dismiss).")
    project_id: strawberry.ID | None = strawberry.field(
        default=None, description="When given, the project it must belong to."
    )


@strawberry.input(description="A rule hiding matching findings.")
class CreateDismissRuleInput:
    project_id: strawberry.ID = strawberry.field(description="The project.")
    rule: str | None = strawberry.field(default=None, description="Rule id or pattern.")
    path_glob: str | None = strawberry.field(default=None, description="Path pattern.")
    severity: str | None = strawberry.field(default=None, description="Severity.")
    reason: str | None = strawberry.field(default=None, description="Why.")


@strawberry.input(description="An object, by ID.")
class HealthIdInput:
    id: strawberry.ID = strawberry.field(description="Its ID.")
    project_id: strawberry.ID | None = strawberry.field(
        default=None, description="When given, the project it must belong to."
    )


@strawberry.type(description="Result of triggering assessments.")
class TriggerAssessmentPayload:
    assessments: list[Assessment] = strawberry.field(description="Queued, one per repository.")
    user_errors: list[UserError] = strawberry.field(description="Why it failed, if it did.")


@strawberry.type(description="Result of triaging a finding.")
class FindingPayload:
    finding: Finding | None = strawberry.field(description="The finding.")
    user_errors: list[UserError] = strawberry.field(description="Why it failed, if it did.")


@strawberry.type(description="Result of changing dismiss rules.")
class DismissRulePayload:
    dismiss_rule: DismissRule | None = strawberry.field(description="The rule.")
    deleted_id: strawberry.ID | None = strawberry.field(description="Set when deleted.")
    user_errors: list[UserError] = strawberry.field(description="Why it failed, if it did.")


@strawberry.type(description="Result of dismissing a drift alert.")
class DriftAlertPayload:
    drift_alert: DriftAlert | None = strawberry.field(description="The alert.")
    user_errors: list[UserError] = strawberry.field(description="Why it failed, if it did.")


def _finding(row: Any, errors: list[UserError]) -> FindingPayload:
    return FindingPayload(finding=Finding.from_model(row) if row else None, user_errors=errors)


@strawberry.type
class HealthMutation:
    @strawberry.mutation(description="Assess now: one durable job per repository.")
    async def trigger_assessment(
        self, info: AtriumInfo, input: TriggerAssessmentInput
    ) -> TriggerAssessmentPayload:
        rows, errors = await run_mutation(
            info,
            lambda c, s: assessment_service.trigger_assessments(
                c, s, project_id=input.project_id, repository_id=input.repository_id, ref=input.ref
            ),
        )
        return TriggerAssessmentPayload(
            assessments=[Assessment.from_model(r) for r in rows or []], user_errors=errors
        )

    @strawberry.mutation(description="Dismiss a finding (it stays dismissed in later assessments).")
    async def dismiss_finding(self, info: AtriumInfo, input: FindingTriageInput) -> FindingPayload:
        row, errors = await run_mutation(
            info,
            lambda c, s: triage.dismiss_finding(
                c, s, finding_id=input.id, reason=input.reason, project_id=input.project_id
            ),
        )
        return _finding(row, errors)

    @strawberry.mutation(description="Restore a dismissed finding.")
    async def restore_finding(self, info: AtriumInfo, input: FindingTriageInput) -> FindingPayload:
        row, errors = await run_mutation(
            info,
            lambda c, s: triage.restore_finding(
                c, s, finding_id=input.id, project_id=input.project_id
            ),
        )
        return _finding(row, errors)

    @strawberry.mutation(description="Hide matching findings in future assessments.")
    async def create_dismiss_rule(
        self, info: AtriumInfo, input: CreateDismissRuleInput
    ) -> DismissRulePayload:
        row, errors = await run_mutation(
            info,
            lambda c, s: triage.create_dismiss_rule(
                c,
                s,
                project_id=input.project_id,
                rule=input.rule,
                path_glob=input.path_glob,
                severity=input.severity,
                reason=input.reason,
            ),
        )
        return DismissRulePayload(
            dismiss_rule=DismissRule.from_model(row) if row else None,
            deleted_id=None,
            user_errors=errors,
        )

    @strawberry.mutation(description="Delete a dismiss rule.")
    async def delete_dismiss_rule(
        self, info: AtriumInfo, input: HealthIdInput
    ) -> DismissRulePayload:
        deleted, errors = await run_mutation(
            info, lambda c, s: triage.delete_dismiss_rule(c, s, input.id, input.project_id)
        )
        return DismissRulePayload(
            dismiss_rule=None,
            deleted_id=strawberry.ID(deleted) if deleted else None,
            user_errors=errors,
        )

    @strawberry.mutation(description="Dismiss a drift alert.")
    async def dismiss_drift_alert(
        self, info: AtriumInfo, input: HealthIdInput
    ) -> DriftAlertPayload:
        row, errors = await run_mutation(
            info, lambda c, s: triage.dismiss_drift_alert(c, s, input.id, input.project_id)
        )
        return DriftAlertPayload(
            drift_alert=DriftAlert.from_model(row) if row else None, user_errors=errors
        )


NODE_TYPES: dict[str, tuple[Any, Any]] = {
    "asm": (loaders.assessments_by_id, Assessment.from_model),
    "fnd": (loaders.findings_by_id, Finding.from_model),
    "dft": (loaders.drift_alerts_by_id, DriftAlert.from_model),
    "drl": (loaders.dismiss_rules_by_id, DismissRule.from_model),
}
