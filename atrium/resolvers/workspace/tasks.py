"""Team tasks: title, status, assignee (a member of the organization), due date."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from atrium.core.context import Context
from atrium.core.errors import UserError, UserErrorCode, UserErrors
from atrium.core.policy import Action
from atrium.models.identity import Membership
from atrium.models.workspace import Task, TaskStatus
from atrium.resolvers.access import not_found
from atrium.resolvers.workspace.access import team_for, visible_team_ids

_UNSET = object()


@dataclass(frozen=True)
class TaskFields:
    title: str | None = None
    description: str | None = None
    status: TaskStatus | None = None
    assignee_id: object = _UNSET  # None unassigns
    due_date: object = _UNSET  # None clears


async def _check(
    session: AsyncSession, organization_id: str, fields: TaskFields, creating: bool
) -> None:
    errors = []
    if (creating or fields.title is not None) and not (fields.title or "").strip():
        errors.append(UserError("Title can't be blank", UserErrorCode.REQUIRED, ("title",)))
    if fields.title is not None and len(fields.title) > 300:
        errors.append(UserError("At most 300 characters", UserErrorCode.TOO_LONG, ("title",)))
    if fields.assignee_id not in (_UNSET, None):
        member = await session.scalar(
            select(Membership.id).where(
                Membership.organization_id == organization_id,
                Membership.user_id == fields.assignee_id,
            )
        )
        if member is None:
            errors.append(
                UserError("The assignee is not a member", UserErrorCode.NOT_FOUND, ("assigneeId",))
            )
    if errors:
        raise UserErrors(errors)


def _apply(task: Task, fields: TaskFields) -> None:
    if fields.title is not None:
        task.title = fields.title.strip()
    if fields.description is not None:
        task.description = fields.description
    if fields.status is not None:
        task.status = fields.status
    if fields.assignee_id is not _UNSET:
        task.assignee_id = fields.assignee_id  # type: ignore[assignment]
    if fields.due_date is not _UNSET:
        task.due_date = fields.due_date  # type: ignore[assignment]


async def create_task(
    context: Context, session: AsyncSession, *, team_id: str, fields: TaskFields
) -> Task:
    team = await team_for(context, session, team_id, Action.WRITE)
    await _check(session, team.organization_id, fields, creating=True)
    task = Task(
        organization_id=team.organization_id,
        team_id=team.id,
        title="",
        created_by_id=context.principal.user_id,
    )
    _apply(task, fields)
    session.add(task)
    await session.flush()
    return task


async def _task(context: Context, session: AsyncSession, task_id: str) -> Task:
    task = await session.scalar(
        select(Task).where(Task.id == task_id, Task.team_id.in_(visible_team_ids(context)))
    )
    if task is None:
        raise not_found("Task", task_id, ("id",))
    await team_for(context, session, task.team_id, Action.WRITE, ("id",))
    return task


async def update_task(
    context: Context, session: AsyncSession, *, task_id: str, fields: TaskFields
) -> Task:
    task = await _task(context, session, task_id)
    await _check(session, task.organization_id, fields, creating=False)
    _apply(task, fields)
    await session.flush()
    return task


async def delete_task(context: Context, session: AsyncSession, task_id: str) -> str:
    task = await _task(context, session, task_id)
    await session.delete(task)
    await session.flush()
    return task_id


def is_overdue(task: Task, today: date) -> bool:
    return (
        task.due_date is not None
        and task.due_date < today
        and task.status not in (TaskStatus.DONE, TaskStatus.CANCELLED)
    )
