"""Code-health projects in the graph: members, invitations and linked repositories."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Annotated, Any, cast

import strawberry
from sqlalchemy import select
from strawberry.scalars import JSON

from atrium.core.errors import NotFound
from atrium.core.pagination import ConnectionArgs
from atrium.models import projects as models
from atrium.models.repositories import Repository as RepositoryRow
from atrium.resolvers.loading import visible_org_ids
from atrium.resolvers.projects import loaders
from atrium.resolvers.projects import projects as service
from atrium.resolvers.repositories import loaders as repository_loaders
from atrium.schema.common import (
    After,
    AtriumInfo,
    Before,
    Connection,
    First,
    Last,
    Node,
    UserError,
    child_connection,
    run_mutation,
    statement_connection,
    to_connection,
)
from atrium.schema.identity.types import User, load_user
from atrium.schema.repositories import Repository

strawberry.enum(models.ProjectRole, name="ProjectRole", description="OWNER or MEMBER.")
strawberry.enum(
    models.ProjectInvitationStatus,
    name="ProjectInvitationStatus",
    description="PENDING (until the invitee accepts or joins the organization), ACCEPTED or "
    "REVOKED.",
)


@strawberry.type(description="A person's place in a project.")
class ProjectMember(Node):
    role: models.ProjectRole = strawberry.field(description="OWNER or MEMBER.")
    created_at: datetime = strawberry.field(description="When they joined.")
    user_id: strawberry.Private[str]

    @classmethod
    def from_model(cls, row: models.ProjectMember) -> ProjectMember:
        return cls(
            id=strawberry.ID(row.id), role=row.role, created_at=row.created_at, user_id=row.user_id
        )

    @strawberry.field(description="The person.")
    async def user(self, info: AtriumInfo) -> User | None:
        return await load_user(info, self.user_id)


@strawberry.type(description="An invitation to a project.")
class ProjectInvitation(Node):
    email: str = strawberry.field(description="Who was invited.")
    role: models.ProjectRole = strawberry.field(description="Role on joining.")
    status: models.ProjectInvitationStatus = strawberry.field(description="Where it stands.")
    created_at: datetime = strawberry.field(description="When it was sent.")


@strawberry.type(description="A code-health project: repositories assessed together.")
class Project(Node):
    name: str = strawberry.field(description="Name.")
    key: str = strawberry.field(description="Short key, e.g. `WEB`, unique in the organization.")
    description: str = strawberry.field(description="What it covers.")
    settings: JSON = strawberry.field(description="Project settings (thresholds…).")
    created_at: datetime = strawberry.field(description="When it was created.")
    updated_at: datetime = strawberry.field(description="When it last changed.")
    organization_id: strawberry.Private[str]

    @classmethod
    def from_model(cls, row: models.Project) -> Project:
        return cls(
            id=strawberry.ID(row.id),
            name=row.name,
            key=row.key,
            description=row.description,
            settings=cast("JSON", row.settings),
            created_at=row.created_at,
            updated_at=row.updated_at,
            organization_id=row.organization_id,
        )

    @strawberry.field(description="Your role in it (null if you are not a member).")
    async def viewer_role(self, info: AtriumInfo) -> models.ProjectRole | None:
        role = await info.context.loaders.get(loaders.viewer_roles).load(self.id)
        return models.ProjectRole(role) if role else None

    @strawberry.field(description="Members, in the order they joined.")
    async def members(
        self,
        info: AtriumInfo,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[ProjectMember]:
        return await child_connection(
            info,
            self.id,
            loaders.members_by_project,
            loaders.member_counts,
            ProjectMember.from_model,
            first,
            after,
            last,
            before,
        )

    @strawberry.field(description="Linked repositories, in the order they were linked.")
    async def repositories(
        self,
        info: AtriumInfo,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[Repository]:
        context = info.context
        args = ConnectionArgs.of(first, after, last, before)
        page = await context.loaders.get(loaders.links_by_project).load((self.id, args))
        # the page's batch primed these (loaders._prime_repositories): no query per link
        rows = await context.loaders.get(repository_loaders.repositories_by_id).load_many(
            [link.repository_id for link in page.rows]
        )

        async def total() -> int:
            return int(await context.loaders.get(loaders.link_counts).load(self.id))

        return to_connection(dataclasses.replace(page, rows=rows), Repository.from_model, total)

    @strawberry.field(description="The organization's repositories not linked to it yet.")
    async def available_repositories(self, info: AtriumInfo) -> list[Repository]:
        linked = select(models.ProjectRepository.repository_id).where(
            models.ProjectRepository.project_id == self.id
        )
        stmt = (
            select(RepositoryRow)
            .where(
                RepositoryRow.organization_id == self.organization_id,
                RepositoryRow.id.not_in(linked),
            )
            .order_by(RepositoryRow.name)
        )
        async with info.context.session() as session:
            rows = (await session.scalars(stmt)).all()
        return [Repository.from_model(row) for row in rows]


@strawberry.type
class ProjectQuery:
    @strawberry.field(description="A project by ID.")
    async def project(
        self, info: AtriumInfo, id: Annotated[strawberry.ID, strawberry.argument(description="ID.")]
    ) -> Project:
        info.context.principal.require_authenticated()
        row = await info.context.loaders.get(loaders.projects_by_id).load(id)
        if row is None:
            raise NotFound("Project", id)
        return Project.from_model(row)

    @strawberry.field(description="Projects of your organizations, oldest first.")
    async def projects(
        self,
        info: AtriumInfo,
        organization_id: Annotated[
            strawberry.ID | None, strawberry.argument(description="Only this organization.")
        ] = None,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[Project]:
        info.context.principal.require_authenticated()
        model = models.Project
        stmt = select(model).where(model.organization_id.in_(visible_org_ids(info.context)))
        if organization_id is not None:
            stmt = stmt.where(model.organization_id == organization_id)
        return await statement_connection(
            info, stmt, model.id, Project.from_model, first, after, last, before
        )


@strawberry.input(description="A new project; you become its owner.")
class CreateProjectInput:
    name: str = strawberry.field(description="Name.")
    key: str | None = strawberry.field(default=None, description="Key (from the name).")
    description: str | None = strawberry.field(default=None, description="What it covers.")
    settings: JSON | None = strawberry.field(default=None, description="Settings object.")
    organization_id: strawberry.ID | None = strawberry.field(
        default=None, description="Organization; the credential's only one when omitted."
    )


@strawberry.input(description="Changes to a project; omitted fields stay.")
class UpdateProjectInput:
    id: strawberry.ID = strawberry.field(description="The project.")
    name: str | None = strawberry.field(default=None, description="Name.")
    key: str | None = strawberry.field(default=None, description="Key.")
    description: str | None = strawberry.field(default=None, description="Description.")
    settings: JSON | None = strawberry.field(default=None, description="Replaces settings.")


@strawberry.input(description="A project, by ID.")
class ProjectIdInput:
    id: strawberry.ID = strawberry.field(description="The project.")


@strawberry.input(description="Invite someone to a project by email.")
class InviteProjectMemberInput:
    project_id: strawberry.ID = strawberry.field(description="The project.")
    email: str = strawberry.field(description="Their email.")
    role: models.ProjectRole = strawberry.field(
        default=models.ProjectRole.MEMBER, description="Role."
    )


@strawberry.input(description="A project invitation sent to you.")
class AcceptProjectInvitationInput:
    id: strawberry.ID = strawberry.field(description="The invitation.")
    project_id: strawberry.ID | None = strawberry.field(
        default=None, description="When given, the project it must be for."
    )


@strawberry.input(description="A member of a project.")
class ProjectMemberInput:
    project_id: strawberry.ID = strawberry.field(description="The project.")
    user_id: strawberry.ID = strawberry.field(description="The member.")
    role: models.ProjectRole | None = strawberry.field(
        default=None, description="New role (for setProjectMemberRole)."
    )


@strawberry.input(description="A repository and a project.")
class ProjectRepositoryInput:
    project_id: strawberry.ID = strawberry.field(description="The project.")
    repository_id: strawberry.ID = strawberry.field(description="The repository.")


@strawberry.type(description="Result of changing a project.")
class ProjectPayload:
    project: Project | None = strawberry.field(description="The project.")
    deleted_id: strawberry.ID | None = strawberry.field(description="Set when deleted.")
    user_errors: list[UserError] = strawberry.field(description="Why it failed, if it did.")


@strawberry.type(description="Result of changing a project's members.")
class ProjectMemberPayload:
    member: ProjectMember | None = strawberry.field(description="The member.")
    invitation: ProjectInvitation | None = strawberry.field(description="The invitation.")
    removed_id: strawberry.ID | None = strawberry.field(description="Set when removed.")
    user_errors: list[UserError] = strawberry.field(description="Why it failed, if it did.")


@strawberry.type(description="Result of linking or unlinking a repository.")
class ProjectRepositoryPayload:
    project: Project | None = strawberry.field(description="The project.")
    repository: Repository | None = strawberry.field(description="The repository.")
    user_errors: list[UserError] = strawberry.field(description="Why it failed, if it did.")


def _project(row: Any, errors: list[UserError], deleted: str | None = None) -> ProjectPayload:
    return ProjectPayload(
        project=Project.from_model(row) if row else None,
        deleted_id=strawberry.ID(deleted) if deleted else None,
        user_errors=errors,
    )


def _settings(value: Any) -> dict[str, Any] | None:
    return value if isinstance(value, dict) else None


def _member(row: Any, errors: list[UserError], removed: str | None = None) -> ProjectMemberPayload:
    return ProjectMemberPayload(
        member=ProjectMember.from_model(row) if row else None,
        invitation=None,
        removed_id=strawberry.ID(removed) if removed else None,
        user_errors=errors,
    )


@strawberry.type
class ProjectMutation:
    @strawberry.mutation(description="Create a project.")
    async def create_project(self, info: AtriumInfo, input: CreateProjectInput) -> ProjectPayload:
        row, errors = await run_mutation(
            info,
            lambda c, s: service.create_project(
                c,
                s,
                organization_id=input.organization_id,
                name=input.name,
                key=input.key,
                description=input.description,
                settings=_settings(input.settings),
            ),
        )
        return _project(row, errors)

    @strawberry.mutation(description="Change a project (its owners or an admin).")
    async def update_project(self, info: AtriumInfo, input: UpdateProjectInput) -> ProjectPayload:
        row, errors = await run_mutation(
            info,
            lambda c, s: service.update_project(
                c,
                s,
                project_id=input.id,
                name=input.name,
                key=input.key,
                description=input.description,
                settings=_settings(input.settings),
            ),
        )
        return _project(row, errors)

    @strawberry.mutation(description="Delete a project (its repositories stay).")
    async def delete_project(self, info: AtriumInfo, input: ProjectIdInput) -> ProjectPayload:
        deleted, errors = await run_mutation(
            info, lambda c, s: service.delete_project(c, s, input.id)
        )
        return _project(None, errors, deleted)

    @strawberry.mutation(description="Invite by email; organization members join at once.")
    async def invite_project_member(
        self, info: AtriumInfo, input: InviteProjectMemberInput
    ) -> ProjectMemberPayload:
        result, errors = await run_mutation(
            info,
            lambda c, s: service.invite_member(
                c, s, project_id=input.project_id, email=input.email, role=input.role
            ),
        )
        return _invited(result, errors)

    @strawberry.mutation(
        description="Accept a project invitation sent to your email; someone outside the "
        "organization joins it too when an organization admin sent the invitation."
    )
    async def accept_project_invitation(
        self, info: AtriumInfo, input: AcceptProjectInvitationInput
    ) -> ProjectMemberPayload:
        result, errors = await run_mutation(
            info,
            lambda c, s: service.accept_invitation(
                c, s, invitation_id=input.id, project_id=input.project_id
            ),
        )
        return _invited(result, errors)

    @strawberry.mutation(description="Change a member's role (the last owner stays).")
    async def set_project_member_role(
        self, info: AtriumInfo, input: ProjectMemberInput
    ) -> ProjectMemberPayload:
        role = input.role or models.ProjectRole.MEMBER
        row, errors = await run_mutation(
            info,
            lambda c, s: service.set_member_role(
                c, s, project_id=input.project_id, user_id=input.user_id, role=role
            ),
        )
        return _member(row, errors)

    @strawberry.mutation(description="Remove a member (LAST_OWNER for the last owner).")
    async def remove_project_member(
        self, info: AtriumInfo, input: ProjectMemberInput
    ) -> ProjectMemberPayload:
        removed, errors = await run_mutation(
            info,
            lambda c, s: service.remove_member(
                c, s, project_id=input.project_id, user_id=input.user_id
            ),
        )
        return _member(None, errors, removed)

    @strawberry.mutation(description="Link one of the organization's repositories.")
    async def link_repository(
        self, info: AtriumInfo, input: ProjectRepositoryInput
    ) -> ProjectRepositoryPayload:
        return await _link(info, input, service.link_repository)

    @strawberry.mutation(description="Unlink a repository (it stays registered).")
    async def unlink_repository(
        self, info: AtriumInfo, input: ProjectRepositoryInput
    ) -> ProjectRepositoryPayload:
        return await _link(info, input, service.unlink_repository)


def _invited(result: Any, errors: list[UserError]) -> ProjectMemberPayload:
    invitation, member = result if result else (None, None)
    payload = _member(member, errors)
    if invitation is not None:
        payload.invitation = ProjectInvitation(
            id=strawberry.ID(invitation.id),
            email=invitation.email,
            role=invitation.role,
            status=invitation.status,
            created_at=invitation.created_at,
        )
    return payload


async def _link(
    info: AtriumInfo, input: ProjectRepositoryInput, action: Any
) -> ProjectRepositoryPayload:
    _, errors = await run_mutation(
        info,
        lambda c, s: action(c, s, project_id=input.project_id, repository_id=input.repository_id),
    )
    if errors:
        return ProjectRepositoryPayload(project=None, repository=None, user_errors=errors)
    project = await info.context.loaders.get(loaders.projects_by_id).load(input.project_id)
    repository = await info.context.loaders.get(repository_loaders.repositories_by_id).load(
        input.repository_id
    )
    return ProjectRepositoryPayload(
        project=Project.from_model(project) if project else None,
        repository=Repository.from_model(repository) if repository else None,
        user_errors=[],
    )


NODE_TYPES: dict[str, tuple[Any, Any]] = {
    "prj": (loaders.projects_by_id, Project.from_model),
    "pmem": (loaders.project_members_by_id, ProjectMember.from_model),
}
