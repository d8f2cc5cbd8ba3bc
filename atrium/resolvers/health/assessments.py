"""Assessments: a durable job that runs the health engine over a repository at a commit.

The job checks the commit out into a temporary detached worktree (so a local repository's
uncommitted edits never count), runs ``engines.health.assess`` with the project's dismiss
rules, stores the findings, compares the summary with the repository's previous
assessment for drift alerts, and streams progress on ``projectEvents``.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from atrium.core.context import Context
from atrium.core.errors import UserErrorCode, UserErrors
from atrium.core.jobs import JobContext, PermanentJobError, job_handler
from atrium.engines import health as engine
from atrium.models.health import (
    Assessment,
    AssessmentStatus,
    AssessmentTrigger,
    DriftAlert,
    Finding,
)
from atrium.models.health import DismissRule as DismissRuleRow
from atrium.models.projects import Project, ProjectRepository
from atrium.models.repositories import Repository, RepositoryStatus
from atrium.resolvers.access import not_found
from atrium.resolvers.health import events
from atrium.resolvers.projects.projects import manageable
from atrium.resolvers.repositories import git

ASSESS_JOB = "health.assess"


async def trigger_assessments(
    context: Context,
    session: AsyncSession,
    *,
    project_id: str,
    repository_id: str | None,
    ref: str | None,
    trigger: AssessmentTrigger = AssessmentTrigger.MANUAL,
) -> list[Assessment]:
    """One assessment per linked repository (or the one named), each its own job."""
    project = await manageable(context, session, project_id, ("projectId",))
    stmt = (
        select(Repository)
        .join(ProjectRepository, ProjectRepository.repository_id == Repository.id)
        .where(ProjectRepository.project_id == project.id)
        .order_by(Repository.name)
    )
    if repository_id is not None:
        stmt = stmt.where(Repository.id == repository_id)
    repositories = (await session.scalars(stmt)).all()
    if repository_id is not None and not repositories:
        raise not_found("Repository", repository_id, ("repositoryId",))
    if not repositories:
        raise UserErrors.single(
            "Link a repository to the project first", UserErrorCode.REQUIRED, ("repositoryId",)
        )
    not_ready = [r.name for r in repositories if r.status is not RepositoryStatus.READY]
    if not_ready:
        raise UserErrors.single(
            f"Not synced yet: {', '.join(not_ready)}", UserErrorCode.CONFLICT, ("repositoryId",)
        )
    return [
        await queue_assessment(context, session, project, repository, ref=ref, trigger=trigger)
        for repository in repositories
    ]


async def queue_assessment(
    context: Context,
    session: AsyncSession,
    project: Project,
    repository: Repository,
    *,
    ref: str | None,
    trigger: AssessmentTrigger,
    scheduled_for: datetime | None = None,
) -> Assessment:
    """A PENDING assessment of ``repository`` for ``project``, its job and its event."""
    assessment = Assessment(
        organization_id=project.organization_id,
        project_id=project.id,
        repository_id=repository.id,
        ref=ref,
        trigger=trigger,
        scheduled_for=scheduled_for,
        requested_by_id=context.principal.user_id,
    )
    session.add(assessment)
    await session.flush()
    await context.enqueue(
        session,
        ASSESS_JOB,
        {"assessment_id": assessment.id},
        organization_id=project.organization_id,
    )
    await events.emit(context, session, assessment, events.ASSESSMENT_QUEUED)
    return assessment


def _dismiss_rules(rows: list[DismissRuleRow]) -> list[engine.DismissRule]:
    return [
        engine.DismissRule(rule=r.rule, path_glob=r.path_glob, severity=_severity(r.severity))
        for r in rows
    ]


def _severity(value: str | None) -> Any:
    return engine.Severity(value.lower()) if value else None


@job_handler(ASSESS_JOB)
async def run_assessment(job: JobContext, payload: dict[str, Any]) -> dict[str, Any]:
    context = Context.for_job(job)
    try:
        async with context.session() as session:
            assessment = await session.get(Assessment, payload["assessment_id"])
            if assessment is None:
                raise PermanentJobError("assessment no longer exists")
            if assessment.status in (AssessmentStatus.COMPLETED, AssessmentStatus.FAILED):
                return {"status": assessment.status.value}
            repository = await session.get(Repository, assessment.repository_id)
            if repository is None or repository.work_path is None:
                raise PermanentJobError("repository no longer exists")
            rules = (
                await session.scalars(
                    select(DismissRuleRow).where(DismissRuleRow.project_id == assessment.project_id)
                )
            ).all()
            work = repository.work_path
            assessment.status = AssessmentStatus.RUNNING
            assessment.started_at = datetime.now(UTC)
            # a retry starts over: no findings twice
            await session.execute(delete(Finding).where(Finding.assessment_id == assessment.id))
            await events.emit(context, session, assessment, events.ASSESSMENT_STARTED)
        await context.commit()
        try:
            commit = await git.head_commit(work, assessment.ref or "HEAD")
            result = await assess_commit(work, commit, list(rules), job.services.settings)
        except (git.GitError, NotADirectoryError) as error:
            await _fail(context, assessment, str(error))
            return {"status": "FAILED"}
        await _store(context, assessment, commit, result)
        return {"status": "COMPLETED", "findings": len(result.findings)}
    finally:
        await context.close()


async def assess_commit(
    work: str, commit: str, rules: list[DismissRuleRow], settings: Any
) -> engine.Assessment:
    """Assess ``commit`` in a temporary detached worktree, removed afterwards."""
    scratch = Path(tempfile.mkdtemp(prefix="atrium-assess-", dir=_scratch_root(settings)))
    tree = scratch / "tree"
    try:
        await git.git("worktree", "add", "--detach", str(tree), commit, cwd=work)
        return await engine.assess(tree, dismiss_rules=_dismiss_rules(rules))
    finally:
        with contextlib.suppress(git.GitError):
            await git.git("worktree", "remove", "--force", str(tree), cwd=work)
        shutil.rmtree(scratch, ignore_errors=True)


def _scratch_root(settings: Any) -> str:
    root = Path(settings.data_dir).resolve() / "scratch"
    root.mkdir(parents=True, exist_ok=True)
    return str(root)


async def _fail(context: Context, assessment: Assessment, message: str) -> None:
    async with context.session() as session:
        assessment.status = AssessmentStatus.FAILED
        assessment.error = message[:2000]
        assessment.completed_at = datetime.now(UTC)
        await session.flush()
        await events.emit(
            context, session, assessment, events.ASSESSMENT_FAILED, error=message[:500]
        )
    await context.commit()


async def _store(
    context: Context, assessment: Assessment, commit: str, result: engine.Assessment
) -> None:
    async with context.session() as session:
        previous = await session.scalar(
            select(Assessment)
            .where(
                Assessment.project_id == assessment.project_id,
                Assessment.repository_id == assessment.repository_id,
                Assessment.status == AssessmentStatus.COMPLETED,
                Assessment.id != assessment.id,
            )
            .order_by(Assessment.id.desc())
            .limit(1)
        )
        session.add_all(
            Finding(
                organization_id=assessment.organization_id,
                project_id=assessment.project_id,
                assessment_id=assessment.id,
                repository_id=assessment.repository_id,
                fingerprint=f.fingerprint,
                rule=f.rule,
                category=f.category.name,
                severity=f.severity.name,
                path=f.path,
                line=f.line,
                message=f.message[:2000],
                tool=f.tool,
            )
            for f in result.findings
        )
        summary = result.summary()
        assessment.commit = commit
        assessment.overall_score = result.overall_score
        assessment.grade = result.grade.value.upper()
        assessment.lines_of_code = result.lines_of_code
        assessment.lines_of_tests = result.lines_of_tests
        assessment.coverage_estimate = result.coverage_estimate
        assessment.categories = [c.to_dict() for c in result.categories]
        assessment.summary = summary.to_dict()
        assessment.analysers = [a.to_dict() for a in result.analysers]
        assessment.analyser_errors = [e.to_dict() for e in result.errors]
        assessment.status = AssessmentStatus.COMPLETED
        assessment.progress = 1.0
        assessment.completed_at = datetime.now(UTC)
        if previous is not None and previous.summary:
            for alert in engine.drift(engine.HealthSummary.from_dict(previous.summary), summary):
                session.add(
                    DriftAlert(
                        organization_id=assessment.organization_id,
                        project_id=assessment.project_id,
                        assessment_id=assessment.id,
                        type=alert.type.value.upper(),
                        category=alert.category.upper() if alert.category else None,
                        previous=alert.previous,
                        current=alert.current,
                        change=alert.change,
                    )
                )
        await session.flush()
        await events.emit(context, session, assessment, events.ASSESSMENT_COMPLETED)
    await context.commit()
