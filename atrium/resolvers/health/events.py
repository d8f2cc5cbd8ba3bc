"""``projectEvents(id)``: assessment progress and results, on the project's topic."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from atrium.core.context import Context
from atrium.models.health import Assessment

ASSESSMENT_QUEUED = "assessment.queued"
ASSESSMENT_STARTED = "assessment.started"
ASSESSMENT_COMPLETED = "assessment.completed"
ASSESSMENT_FAILED = "assessment.failed"


def project_topic(project_id: str) -> str:
    return f"project:{project_id}"


async def emit(
    context: Context, session: AsyncSession, assessment: Assessment, type: str, **data: Any
) -> None:
    await context.emit(
        session,
        topics=[project_topic(assessment.project_id)],
        type=type,
        payload={
            "project_id": assessment.project_id,
            "assessment_id": assessment.id,
            "repository_id": assessment.repository_id,
            "status": assessment.status.value,
            "grade": assessment.grade,
            "overall_score": assessment.overall_score,
            **data,
        },
        organization_id=assessment.organization_id,
    )
