"""Repositories and their worktree environments in the graph."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import strawberry
from sqlalchemy import select

from atrium.core.errors import NotFound
from atrium.models import repositories as models
from atrium.resolvers.loading import visible_org_ids
from atrium.resolvers.repositories import loaders
from atrium.resolvers.repositories import repositories as service
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

strawberry.enum(
    models.RepositoryStatus,
    name="RepositoryStatus",
    description="PENDING (first sync queued), SYNCING, READY or FAILED (see `error`).",
)
strawberry.enum(
    models.EnvironmentStatus, name="EnvironmentStatus", description="ACTIVE or REMOVED."
)


@strawberry.type(description="A git worktree of a repository, for a thread or a workflow run.")
class Environment(Node):
    branch: str = strawberry.field(description="Its own branch, `atrium/<id>`.")
    base_commit: str = strawberry.field(description="Commit it started from.")
    path: str = strawberry.field(description="Where it is on the server.")
    status: models.EnvironmentStatus = strawberry.field(description="ACTIVE or REMOVED.")
    owner_id: strawberry.ID | None = strawberry.field(description="Thread or run using it.")
    created_at: datetime = strawberry.field(description="When it was created.")
    removed_at: datetime | None = strawberry.field(description="When it was removed.")
    repository_id: strawberry.ID = strawberry.field(description="Its repository.")

    @classmethod
    def from_model(cls, row: models.Environment) -> Environment:
        return cls(
            id=strawberry.ID(row.id),
            branch=row.branch,
            base_commit=row.base_commit,
            path=row.path,
            status=row.status,
            owner_id=strawberry.ID(row.owner_id) if row.owner_id else None,
            created_at=row.created_at,
            removed_at=row.removed_at,
            repository_id=strawberry.ID(row.repository_id),
        )


@strawberry.type(description="A codebase: cloned from a git URL, or a local path used in place.")
class Repository(Node):
    name: str = strawberry.field(description="Name, unique in the organization.")
    url: str | None = strawberry.field(description="Git URL it was cloned from.")
    local_path: str | None = strawberry.field(description="Local path it is read from.")
    default_branch: str | None = strawberry.field(description="Branch checked out.")
    last_synced_commit: str | None = strawberry.field(description="HEAD at the last sync.")
    last_synced_at: datetime | None = strawberry.field(description="When it last synced.")
    status: models.RepositoryStatus = strawberry.field(description="Sync status.")
    error: str | None = strawberry.field(description="Why the last sync failed.")
    created_at: datetime = strawberry.field(description="When it was registered.")

    @classmethod
    def from_model(cls, row: models.Repository) -> Repository:
        return cls(
            id=strawberry.ID(row.id),
            name=row.name,
            url=row.url,
            local_path=row.local_path,
            default_branch=row.default_branch,
            last_synced_commit=row.last_synced_commit,
            last_synced_at=row.last_synced_at,
            status=row.status,
            error=row.error,
            created_at=row.created_at,
        )

    @strawberry.field(description="Active worktrees.")
    async def environments(self, info: AtriumInfo) -> list[Environment]:
        rows = await info.context.loaders.get(loaders.environments_by_repository).load(self.id)
        return [Environment.from_model(row) for row in rows]


async def load_repository(info: AtriumInfo, repository_id: str | None) -> Repository | None:
    if repository_id is None:
        return None
    row = await info.context.loaders.get(loaders.repositories_by_id).load(repository_id)
    return Repository.from_model(row) if row else None


@strawberry.type
class RepositoryQuery:
    @strawberry.field(description="A repository by ID.")
    async def repository(
        self, info: AtriumInfo, id: Annotated[strawberry.ID, strawberry.argument(description="ID.")]
    ) -> Repository:
        info.context.principal.require_authenticated()
        found = await load_repository(info, id)
        if found is None:
            raise NotFound("Repository", id)
        return found

    @strawberry.field(description="Repositories of your organizations, oldest first.")
    async def repositories(
        self,
        info: AtriumInfo,
        organization_id: Annotated[
            strawberry.ID | None, strawberry.argument(description="Only this organization.")
        ] = None,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[Repository]:
        info.context.principal.require_authenticated()
        model = models.Repository
        stmt = select(model).where(model.organization_id.in_(visible_org_ids(info.context)))
        if organization_id is not None:
            stmt = stmt.where(model.organization_id == organization_id)
        return await statement_connection(
            info, stmt, model.id, Repository.from_model, first, after, last, before
        )


@strawberry.input(description="A repository to register: a git URL or a local path.")
class RegisterRepositoryInput:
    url: str | None = strawberry.field(default=None, description="Git URL to clone.")
    path: str | None = strawberry.field(default=None, description="Absolute local path.")
    name: str | None = strawberry.field(default=None, description="Name (from the URL/path).")
    organization_id: strawberry.ID | None = strawberry.field(
        default=None, description="Organization; the credential's only one when omitted."
    )


@strawberry.input(description="A repository, by ID.")
class RepositoryIdInput:
    id: strawberry.ID = strawberry.field(description="The repository.")


@strawberry.input(description="Repositories to fetch again (a push notification).")
class SyncRepositoriesInput:
    organization_id: strawberry.ID | None = strawberry.field(
        default=None, description="Organization; the credential's only one when omitted."
    )
    repository_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="Only these (default: all of the organization's)."
    )


@strawberry.input(description="A new worktree of a repository.")
class CreateEnvironmentInput:
    repository_id: strawberry.ID = strawberry.field(description="The repository.")
    ref: str | None = strawberry.field(default=None, description="Start here (synced HEAD).")
    owner_id: strawberry.ID | None = strawberry.field(default=None, description="Thread or run.")


@strawberry.input(description="An environment, by ID.")
class EnvironmentIdInput:
    id: strawberry.ID = strawberry.field(description="The environment.")


@strawberry.type(description="Result of changing a repository.")
class RepositoryPayload:
    repository: Repository | None = strawberry.field(description="The repository.")
    deleted_id: strawberry.ID | None = strawberry.field(description="Set when deleted.")
    user_errors: list[UserError] = strawberry.field(description="Why it failed, if it did.")


@strawberry.type(description="Result of syncing repositories.")
class SyncRepositoriesPayload:
    repositories: list[Repository] = strawberry.field(description="Their syncs are queued.")
    user_errors: list[UserError] = strawberry.field(description="Why it failed, if it did.")


@strawberry.type(description="Result of changing an environment.")
class EnvironmentPayload:
    environment: Environment | None = strawberry.field(description="The environment.")
    user_errors: list[UserError] = strawberry.field(description="Why it failed, if it did.")


def _repository(row: Any, errors: list[UserError]) -> RepositoryPayload:
    return RepositoryPayload(
        repository=Repository.from_model(row) if row else None, deleted_id=None, user_errors=errors
    )


@strawberry.type
class RepositoryMutation:
    @strawberry.mutation(description="Register a repository; it is cloned or checked by a job.")
    async def register_repository(
        self, info: AtriumInfo, input: RegisterRepositoryInput
    ) -> RepositoryPayload:
        row, errors = await run_mutation(
            info,
            lambda c, s: service.register_repository(
                c,
                s,
                organization_id=input.organization_id,
                url=input.url,
                path=input.path,
                name=input.name,
            ),
        )
        return _repository(row, errors)

    @strawberry.mutation(description="Fetch the repository again and record its HEAD.")
    async def sync_repository(
        self, info: AtriumInfo, input: RepositoryIdInput
    ) -> RepositoryPayload:
        row, errors = await run_mutation(
            info, lambda c, s: service.resync_repository(c, s, input.id)
        )
        return _repository(row, errors)

    @strawberry.mutation(
        description="Fetch an organization's repositories again; a moved default branch "
        "queues PUSH assessments of the projects linking it."
    )
    async def sync_repositories(
        self, info: AtriumInfo, input: SyncRepositoriesInput
    ) -> SyncRepositoriesPayload:
        ids = [str(i) for i in input.repository_ids] if input.repository_ids is not None else None
        rows, errors = await run_mutation(
            info,
            lambda c, s: service.sync_repositories(
                c, s, organization_id=input.organization_id, repository_ids=ids
            ),
        )
        return SyncRepositoriesPayload(
            repositories=[Repository.from_model(r) for r in rows or []], user_errors=errors
        )

    @strawberry.mutation(description="Delete a repository and what Atrium created on disk for it.")
    async def delete_repository(
        self, info: AtriumInfo, input: RepositoryIdInput
    ) -> RepositoryPayload:
        deleted, errors = await run_mutation(
            info, lambda c, s: service.delete_repository(c, s, input.id)
        )
        return RepositoryPayload(
            repository=None,
            deleted_id=strawberry.ID(deleted) if deleted else None,
            user_errors=errors,
        )

    @strawberry.mutation(description="Create a git worktree of a repository on its own branch.")
    async def create_environment(
        self, info: AtriumInfo, input: CreateEnvironmentInput
    ) -> EnvironmentPayload:
        row, errors = await run_mutation(
            info,
            lambda c, s: service.create_environment(
                c, s, repository_id=input.repository_id, owner_id=input.owner_id, ref=input.ref
            ),
        )
        return EnvironmentPayload(
            environment=Environment.from_model(row) if row else None, user_errors=errors
        )

    @strawberry.mutation(description="Remove a worktree and its branch.")
    async def remove_environment(
        self, info: AtriumInfo, input: EnvironmentIdInput
    ) -> EnvironmentPayload:
        row, errors = await run_mutation(
            info, lambda c, s: service.remove_environment(c, s, input.id)
        )
        return EnvironmentPayload(
            environment=Environment.from_model(row) if row else None, user_errors=errors
        )


NODE_TYPES: dict[str, tuple[Any, Any]] = {
    "repo": (loaders.repositories_by_id, Repository.from_model),
    "env": (loaders.environments_by_id, Environment.from_model),
}
