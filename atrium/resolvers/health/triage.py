"""Triage: dismiss and restore findings (by fingerprint), dismiss rules, drift alerts."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from atrium.core.context import Context
from atrium.core.errors import UserError, UserErrorCode, UserErrors
from atrium.core.policy import Action
from atrium.models.health import DismissRule, DriftAlert, Finding, FindingDismissal
from atrium.resolvers.access import get_for_action, not_found
from atrium.resolvers.projects.projects import manageable

SEVERITIES = ("CRITICAL", "HIGH", "MEDIUM", "LOW", "INFO")


def _in_project(row: Any, project_id: str | None, type_name: str, row_id: str) -> None:
    """REST paths carry the project: an object of another project is NOT_FOUND there."""
    if project_id is not None and row.project_id != project_id:
        raise not_found(type_name, row_id, ("id",))


async def dismiss_finding(
    context: Context,
    session: AsyncSession,
    *,
    finding_id: str,
    reason: str | None,
    project_id: str | None = None,
) -> Finding:
    finding = await get_for_action(context, session, Finding, finding_id, Action.WRITE)
    _in_project(finding, project_id, "Finding", finding_id)
    dismissal = await session.scalar(
        select(FindingDismissal).where(
            FindingDismissal.project_id == finding.project_id,
            FindingDismissal.fingerprint == finding.fingerprint,
        )
    )
    if dismissal is None:
        session.add(
            FindingDismissal(
                organization_id=finding.organization_id,
                project_id=finding.project_id,
                fingerprint=finding.fingerprint,
                reason=(reason or "")[:2000],
                dismissed_by_id=context.principal.user_id,
            )
        )
    await session.flush()
    return finding


async def restore_finding(
    context: Context, session: AsyncSession, *, finding_id: str, project_id: str | None = None
) -> Finding:
    finding = await get_for_action(context, session, Finding, finding_id, Action.WRITE)
    _in_project(finding, project_id, "Finding", finding_id)
    await session.execute(
        delete(FindingDismissal).where(
            FindingDismissal.project_id == finding.project_id,
            FindingDismissal.fingerprint == finding.fingerprint,
        )
    )
    await session.flush()
    return finding


async def create_dismiss_rule(
    context: Context,
    session: AsyncSession,
    *,
    project_id: str,
    rule: str | None,
    path_glob: str | None,
    severity: str | None,
    reason: str | None,
) -> DismissRule:
    project = await manageable(context, session, project_id, ("projectId",))
    errors = []
    if not (rule or path_glob or severity):
        errors.append(
            UserError("Give a rule, a path glob or a severity", UserErrorCode.REQUIRED, ("rule",))
        )
    if severity is not None and severity.upper() not in SEVERITIES:
        errors.append(UserError("Unknown severity", UserErrorCode.INVALID, ("severity",)))
    for field, value, limit in (("rule", rule, 100), ("pathGlob", path_glob, 500)):
        if value is not None and len(value) > limit:
            errors.append(
                UserError(f"At most {limit} characters", UserErrorCode.TOO_LONG, (field,))
            )
    if errors:
        raise UserErrors(errors)
    row = DismissRule(
        organization_id=project.organization_id,
        project_id=project.id,
        rule=rule or None,
        path_glob=path_glob or None,
        severity=severity.upper() if severity else None,
        reason=(reason or "")[:2000],
        created_by_id=context.principal.user_id,
    )
    session.add(row)
    await session.flush()
    return row


async def delete_dismiss_rule(
    context: Context, session: AsyncSession, rule_id: str, project_id: str | None = None
) -> str:
    row = await get_for_action(context, session, DismissRule, rule_id, Action.WRITE)
    _in_project(row, project_id, "DismissRule", rule_id)
    await manageable(context, session, row.project_id)
    await session.delete(row)
    await session.flush()
    return rule_id


async def dismiss_drift_alert(
    context: Context, session: AsyncSession, alert_id: str, project_id: str | None = None
) -> DriftAlert:
    alert = await get_for_action(context, session, DriftAlert, alert_id, Action.WRITE)
    _in_project(alert, project_id, "DriftAlert", alert_id)
    if alert.dismissed_at is None:
        alert.dismissed_at = datetime.now(UTC)
        alert.dismissed_by_id = context.principal.user_id
        await session.flush()
    return alert
