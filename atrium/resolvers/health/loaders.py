"""Batch functions for code health rows, and the "latest assessments" selection."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from atrium.core.context import Context
from atrium.models.health import (
    Assessment,
    AssessmentStatus,
    DismissRule,
    DriftAlert,
    Finding,
    FindingDismissal,
)
from atrium.resolvers.loading import org_scoped, visible_org_ids

assessments_by_id = org_scoped(Assessment)
findings_by_id = org_scoped(Finding)
drift_alerts_by_id = org_scoped(DriftAlert)
dismiss_rules_by_id = org_scoped(DismissRule)


def latest_assessment_ids(project_id: str) -> Any:
    """The newest completed assessment of each repository of a project (IDs sort by time)."""
    return (
        select(func.max(Assessment.id))
        .where(Assessment.project_id == project_id, Assessment.status == AssessmentStatus.COMPLETED)
        .group_by(Assessment.repository_id)
    )


async def dismissals_by_project(
    context: Context, keys: list[str]
) -> list[dict[str, FindingDismissal]]:
    stmt = select(FindingDismissal).where(
        FindingDismissal.project_id.in_(keys),
        FindingDismissal.organization_id.in_(visible_org_ids(context)),
    )
    found: dict[str, dict[str, FindingDismissal]] = {key: {} for key in keys}
    async with context.session() as session:
        for row in (await session.scalars(stmt)).all():
            found[row.project_id][row.fingerprint] = row
    return [found[key] for key in keys]


def dismissed_fingerprints(project_id: str) -> Any:
    return select(FindingDismissal.fingerprint).where(FindingDismissal.project_id == project_id)


def open_findings(project_id: str) -> Any:
    return select(Finding).where(
        Finding.assessment_id.in_(latest_assessment_ids(project_id)),
        Finding.fingerprint.not_in(dismissed_fingerprints(project_id)),
    )
