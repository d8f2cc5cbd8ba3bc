"""People's verdicts on threats: MITIGATED or ACCEPTED, kept across re-analysis.

Threat IDs are fingerprints of (rule, element), so the same threat found again in a
later analysis carries the same ID and the verdict applies to it without copying.
Setting OPEN removes the verdict.
"""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from atrium.core.context import Context
from atrium.core.errors import UserErrorCode, UserErrors
from atrium.core.policy import Action
from atrium.models.architecture import (
    Analysis,
    AnalysisKind,
    AnalysisStatus,
    Architecture,
    ThreatDecision,
    ThreatStatus,
)
from atrium.resolvers.access import get_for_action
from atrium.resolvers.architecture import events

MAX_NOTE = 5_000


async def _threat_known(session: AsyncSession, architecture_id: str, threat_id: str) -> bool:
    """Whether any completed threat model of the architecture found this threat."""
    results = (
        await session.scalars(
            select(Analysis.result).where(
                Analysis.architecture_id == architecture_id,
                Analysis.kind == AnalysisKind.THREATS,
                Analysis.status == AnalysisStatus.COMPLETED,
            )
        )
    ).all()
    return any(
        threat.get("id") == threat_id
        for result in results
        for threat in (result or {}).get("threats", ())
    )


async def set_threat_status(
    context: Context,
    session: AsyncSession,
    *,
    architecture_id: str,
    threat_id: str,
    status: ThreatStatus,
    note: str | None,
) -> ThreatDecision | None:
    architecture = await get_for_action(
        context, session, Architecture, architecture_id, Action.WRITE, field=("architectureId",)
    )
    if note is not None and len(note) > MAX_NOTE:
        raise UserErrors.single(f"At most {MAX_NOTE} characters", UserErrorCode.TOO_LONG, ("note",))
    if not await _threat_known(session, architecture.id, threat_id):
        raise UserErrors.single(
            f"No threat '{threat_id}' in this architecture's threat models",
            UserErrorCode.NOT_FOUND,
            ("threatId",),
        )
    decision = await session.scalar(
        select(ThreatDecision).where(
            ThreatDecision.architecture_id == architecture.id,
            ThreatDecision.threat_id == threat_id,
        )
    )
    if status is ThreatStatus.OPEN:
        await session.execute(
            delete(ThreatDecision).where(
                ThreatDecision.architecture_id == architecture.id,
                ThreatDecision.threat_id == threat_id,
            )
        )
        decision = None
    else:
        if decision is None:
            decision = ThreatDecision(
                organization_id=architecture.organization_id,
                architecture_id=architecture.id,
                threat_id=threat_id,
            )
            session.add(decision)
        decision.status = status
        decision.note = note or ""
        decision.decided_by_id = context.principal.user_id
    await session.flush()
    await events.emit(
        context,
        session,
        events.THREAT_STATUS_CHANGED,
        architecture.organization_id,
        architecture.id,
        threat_id=threat_id,
        status=status.value,
    )
    return decision
