"""Usage-limit events on the organization's topic (``organizationEvents``, webhooks).

``usage_limit.warning`` when a limit's usage in a window reaches 80%, and
``usage_limit.exceeded`` when it reaches 100%; each at most once per window, because
the counter upsert tells exactly which call crossed the line.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from atrium.core.context import Context
from atrium.resolvers.identity.events import org_topic
from atrium.resolvers.llm.counters import Crossing

LIMIT_WARNING = "usage_limit.warning"  # 80%
LIMIT_EXCEEDED = "usage_limit.exceeded"  # 100%


async def publish_crossings(
    context: Context, session: AsyncSession, organization_id: str, crossings: Sequence[Crossing]
) -> None:
    for crossing in crossings:
        rule = crossing.limit.rule
        await context.emit(
            session,
            topics=[org_topic(organization_id)],
            type=LIMIT_EXCEEDED if crossing.threshold >= 100 else LIMIT_WARNING,
            payload={
                "subject_id": rule.id,
                "limit_id": rule.id,
                "name": rule.name,
                "limit_type": rule.type.value,
                "entity_type": rule.entity.value,
                "entity_id": rule.entity_id,
                "threshold": crossing.threshold,
                "limit": rule.value,
                "used": round(crossing.used, 10),
                "window_start": crossing.window.start.isoformat(),
                "next_reset": crossing.window.end.isoformat(),
            },
            organization_id=organization_id,
        )
