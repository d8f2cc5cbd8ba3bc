"""Assessments nobody clicked for: PUSH when a linked repository's head moves, SCHEDULED
when a project's schedule comes due.

* **PUSH**: the ``repository.sync`` job calls :func:`queue_push_assessments` in its own
  transaction when a re-sync finds the default branch's head moved; every project linking
  the repository gets an assessment of the new commit, unless its settings say
  ``"assess_on_push": false``.
* **SCHEDULED**: ``settings.assessment_schedule`` is a cron expression
  (``engines.health.schedule``). Workers enqueue the periodic ``health.schedule`` job once
  a minute; it queues one assessment per linked, synced repository for the schedule's due
  slot. The slot is stored on the assessment under a unique constraint, so two workers (or
  a retried job) never queue the same slot twice.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from atrium.core.context import Context
from atrium.core.jobs import JobContext, periodic_job
from atrium.engines.health import schedule
from atrium.models.health import Assessment, AssessmentTrigger
from atrium.models.projects import Project, ProjectRepository
from atrium.models.repositories import Repository, RepositoryStatus
from atrium.resolvers.health.assessments import queue_assessment
from atrium.resolvers.projects.projects import PUSH_SETTING, SCHEDULE_SETTING
from atrium.resolvers.repositories.repositories import HEAD_MOVED_HOOKS

logger = logging.getLogger("atrium.health")

SCHEDULE_JOB = "health.schedule"
SCHEDULE_EVERY_SECONDS = 60.0


async def _linking_projects(session: AsyncSession, repository_id: str) -> list[Project]:
    return list(
        (
            await session.scalars(
                select(Project)
                .join(ProjectRepository, ProjectRepository.project_id == Project.id)
                .where(ProjectRepository.repository_id == repository_id)
                .order_by(Project.id)
            )
        ).all()
    )


async def queue_push_assessments(
    context: Context, session: AsyncSession, repository: Repository, previous_commit: str
) -> list[Assessment]:
    """An assessment of the new head for each project linking ``repository`` (a push)."""
    head = repository.last_synced_commit
    already = set(
        (
            await session.scalars(
                select(Assessment.project_id).where(
                    Assessment.repository_id == repository.id,
                    Assessment.trigger == AssessmentTrigger.PUSH,
                    Assessment.ref == head,
                )
            )
        ).all()
    )  # two syncs racing over one push assess it once
    queued = []
    for project in await _linking_projects(session, repository.id):
        if (project.settings or {}).get(PUSH_SETTING, True) is False or project.id in already:
            continue
        queued.append(
            await queue_assessment(
                context,
                session,
                project,
                repository,
                ref=head,
                trigger=AssessmentTrigger.PUSH,
            )
        )
    if queued:
        logger.info(
            "push on %s (%s → %s): %d assessments queued",
            repository.name,
            previous_commit[:12],
            (repository.last_synced_commit or "")[:12],
            len(queued),
        )
    return queued


if queue_push_assessments not in HEAD_MOVED_HOOKS:
    HEAD_MOVED_HOOKS.append(queue_push_assessments)


async def queue_scheduled_assessments(
    db: Any, services: Any, now: datetime | None = None
) -> list[str]:
    """Queue the assessments whose schedule slot is due at ``now``; return their IDs."""
    now = now or datetime.now(UTC)
    context = Context(db=db, settings=services.settings, services=services)
    queued: list[str] = []
    try:
        async with context.session() as session:
            projects = (
                await session.scalars(
                    select(Project)
                    .where(Project.settings[SCHEDULE_SETTING].as_string().is_not(None))
                    .order_by(Project.id)
                )
            ).all()
            due = []
            for project in projects:
                expression = project.settings.get(SCHEDULE_SETTING)
                if not isinstance(expression, str) or schedule.schedule_error(expression):
                    continue  # stored before validation, or by hand: never fires
                slot = schedule.due_slot(expression, now, not_before=project.created_at)
                if slot is not None:
                    due.append((project, slot))
            for project, slot in due:
                queued += await _queue_slot(context, session, project, slot)
        await context.commit()
    finally:
        await context.close()
    return queued


async def _queue_slot(
    context: Context, session: AsyncSession, project: Project, slot: datetime
) -> list[str]:
    done = set(
        (
            await session.scalars(
                select(Assessment.repository_id).where(
                    Assessment.project_id == project.id, Assessment.scheduled_for == slot
                )
            )
        ).all()
    )
    repositories = (
        await session.scalars(
            select(Repository)
            .join(ProjectRepository, ProjectRepository.repository_id == Repository.id)
            .where(
                ProjectRepository.project_id == project.id,
                Repository.status == RepositoryStatus.READY,
            )
            .order_by(Repository.name)
        )
    ).all()
    queued = []
    for repository in repositories:
        if repository.id in done:
            continue
        start = context.pending_after_commit
        try:
            async with session.begin_nested():
                assessment = await queue_assessment(
                    context,
                    session,
                    project,
                    repository,
                    ref=None,
                    trigger=AssessmentTrigger.SCHEDULED,
                    scheduled_for=slot,
                )
        except IntegrityError:  # another worker queued this slot meanwhile
            context.discard_after_commit(start)
            continue
        queued.append(assessment.id)
    return queued


@periodic_job(SCHEDULE_JOB, SCHEDULE_EVERY_SECONDS)
async def run_schedules(job: JobContext, payload: dict[str, Any]) -> dict[str, Any]:
    queued = await queue_scheduled_assessments(job.db, job.services)
    return {"queued": len(queued)}
