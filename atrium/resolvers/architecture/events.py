"""The architecture domain's events and the topics they go to.

Durable events go to the organization's topic (``organizationEvents``, webhooks such as
``analysis.completed``) and to the architecture's own topic (``architectureEvents``);
progress ticks are ephemeral and go to the architecture's topic only.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from atrium.core.context import Context
from atrium.resolvers.identity.events import org_topic

ARCHITECTURE_CREATED = "architecture.created"
ARCHITECTURE_UPDATED = "architecture.updated"
ARCHITECTURE_DELETED = "architecture.deleted"
ANALYSIS_STARTED = "analysis.started"
ANALYSIS_PROGRESS = "analysis.progress"
ANALYSIS_COMPLETED = "analysis.completed"
ANALYSIS_FAILED = "analysis.failed"
THREAT_STATUS_CHANGED = "threat.status_changed"
DOCUMENT_GENERATED = "document.generated"
COMMENT_ADDED = "comment.added"

# What the organization hears about (and webhooks can subscribe to); the rest stays on
# the architecture's topic.
ORGANIZATION_TYPES = frozenset(
    {
        ARCHITECTURE_CREATED,
        ARCHITECTURE_UPDATED,
        ARCHITECTURE_DELETED,
        ANALYSIS_COMPLETED,
        ANALYSIS_FAILED,
        DOCUMENT_GENERATED,
        COMMENT_ADDED,
    }
)


def architecture_topic(architecture_id: str) -> str:
    return f"architecture:{architecture_id}"


async def emit(
    context: Context,
    session: AsyncSession,
    type: str,
    organization_id: str,
    architecture_id: str,
    *,
    durable: bool = True,
    **data: Any,
) -> None:
    payload = {
        "subject_id": data.pop("subject_id", architecture_id),
        "architecture_id": architecture_id,
        "actor_id": context.principal.user_id,
        **data,
    }
    topics = [architecture_topic(architecture_id)]
    if durable and type in ORGANIZATION_TYPES:
        topics.insert(0, org_topic(organization_id))
    await context.emit(
        session,
        topics=topics,
        type=type,
        payload={k: v for k, v in payload.items() if v is not None},
        organization_id=organization_id,
        durable=durable,
    )
