"""Pull request analyses in the graph: introduced and fixed findings, risk, readiness."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import strawberry
from sqlalchemy import func, select

from atrium.core.errors import NotFound
from atrium.models import health as models
from atrium.resolvers.health import pull_requests as service
from atrium.resolvers.loading import org_scoped
from atrium.schema.common import (
    After,
    AtriumInfo,
    Before,
    Connection,
    First,
    Last,
    Node,
    UserError,
    run_mutation,
    statement_connection,
)
from atrium.schema.health.operations import require_project

pull_request_analyses_by_id = org_scoped(models.PullRequestAnalysis)


@strawberry.type(description="A finding a pull request introduces or fixes.")
class ChangedFinding:
    rule: str = strawberry.field(description="Rule.")
    category: str = strawberry.field(description="Category.")
    severity: str = strawberry.field(description="Severity.")
    path: str = strawberry.field(description="File.")
    line: int | None = strawberry.field(description="Line.")
    message: str = strawberry.field(description="What is wrong.")
    fingerprint: str = strawberry.field(description="Stable fingerprint.")

    @classmethod
    def from_result(cls, raw: dict[str, Any]) -> ChangedFinding:
        return cls(
            rule=raw["rule"],
            category=str(raw["category"]).upper(),
            severity=str(raw["severity"]).upper(),
            path=raw["path"],
            line=raw.get("line"),
            message=raw["message"],
            fingerprint=raw["fingerprint"],
        )


@strawberry.type(description="A pull request's health impact and merge readiness.")
class PullRequestAnalysis(Node):
    number: int | None = strawberry.field(description="Pull request number.")
    base_ref: str = strawberry.field(description="Base branch or commit.")
    head_ref: str = strawberry.field(description="Head branch or commit.")
    base_commit: str | None = strawberry.field(description="Base commit assessed.")
    head_commit: str | None = strawberry.field(description="Head commit assessed.")
    status: models.AssessmentStatus = strawberry.field(description="Where it stands.")
    risk: str | None = strawberry.field(description="LOW, MEDIUM, HIGH or CRITICAL.")
    readiness: str | None = strawberry.field(description="READY, NEEDS_REVIEW or BLOCKED.")
    health_impact: float | None = strawberry.field(description="Score change head - base.")
    projected_score: float | None = strawberry.field(description="Score after merging.")
    error: str | None = strawberry.field(description="Why it failed.")
    repository_id: strawberry.ID | None = strawberry.field(description="Repository.")
    created_at: datetime = strawberry.field(description="When it was requested.")
    completed_at: datetime | None = strawberry.field(description="When it finished.")
    raw: strawberry.Private[dict[str, Any]]

    @classmethod
    def from_model(cls, row: models.PullRequestAnalysis) -> PullRequestAnalysis:
        return cls(
            id=strawberry.ID(row.id),
            number=row.number,
            base_ref=row.base_ref,
            head_ref=row.head_ref,
            base_commit=row.base_commit,
            head_commit=row.head_commit,
            status=row.status,
            risk=row.risk,
            readiness=row.readiness,
            health_impact=row.health_impact,
            projected_score=row.projected_score,
            error=row.error,
            repository_id=strawberry.ID(row.repository_id) if row.repository_id else None,
            created_at=row.created_at,
            completed_at=row.completed_at,
            raw=row.result or {},
        )

    @strawberry.field(description="Why the risk is what it is.")
    def risk_reasons(self) -> list[str]:
        return list(self.raw.get("risk_reasons", []))

    @strawberry.field(description="Why it is (not) ready to merge.")
    def readiness_reasons(self) -> list[str]:
        return list(self.raw.get("readiness_reasons", []))

    @strawberry.field(description="Files the pull request changes.")
    def changed_files(self) -> list[str]:
        return list(self.raw.get("changed_files", []))

    @strawberry.field(description="Findings in head that base does not have.")
    def introduced(self) -> list[ChangedFinding]:
        return [ChangedFinding.from_result(f) for f in self.raw.get("introduced", [])]

    @strawberry.field(description="Findings of base that head no longer has.")
    def fixed(self) -> list[ChangedFinding]:
        return [ChangedFinding.from_result(f) for f in self.raw.get("fixed", [])]


@strawberry.type(description="Pull request analyses, counted.")
class PullRequestStats:
    total: int = strawberry.field(description="Completed analyses.")
    ready: int = strawberry.field(description="READY.")
    needs_review: int = strawberry.field(description="NEEDS_REVIEW.")
    blocked: int = strawberry.field(description="BLOCKED.")
    average_impact: float | None = strawberry.field(description="Mean health impact.")


def _arg(description: str) -> Any:
    return strawberry.argument(description=description)


@strawberry.type
class PullRequestQuery:
    @strawberry.field(description="A project's pull request analyses, newest first.")
    async def pull_request_analyses(
        self,
        info: AtriumInfo,
        project_id: Annotated[strawberry.ID, _arg("The project.")],
        repository_id: Annotated[strawberry.ID | None, _arg("Only this repository.")] = None,
        number: Annotated[int | None, _arg("Only this pull request.")] = None,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[PullRequestAnalysis]:
        project = await require_project(info, project_id)
        model = models.PullRequestAnalysis
        stmt = select(model).where(model.project_id == project.id)
        if repository_id is not None:
            stmt = stmt.where(model.repository_id == repository_id)
        if number is not None:
            stmt = stmt.where(model.number == number)
        return await statement_connection(
            info,
            stmt,
            model.id,
            PullRequestAnalysis.from_model,
            first,
            after,
            last,
            before,
            descending=True,
        )

    @strawberry.field(description="A pull request analysis (of this project, when given).")
    async def pull_request_analysis(
        self,
        info: AtriumInfo,
        id: Annotated[strawberry.ID, _arg("The analysis.")],
        project_id: Annotated[strawberry.ID | None, _arg("The project it must belong to.")] = None,
    ) -> PullRequestAnalysis:
        info.context.principal.require_authenticated()
        row = await info.context.loaders.get(pull_request_analyses_by_id).load(id)
        if row is None or (project_id is not None and row.project_id != project_id):
            raise NotFound("PullRequestAnalysis", id)
        return PullRequestAnalysis.from_model(row)

    @strawberry.field(description="Readiness counts of a project's completed analyses.")
    async def pull_request_stats(
        self, info: AtriumInfo, project_id: Annotated[strawberry.ID, _arg("The project.")]
    ) -> PullRequestStats:
        project = await require_project(info, project_id)
        model = models.PullRequestAnalysis
        async with info.context.session() as session:
            rows = (
                await session.execute(
                    select(model.readiness, func.count(), func.avg(model.health_impact))
                    .where(
                        model.project_id == project.id,
                        model.status == models.AssessmentStatus.COMPLETED,
                    )
                    .group_by(model.readiness)
                )
            ).all()
        counts = {readiness: n for readiness, n, _ in rows}
        total = sum(counts.values())
        impacts = [avg * n for _, n, avg in rows if avg is not None]
        return PullRequestStats(
            total=total,
            ready=counts.get("READY", 0),
            needs_review=counts.get("NEEDS_REVIEW", 0),
            blocked=counts.get("BLOCKED", 0),
            average_impact=sum(impacts) / total if total else None,
        )


@strawberry.input(description="Analyse a pull request of a linked repository.")
class AnalyzePullRequestInput:
    project_id: strawberry.ID = strawberry.field(description="The project.")
    repository_id: strawberry.ID = strawberry.field(description="A linked repository.")
    base: str = strawberry.field(description="Base branch, tag or commit.")
    head: str = strawberry.field(description="Head branch, tag or commit.")
    number: int | None = strawberry.field(default=None, description="Pull request number.")


@strawberry.type(description="Result of requesting a pull request analysis.")
class PullRequestAnalysisPayload:
    analysis: PullRequestAnalysis | None = strawberry.field(description="PENDING analysis.")
    user_errors: list[UserError] = strawberry.field(description="Why it failed, if it did.")


@strawberry.type
class PullRequestMutation:
    @strawberry.mutation(description="Assess head against base (a durable job).")
    async def analyze_pull_request(
        self, info: AtriumInfo, input: AnalyzePullRequestInput
    ) -> PullRequestAnalysisPayload:
        row, errors = await run_mutation(
            info,
            lambda c, s: service.analyze_pull_request(
                c,
                s,
                project_id=input.project_id,
                repository_id=input.repository_id,
                base=input.base,
                head=input.head,
                number=input.number,
            ),
        )
        return PullRequestAnalysisPayload(
            analysis=PullRequestAnalysis.from_model(row) if row else None, user_errors=errors
        )


NODE_TYPES: dict[str, tuple[Any, Any]] = {
    "pra": (pull_request_analyses_by_id, PullRequestAnalysis.from_model),
}
