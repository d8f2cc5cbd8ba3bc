"""A team's workspace in the graph: tasks, custom objects, feedback on messages."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, cast

import strawberry
from sqlalchemy import select
from strawberry.scalars import JSON

from atrium.core.errors import NotFound
from atrium.models import workspace as models
from atrium.models.identity import Team
from atrium.resolvers.workspace import feedback as feedback_service
from atrium.resolvers.workspace import loaders
from atrium.resolvers.workspace import objects as object_service
from atrium.resolvers.workspace import tasks as task_service
from atrium.resolvers.workspace.access import visible_team_ids
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
from atrium.schema.identity.types import User, load_user

strawberry.enum(
    models.TaskStatus, name="TaskStatus", description="TODO, IN_PROGRESS, DONE or CANCELLED."
)


@strawberry.type(description="A team's task.")
class Task(Node):
    title: str = strawberry.field(description="What to do.")
    description: str = strawberry.field(description="Details.")
    status: models.TaskStatus = strawberry.field(description="Where it stands.")
    due_date: dt.date | None = strawberry.field(description="When it is due.")
    overdue: bool = strawberry.field(description="Past due and not done or cancelled.")
    team_id: strawberry.ID = strawberry.field(description="The team.")
    created_at: dt.datetime = strawberry.field(description="When it was created.")
    updated_at: dt.datetime = strawberry.field(description="When it last changed.")
    assignee_id: strawberry.Private[str | None]
    created_by_id: strawberry.Private[str | None]

    @classmethod
    def from_model(cls, row: models.Task) -> Task:
        return cls(
            id=strawberry.ID(row.id),
            title=row.title,
            description=row.description,
            status=row.status,
            due_date=row.due_date,
            overdue=task_service.is_overdue(row, dt.datetime.now(dt.UTC).date()),
            team_id=strawberry.ID(row.team_id),
            created_at=row.created_at,
            updated_at=row.updated_at,
            assignee_id=row.assignee_id,
            created_by_id=row.created_by_id,
        )

    @strawberry.field(description="Who does it.")
    async def assignee(self, info: AtriumInfo) -> User | None:
        return await load_user(info, self.assignee_id)

    @strawberry.field(description="Who created it.")
    async def created_by(self, info: AtriumInfo) -> User | None:
        return await load_user(info, self.created_by_id)


@strawberry.type(description="A typed JSON object kept by a team.")
class CustomObject(Node):
    type: str = strawberry.field(description="Its type name, e.g. `customer`.")
    data: JSON = strawberry.field(description="The object.")
    team_id: strawberry.ID = strawberry.field(description="The team.")
    created_at: dt.datetime = strawberry.field(description="When it was created.")
    updated_at: dt.datetime = strawberry.field(description="When it last changed.")

    @classmethod
    def from_model(cls, row: models.CustomObject) -> CustomObject:
        return cls(
            id=strawberry.ID(row.id),
            type=row.type,
            data=cast("JSON", row.data),
            team_id=strawberry.ID(row.team_id),
            created_at=row.created_at,
            updated_at=row.updated_at,
        )


@strawberry.type(description="A person's rating of a message.")
class Feedback(Node):
    rating: int = strawberry.field(description="1 (bad) to 5 (good).")
    comment: str = strawberry.field(description="Why.")
    message_id: strawberry.ID = strawberry.field(description="The message rated.")
    created_at: dt.datetime = strawberry.field(description="When it was first given.")
    updated_at: dt.datetime = strawberry.field(description="When it last changed.")
    user_id: strawberry.Private[str | None]

    @classmethod
    def from_model(cls, row: models.Feedback) -> Feedback:
        return cls(
            id=strawberry.ID(row.id),
            rating=row.rating,
            comment=row.comment,
            message_id=strawberry.ID(row.message_id),
            created_at=row.created_at,
            updated_at=row.updated_at,
            user_id=row.user_id,
        )

    @strawberry.field(description="Who gave it.")
    async def user(self, info: AtriumInfo) -> User | None:
        return await load_user(info, self.user_id)


async def _require_team(info: AtriumInfo, team_id: str) -> None:
    """A team the caller cannot see is NOT_FOUND, not an empty list."""
    info.context.principal.require_authenticated()
    async with info.context.session() as session:
        visible = await session.scalar(visible_team_ids(info.context).where(Team.id == team_id))
    if not visible:
        raise NotFound("Team", team_id)


def _arg(description: str) -> Any:
    return strawberry.argument(description=description)


@strawberry.type
class WorkspaceQuery:
    @strawberry.field(description="A team's tasks, oldest first.")
    async def tasks(
        self,
        info: AtriumInfo,
        team_id: Annotated[strawberry.ID, _arg("The team.")],
        status: Annotated[models.TaskStatus | None, _arg("Only this status.")] = None,
        assignee_id: Annotated[strawberry.ID | None, _arg("Only assigned to them.")] = None,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[Task]:
        await _require_team(info, team_id)
        model = models.Task
        stmt = select(model).where(
            model.team_id == team_id, model.team_id.in_(visible_team_ids(info.context))
        )
        if status is not None:
            stmt = stmt.where(model.status == status)
        if assignee_id is not None:
            stmt = stmt.where(model.assignee_id == assignee_id)
        return await statement_connection(
            info, stmt, model.id, Task.from_model, first, after, last, before
        )

    @strawberry.field(description="A team's custom objects, filterable by type, oldest first.")
    async def custom_objects(
        self,
        info: AtriumInfo,
        team_id: Annotated[strawberry.ID, _arg("The team.")],
        type: Annotated[str | None, _arg("Only this type.")] = None,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[CustomObject]:
        await _require_team(info, team_id)
        model = models.CustomObject
        stmt = select(model).where(
            model.team_id == team_id, model.team_id.in_(visible_team_ids(info.context))
        )
        if type is not None:
            stmt = stmt.where(model.type == type)
        return await statement_connection(
            info, stmt, model.id, CustomObject.from_model, first, after, last, before
        )


@strawberry.input(description="A new task.")
class CreateTaskInput:
    team_id: strawberry.ID = strawberry.field(description="The team.")
    title: str = strawberry.field(description="What to do.")
    description: str | None = strawberry.field(default=None, description="Details.")
    status: models.TaskStatus | None = strawberry.field(default=None, description="TODO.")
    assignee_id: strawberry.ID | None = strawberry.field(default=None, description="Who.")
    due_date: dt.date | None = strawberry.field(default=None, description="When.")


@strawberry.input(description="Changes to a task; omitted fields stay, null clears.")
class UpdateTaskInput:
    id: strawberry.ID = strawberry.field(description="The task.")
    title: str | None = strawberry.field(default=None, description="What to do.")
    description: str | None = strawberry.field(default=None, description="Details.")
    status: models.TaskStatus | None = strawberry.field(default=None, description="Status.")
    assignee_id: strawberry.ID | None = strawberry.field(
        default=strawberry.UNSET, description="Who; null unassigns."
    )
    due_date: dt.date | None = strawberry.field(
        default=strawberry.UNSET, description="When; null clears."
    )


@strawberry.input(description="A new custom object.")
class CreateCustomObjectInput:
    team_id: strawberry.ID = strawberry.field(description="The team.")
    type: str = strawberry.field(description="Type name.")
    data: JSON = strawberry.field(description="A JSON object.")


@strawberry.input(description="New data for a custom object.")
class UpdateCustomObjectInput:
    id: strawberry.ID = strawberry.field(description="The object.")
    data: JSON = strawberry.field(description="Replaces its data.")


@strawberry.input(description="An object to delete.")
class DeleteWorkspaceItemInput:
    id: strawberry.ID = strawberry.field(description="A task or custom object.")


@strawberry.input(description="Rate a message.")
class GiveFeedbackInput:
    message_id: strawberry.ID = strawberry.field(description="The message.")
    rating: int = strawberry.field(description="1 (bad) to 5 (good).")
    comment: str | None = strawberry.field(default=None, description="Why.")


@strawberry.type(description="Result of changing a task.")
class TaskPayload:
    task: Task | None = strawberry.field(description="The task.")
    user_errors: list[UserError] = strawberry.field(description="Why it failed, if it did.")


@strawberry.type(description="Result of changing a custom object.")
class CustomObjectPayload:
    custom_object: CustomObject | None = strawberry.field(description="The object.")
    user_errors: list[UserError] = strawberry.field(description="Why it failed, if it did.")


@strawberry.type(description="Result of a deletion.")
class DeleteWorkspaceItemPayload:
    deleted_id: strawberry.ID | None = strawberry.field(description="The deleted ID.")
    user_errors: list[UserError] = strawberry.field(description="Why it failed, if it did.")


@strawberry.type(description="Result of rating a message.")
class FeedbackPayload:
    feedback: Feedback | None = strawberry.field(description="The feedback.")
    user_errors: list[UserError] = strawberry.field(description="Why it failed, if it did.")


def _task_fields(input: Any) -> task_service.TaskFields:
    extra: dict[str, Any] = {}
    for name in ("assignee_id", "due_date"):
        value = getattr(input, name)
        if value is not strawberry.UNSET:
            extra[name] = value
    return task_service.TaskFields(
        title=input.title, description=input.description, status=input.status, **extra
    )


def _deleted(deleted: str | None, errors: list[UserError]) -> DeleteWorkspaceItemPayload:
    return DeleteWorkspaceItemPayload(
        deleted_id=strawberry.ID(deleted) if deleted else None, user_errors=errors
    )


@strawberry.type
class WorkspaceMutation:
    @strawberry.mutation(description="Add a task to a team.")
    async def create_task(self, info: AtriumInfo, input: CreateTaskInput) -> TaskPayload:
        row, errors = await run_mutation(
            info,
            lambda c, s: task_service.create_task(
                c, s, team_id=input.team_id, fields=_task_fields(input)
            ),
        )
        return TaskPayload(task=Task.from_model(row) if row else None, user_errors=errors)

    @strawberry.mutation(description="Change a task.")
    async def update_task(self, info: AtriumInfo, input: UpdateTaskInput) -> TaskPayload:
        row, errors = await run_mutation(
            info,
            lambda c, s: task_service.update_task(
                c, s, task_id=input.id, fields=_task_fields(input)
            ),
        )
        return TaskPayload(task=Task.from_model(row) if row else None, user_errors=errors)

    @strawberry.mutation(description="Delete a task.")
    async def delete_task(
        self, info: AtriumInfo, input: DeleteWorkspaceItemInput
    ) -> DeleteWorkspaceItemPayload:
        deleted, errors = await run_mutation(
            info, lambda c, s: task_service.delete_task(c, s, input.id)
        )
        return _deleted(deleted, errors)

    @strawberry.mutation(description="Keep a custom object for a team.")
    async def create_custom_object(
        self, info: AtriumInfo, input: CreateCustomObjectInput
    ) -> CustomObjectPayload:
        row, errors = await run_mutation(
            info,
            lambda c, s: object_service.create_object(
                c, s, team_id=input.team_id, type_name=input.type, data=input.data
            ),
        )
        return CustomObjectPayload(
            custom_object=CustomObject.from_model(row) if row else None, user_errors=errors
        )

    @strawberry.mutation(description="Replace a custom object's data.")
    async def update_custom_object(
        self, info: AtriumInfo, input: UpdateCustomObjectInput
    ) -> CustomObjectPayload:
        row, errors = await run_mutation(
            info,
            lambda c, s: object_service.update_object(c, s, object_id=input.id, data=input.data),
        )
        return CustomObjectPayload(
            custom_object=CustomObject.from_model(row) if row else None, user_errors=errors
        )

    @strawberry.mutation(description="Delete a custom object.")
    async def delete_custom_object(
        self, info: AtriumInfo, input: DeleteWorkspaceItemInput
    ) -> DeleteWorkspaceItemPayload:
        deleted, errors = await run_mutation(
            info, lambda c, s: object_service.delete_object(c, s, input.id)
        )
        return _deleted(deleted, errors)

    @strawberry.mutation(description="Rate a message (again: replaces your rating).")
    async def give_feedback(self, info: AtriumInfo, input: GiveFeedbackInput) -> FeedbackPayload:
        row, errors = await run_mutation(
            info,
            lambda c, s: feedback_service.give_feedback(
                c, s, message_id=input.message_id, rating=input.rating, comment=input.comment
            ),
        )
        return FeedbackPayload(
            feedback=Feedback.from_model(row) if row else None, user_errors=errors
        )


NODE_TYPES: dict[str, tuple[Any, Any]] = {
    "task": (loaders.tasks_by_id, Task.from_model),
    "obj": (loaders.objects_by_id, CustomObject.from_model),
}
