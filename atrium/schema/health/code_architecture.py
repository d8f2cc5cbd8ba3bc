"""The architecture of a project's code in the graph: reviews, conventions, ADRs."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, cast

import strawberry
from sqlalchemy import select
from strawberry.scalars import JSON

from atrium.core.errors import NotFound
from atrium.models import architecture as architecture_models
from atrium.models import health as models
from atrium.resolvers.health import code_architecture as service
from atrium.resolvers.loading import org_scoped
from atrium.schema.architecture.types import Adr
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

strawberry.enum(
    models.ConventionStatus,
    name="ConventionStatus",
    description="DETECTED, CONFIRMED or DISMISSED.",
)
reviews_by_id = org_scoped(models.ArchitectureReview)
conventions_by_id = org_scoped(models.Convention)


@strawberry.type(description="Something an architecture review flags.")
class ReviewIssue:
    type: str = strawberry.field(description="CYCLE, OVERSIZED_MODULE or LAYER_VIOLATION.")
    severity: str = strawberry.field(description="HIGH or MEDIUM.")
    modules: list[str] = strawberry.field(description="Modules concerned.")
    message: str = strawberry.field(description="What is wrong.")


@strawberry.type(description="The code's architecture at a commit and what it flags.")
class ArchitectureReview(Node):
    status: models.AssessmentStatus = strawberry.field(description="Where it stands.")
    commit: str | None = strawberry.field(description="Commit reviewed.")
    overview: JSON | None = strawberry.field(
        description="Modules, dependencies, layers, cycles, oversized modules, packages."
    )
    issues: list[ReviewIssue] = strawberry.field(description="What it flags.")
    error: str | None = strawberry.field(description="Why it failed.")
    repository_id: strawberry.ID | None = strawberry.field(description="Repository.")
    created_at: datetime = strawberry.field(description="When it was requested.")
    completed_at: datetime | None = strawberry.field(description="When it finished.")

    @classmethod
    def from_model(cls, row: models.ArchitectureReview) -> ArchitectureReview:
        return cls(
            id=strawberry.ID(row.id),
            status=row.status,
            commit=row.commit,
            overview=cast("JSON", row.overview),
            issues=[ReviewIssue(**issue) for issue in row.issues],
            error=row.error,
            repository_id=strawberry.ID(row.repository_id) if row.repository_id else None,
            created_at=row.created_at,
            completed_at=row.completed_at,
        )


@strawberry.type(description="A convention the code follows, to confirm or dismiss.")
class Convention(Node):
    key: str = strawberry.field(description="Stable key.")
    kind: str = strawberry.field(
        description="NAMING, ERROR_HANDLING, STRUCTURE, API_DESIGN, DOCUMENTATION or IMPORTS."
    )
    description: str = strawberry.field(description="The convention.")
    adherence: float = strawberry.field(description="Share of places that follow it, 0-1.")
    examples: list[str] = strawberry.field(description="Where it is followed.")
    status: models.ConventionStatus = strawberry.field(description="Your verdict.")

    @classmethod
    def from_model(cls, row: models.Convention) -> Convention:
        return cls(
            id=strawberry.ID(row.id),
            key=row.key,
            kind=row.kind,
            description=row.description,
            adherence=row.adherence,
            examples=list(row.examples),
            status=row.status,
        )


def _arg(description: str) -> Any:
    return strawberry.argument(description=description)


@strawberry.type
class CodeArchitectureQuery:
    @strawberry.field(description="A project's architecture reviews, newest first.")
    async def architecture_reviews(
        self,
        info: AtriumInfo,
        project_id: Annotated[strawberry.ID, _arg("The project.")],
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[ArchitectureReview]:
        project = await require_project(info, project_id)
        model = models.ArchitectureReview
        stmt = select(model).where(model.project_id == project.id)
        return await statement_connection(
            info,
            stmt,
            model.id,
            ArchitectureReview.from_model,
            first,
            after,
            last,
            before,
            descending=True,
        )

    @strawberry.field(description="An architecture review (of this project, when given).")
    async def architecture_review(
        self,
        info: AtriumInfo,
        id: Annotated[strawberry.ID, _arg("The review.")],
        project_id: Annotated[strawberry.ID | None, _arg("The project it must belong to.")] = None,
    ) -> ArchitectureReview:
        info.context.principal.require_authenticated()
        row = await info.context.loaders.get(reviews_by_id).load(id)
        if row is None or (project_id is not None and row.project_id != project_id):
            raise NotFound("ArchitectureReview", id)
        return ArchitectureReview.from_model(row)

    @strawberry.field(description="Conventions detected in a project's code.")
    async def conventions(
        self,
        info: AtriumInfo,
        project_id: Annotated[strawberry.ID, _arg("The project.")],
        status: Annotated[models.ConventionStatus | None, _arg("Only this status.")] = None,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[Convention]:
        project = await require_project(info, project_id)
        model = models.Convention
        stmt = select(model).where(model.project_id == project.id)
        if status is not None:
            stmt = stmt.where(model.status == status)
        return await statement_connection(
            info, stmt, model.id, Convention.from_model, first, after, last, before
        )

    @strawberry.field(description="A project's ADR by ID.")
    async def project_adr(
        self,
        info: AtriumInfo,
        project_id: Annotated[strawberry.ID, _arg("The project.")],
        id: Annotated[strawberry.ID, _arg("The ADR.")],
    ) -> Adr:
        project = await require_project(info, project_id)
        async with info.context.session() as session:
            row = await session.get(architecture_models.Adr, id)
        if row is None or row.project_id != project.id:
            raise NotFound("Adr", id)
        return Adr.from_model(row)

    @strawberry.field(description="A project's decision records, newest first.")
    async def project_adrs(
        self,
        info: AtriumInfo,
        project_id: Annotated[strawberry.ID, _arg("The project.")],
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[Adr]:
        project = await require_project(info, project_id)
        model = architecture_models.Adr
        stmt = select(model).where(model.project_id == project.id)
        return await statement_connection(
            info, stmt, model.id, Adr.from_model, first, after, last, before, descending=True
        )


@strawberry.input(description="Review the architecture of a project's code.")
class TriggerArchitectureReviewInput:
    project_id: strawberry.ID = strawberry.field(description="The project.")
    repository_id: strawberry.ID | None = strawberry.field(
        default=None, description="A linked repository (the first by name when omitted)."
    )


@strawberry.input(description="Confirm or dismiss a convention.")
class SetConventionStatusInput:
    id: strawberry.ID = strawberry.field(description="The convention.")
    status: models.ConventionStatus = strawberry.field(description="New status.")
    project_id: strawberry.ID | None = strawberry.field(
        default=None, description="When given, the project it must belong to."
    )


@strawberry.input(description="A decision record for a project.")
class CreateAdrInput:
    project_id: strawberry.ID = strawberry.field(description="The project.")
    title: str = strawberry.field(description="The decision, in a few words.")
    context: str | None = strawberry.field(default=None, description="The forces at play.")
    decision: str | None = strawberry.field(default=None, description="What was decided.")
    consequences: str | None = strawberry.field(default=None, description="What follows.")


@strawberry.input(description="Changes to an ADR's text and status; omitted fields stay.")
class UpdateAdrInput:
    id: strawberry.ID = strawberry.field(description="The ADR.")
    title: str | None = strawberry.field(default=None, description="Title.")
    context: str | None = strawberry.field(default=None, description="Context.")
    decision: str | None = strawberry.field(default=None, description="Decision.")
    consequences: str | None = strawberry.field(default=None, description="Consequences.")
    status: architecture_models.AdrStatus | None = strawberry.field(
        default=None, description="New status (PROPOSED → ACCEPTED → DEPRECATED/SUPERSEDED)."
    )
    superseded_by_id: strawberry.ID | None = strawberry.field(
        default=None, description="Required for SUPERSEDED: the ADR that replaces it."
    )
    project_id: strawberry.ID | None = strawberry.field(
        default=None, description="When given, the project it must belong to."
    )


@strawberry.type(description="Result of requesting a review.")
class ArchitectureReviewPayload:
    review: ArchitectureReview | None = strawberry.field(description="PENDING review.")
    user_errors: list[UserError] = strawberry.field(description="Why it failed, if it did.")


@strawberry.type(description="Result of changing a convention.")
class ConventionPayload:
    convention: Convention | None = strawberry.field(description="The convention.")
    user_errors: list[UserError] = strawberry.field(description="Why it failed, if it did.")


@strawberry.type(description="Result of writing an ADR.")
class ProjectAdrPayload:
    adr: Adr | None = strawberry.field(description="The ADR.")
    user_errors: list[UserError] = strawberry.field(description="Why it failed, if it did.")


@strawberry.type
class CodeArchitectureMutation:
    @strawberry.mutation(description="Review the code's architecture (a durable job).")
    async def trigger_architecture_review(
        self, info: AtriumInfo, input: TriggerArchitectureReviewInput
    ) -> ArchitectureReviewPayload:
        row, errors = await run_mutation(
            info,
            lambda c, s: service.trigger_review(
                c, s, project_id=input.project_id, repository_id=input.repository_id
            ),
        )
        return ArchitectureReviewPayload(
            review=ArchitectureReview.from_model(row) if row else None, user_errors=errors
        )

    @strawberry.mutation(description="Confirm or dismiss a detected convention.")
    async def set_convention_status(
        self, info: AtriumInfo, input: SetConventionStatusInput
    ) -> ConventionPayload:
        row, errors = await run_mutation(
            info,
            lambda c, s: service.set_convention_status(
                c, s, convention_id=input.id, status=input.status, project_id=input.project_id
            ),
        )
        return ConventionPayload(
            convention=Convention.from_model(row) if row else None, user_errors=errors
        )

    @strawberry.mutation(description="Write a decision record for a project (PROPOSED).")
    async def create_adr(self, info: AtriumInfo, input: CreateAdrInput) -> ProjectAdrPayload:
        row, errors = await run_mutation(
            info,
            lambda c, s: service.create_project_adr(
                c,
                s,
                project_id=input.project_id,
                title=input.title,
                context_text=input.context,
                decision=input.decision,
                consequences=input.consequences,
            ),
        )
        return ProjectAdrPayload(adr=Adr.from_model(row) if row else None, user_errors=errors)

    @strawberry.mutation(description="Change an ADR's text and status.")
    async def update_adr(self, info: AtriumInfo, input: UpdateAdrInput) -> ProjectAdrPayload:
        row, errors = await run_mutation(
            info,
            lambda c, s: service.update_adr(
                c,
                s,
                adr_id=input.id,
                title=input.title,
                context_text=input.context,
                decision=input.decision,
                consequences=input.consequences,
                project_id=input.project_id,
                status=input.status,
                superseded_by_id=input.superseded_by_id,
            ),
        )
        return ProjectAdrPayload(adr=Adr.from_model(row) if row else None, user_errors=errors)


NODE_TYPES: dict[str, tuple[Any, Any]] = {
    "arev": (reviews_by_id, ArchitectureReview.from_model),
    "conv": (conventions_by_id, Convention.from_model),
}
