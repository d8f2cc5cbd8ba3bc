"""``architectureEvents(id)``: new versions, analysis progress and completion, documents."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Self

import strawberry

from atrium.core.errors import NotFound
from atrium.core.pubsub import Event
from atrium.resolvers.architecture import events, loaders
from atrium.schema.architecture.types import Analysis, Architecture, Document, load_architecture
from atrium.schema.common import AtriumInfo
from atrium.schema.identity.types import User, load_user
from atrium.subscriptions.common import topic_stream


@strawberry.enum(description="What happened to an architecture.")
class ArchitectureEventType(StrEnum):
    ARCHITECTURE_UPDATED = events.ARCHITECTURE_UPDATED
    ARCHITECTURE_DELETED = events.ARCHITECTURE_DELETED
    ANALYSIS_STARTED = events.ANALYSIS_STARTED
    ANALYSIS_PROGRESS = events.ANALYSIS_PROGRESS
    ANALYSIS_COMPLETED = events.ANALYSIS_COMPLETED
    ANALYSIS_FAILED = events.ANALYSIS_FAILED
    THREAT_STATUS_CHANGED = events.THREAT_STATUS_CHANGED
    DOCUMENT_GENERATED = events.DOCUMENT_GENERATED
    COMMENT_ADDED = events.COMMENT_ADDED


_TYPES = {t.value: t for t in ArchitectureEventType}


@strawberry.type(description="A change to one architecture or its analyses.")
class ArchitectureEvent:
    id: strawberry.ID = strawberry.field(description="Event ID (`evt_…`).")
    type: ArchitectureEventType = strawberry.field(description="What happened.")
    sequence: int | None = strawberry.field(
        description="Position on this architecture's stream (null for progress ticks, which "
        "are not stored)."
    )
    occurred_at: datetime = strawberry.field(description="When it happened.")
    version: int | None = strawberry.field(description="Architecture version concerned.")
    progress: float | None = strawberry.field(description="Analysis progress, 0 to 1.")
    error: str | None = strawberry.field(description="Why an analysis failed.")
    threat_id: str | None = strawberry.field(description="Threat whose status changed.")
    architecture_id: strawberry.ID = strawberry.field(description="The architecture.")
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
            version=p.get("version"),
            progress=p.get("progress"),
            error=p.get("error"),
            threat_id=p.get("threat_id"),
            architecture_id=strawberry.ID(p["architecture_id"]),
            payload=p,
        )

    @strawberry.field(description="The architecture as it is now (null once deleted).")
    async def architecture(self, info: AtriumInfo) -> Architecture | None:
        return await load_architecture(info, self.architecture_id)

    @strawberry.field(description="The analysis concerned, if any.")
    async def analysis(self, info: AtriumInfo) -> Analysis | None:
        analysis_id = self.payload.get("analysis_id")
        if analysis_id is None:
            return None
        row = await info.context.loaders.get(loaders.analyses_by_id).load(analysis_id)
        return Analysis.from_model(row) if row else None

    @strawberry.field(description="The document generated, if any.")
    async def document(self, info: AtriumInfo) -> Document | None:
        document_id = self.payload.get("document_id")
        if document_id is None:
            return None
        row = await info.context.loaders.get(loaders.documents_by_id).load(document_id)
        return Document.from_model(row) if row else None

    @strawberry.field(description="Who did it (null for the system and share-link holders).")
    async def actor(self, info: AtriumInfo) -> User | None:
        return await load_user(info, self.payload.get("actor_id"))


@strawberry.type
class ArchitectureSubscription:
    @strawberry.subscription(
        description="Live changes of one architecture: versions, analysis progress and "
        "results, documents, comments. NOT_FOUND for an architecture you cannot see."
    )
    async def architecture_events(
        self,
        info: AtriumInfo,
        id: Annotated[strawberry.ID, strawberry.argument(description="The architecture.")],
    ) -> AsyncGenerator[ArchitectureEvent, None]:
        row = await info.context.loaders.get(loaders.architectures_by_id).load(id)
        if row is None:
            raise NotFound("Architecture", id)
        await info.context.close()
        return topic_stream(
            info.context,
            events.architecture_topic(id),
            ArchitectureEvent.from_event,
            organization_id=row.organization_id,
        )
