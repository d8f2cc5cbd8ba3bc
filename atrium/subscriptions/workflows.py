"""``workflowRunEvents(runId)`` and ``dashboardEvents``: runs as they happen.

A listener that reconnects reads what it missed from ``workflowRun(id) { events }``
(the stored history, by ``sequence``) and continues here.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Annotated

import strawberry

from atrium.core.errors import NotFound
from atrium.resolvers.access import readable_organization
from atrium.resolvers.workflows import events, loaders
from atrium.schema.common import AtriumInfo
from atrium.schema.workflows.types import WorkflowRunEvent
from atrium.subscriptions.common import topic_stream


@strawberry.type
class WorkflowSubscription:
    @strawberry.subscription(
        description="Live events of one run: status, nodes, approvals, loop iterations and "
        "output chunks. NOT_FOUND for a run you cannot see."
    )
    async def workflow_run_events(
        self,
        info: AtriumInfo,
        run_id: Annotated[strawberry.ID, strawberry.argument(description="The run.")],
    ) -> AsyncGenerator[WorkflowRunEvent, None]:
        info.context.principal.require_authenticated()
        row = await info.context.loaders.get(loaders.runs_by_id).load(run_id)
        if row is None:
            raise NotFound("WorkflowRun", run_id)
        await info.context.close()
        return topic_stream(
            info.context,
            events.run_topic(run_id),
            WorkflowRunEvent.from_event,
            organization_id=row.organization_id,
        )

    @strawberry.subscription(
        description="Live events of every run of an organization (Archon's dashboard stream)."
    )
    async def dashboard_events(
        self,
        info: AtriumInfo,
        organization_id: Annotated[
            strawberry.ID | None,
            strawberry.argument(description="Organization; the credential's only one if omitted."),
        ] = None,
    ) -> AsyncGenerator[WorkflowRunEvent, None]:
        org = readable_organization(info.context, organization_id)
        await info.context.close()
        return topic_stream(
            info.context,
            events.dashboard_topic(org),
            WorkflowRunEvent.from_event,
            organization_id=org,
        )
