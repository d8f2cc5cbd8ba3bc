"""``projectEvents(id)``: a project's assessments as they are queued, run and finish."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Self

import strawberry

from atrium.core.errors import NotFound
from atrium.core.pubsub import Event
from atrium.resolvers.health import events, loaders
from atrium.resolvers.projects.loaders import projects_by_id
from atrium.schema.common import AtriumInfo
from atrium.schema.health.types import Assessment
from atrium.subscriptions.common import topic_stream


@strawberry.enum(description="What happened in a project.")
class ProjectEventType(StrEnum):
    ASSESSMENT_QUEUED = events.ASSESSMENT_QUEUED
    ASSESSMENT_STARTED = events.ASSESSMENT_STARTED
    ASSESSMENT_COMPLETED = events.ASSESSMENT_COMPLETED
    ASSESSMENT_FAILED = events.ASSESSMENT_FAILED


_TYPES = {t.value: t for t in ProjectEventType}


@strawberry.type(description="A change in a project's health work.")
class ProjectEvent:
    id: strawberry.ID = strawberry.field(description="Event ID.")
    type: ProjectEventType = strawberry.field(description="What happened.")
    sequence: int | None = strawberry.field(description="Position on the project's stream.")
    occurred_at: datetime = strawberry.field(description="When.")
    assessment_id: strawberry.ID | None = strawberry.field(description="The assessment.")
    grade: str | None = strawberry.field(description="Grade, once completed.")
    overall_score: float | None = strawberry.field(description="Score, once completed.")
    error: str | None = strawberry.field(description="Why it failed.")
    payload: strawberry.Private[dict[str, Any]]

    @classmethod
    def from_event(cls, event: Event) -> Self | None:
        kind = _TYPES.get(event.type)
        if kind is None:
            return None
        p = event.payload
        return cls(
            id=strawberry.ID(event.id),
            type=kind,
            sequence=event.sequence,
            occurred_at=event.occurred_at,
            assessment_id=p.get("assessment_id"),
            grade=p.get("grade"),
            overall_score=p.get("overall_score"),
            error=p.get("error"),
            payload=p,
        )

    @strawberry.field(description="The assessment as it is now.")
    async def assessment(self, info: AtriumInfo) -> Assessment | None:
        if self.assessment_id is None:
            return None
        row = await info.context.loaders.get(loaders.assessments_by_id).load(self.assessment_id)
        return Assessment.from_model(row) if row else None


@strawberry.type
class ProjectSubscription:
    @strawberry.subscription(description="A project's assessments: queued, started, finished.")
    async def project_events(
        self,
        info: AtriumInfo,
        id: Annotated[strawberry.ID, strawberry.argument(description="The project.")],
    ) -> AsyncGenerator[ProjectEvent, None]:
        row = await info.context.loaders.get(projects_by_id).load(id)
        if row is None:
            raise NotFound("Project", id)
        await info.context.close()
        return topic_stream(
            info.context,
            events.project_topic(id),
            ProjectEvent.from_event,
            organization_id=row.organization_id,
        )
