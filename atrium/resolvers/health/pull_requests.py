"""Pull request analyses: the head assessed against the base, as a durable job.

Both commits are checked out into temporary worktrees and assessed with the same
analysers and dismiss rules; the engine's ``compare`` turns the two results and the
changed files into introduced and fixed findings, health impact, risk and readiness.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from atrium.core.context import Context
from atrium.core.errors import UserError, UserErrorCode, UserErrors
from atrium.core.jobs import JobContext, PermanentJobError, job_handler
from atrium.engines import health as engine
from atrium.models.health import AssessmentStatus, PullRequestAnalysis
from atrium.models.health import DismissRule as DismissRuleRow
from atrium.models.projects import ProjectRepository
from atrium.models.repositories import Repository, RepositoryStatus
from atrium.resolvers.access import not_found
from atrium.resolvers.health.assessments import assess_commit
from atrium.resolvers.projects.projects import manageable
from atrium.resolvers.repositories import git

PR_JOB = "health.pull_request"


async def analyze_pull_request(
    context: Context,
    session: AsyncSession,
    *,
    project_id: str,
    repository_id: str,
    base: str,
    head: str,
    number: int | None,
) -> PullRequestAnalysis:
    project = await manageable(context, session, project_id, ("projectId",))
    repository = await session.scalar(
        select(Repository)
        .join(ProjectRepository, ProjectRepository.repository_id == Repository.id)
        .where(ProjectRepository.project_id == project.id, Repository.id == repository_id)
    )
    if repository is None:
        raise not_found("Repository", repository_id, ("repositoryId",))
    errors = [
        UserError("Give a branch, tag or commit", UserErrorCode.REQUIRED, (field,))
        for field, value in (("base", base), ("head", head))
        if not value.strip() or len(value) > 255
    ]
    if number is not None and number < 1:
        errors.append(
            UserError("Pull request numbers start at 1", UserErrorCode.INVALID, ("number",))
        )
    if repository.status is not RepositoryStatus.READY:
        errors.append(UserError("Not synced yet", UserErrorCode.CONFLICT, ("repositoryId",)))
    if errors:
        raise UserErrors(errors)
    analysis = PullRequestAnalysis(
        organization_id=project.organization_id,
        project_id=project.id,
        repository_id=repository.id,
        number=number,
        base_ref=base.strip(),
        head_ref=head.strip(),
        requested_by_id=context.principal.user_id,
    )
    session.add(analysis)
    await session.flush()
    await context.enqueue(
        session, PR_JOB, {"analysis_id": analysis.id}, organization_id=project.organization_id
    )
    return analysis


@job_handler(PR_JOB)
async def run_pull_request_analysis(job: JobContext, payload: dict[str, Any]) -> dict[str, Any]:
    settings = job.services.settings
    async with job.db.sessionmaker() as session:
        analysis = await session.get(PullRequestAnalysis, payload["analysis_id"])
        if analysis is None:
            raise PermanentJobError("analysis no longer exists")
        if analysis.status in (AssessmentStatus.COMPLETED, AssessmentStatus.FAILED):
            return {"status": analysis.status.value}
        repository = await session.get(Repository, analysis.repository_id)
        if repository is None or repository.work_path is None:
            raise PermanentJobError("repository no longer exists")
        rules = list(
            (
                await session.scalars(
                    select(DismissRuleRow).where(DismissRuleRow.project_id == analysis.project_id)
                )
            ).all()
        )
        analysis.status = AssessmentStatus.RUNNING
        await session.commit()
        work = repository.work_path
        try:
            base = await git.head_commit(work, analysis.base_ref)
            head = await git.head_commit(work, analysis.head_ref)
            changed = await git.changed_files(work, base, head)
            base_result, head_result = await asyncio.gather(
                assess_commit(work, base, rules, settings),
                assess_commit(work, head, rules, settings),
            )
        except git.GitError as error:
            analysis.status, analysis.error = AssessmentStatus.FAILED, error.message[:2000]
            analysis.completed_at = datetime.now(UTC)
            await session.commit()
            return {"status": "FAILED"}
        impact = engine.compare(base_result, head_result, changed)
        analysis.base_commit, analysis.head_commit = base, head
        analysis.risk = impact.risk.value.upper()
        analysis.readiness = impact.readiness.value.upper()
        analysis.health_impact = impact.health_impact
        analysis.projected_score = impact.projected_score
        analysis.result = impact.to_dict()
        analysis.status = AssessmentStatus.COMPLETED
        analysis.completed_at = datetime.now(UTC)
        await session.commit()
        return {"status": "COMPLETED", "readiness": analysis.readiness}
