"""Cost, scalability and threat analyses: durable jobs over one version of a design.

A request records an ``Analysis`` (PENDING) and enqueues ``architecture.analyze``; the
worker marks it RUNNING, runs the pure engine on the version the request saw, stores the
result and publishes progress and completion on ``architectureEvents`` (and
``analysis.completed`` to webhooks). Callers that want the answer in the response (the
seed's REST route returns the estimates) ask to ``wait``: the same steps then run inside
the request, so there is one code path and one stored record either way.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from atrium.core.context import Context
from atrium.core.errors import UserError, UserErrorCode, UserErrors
from atrium.core.jobs import JobContext, PermanentJobError, job_handler
from atrium.core.policy import Action
from atrium.engines.architecture.cost import analyze_cost
from atrium.engines.architecture.model import ArchitectureSpec
from atrium.engines.architecture.scalability import analyze_scalability
from atrium.engines.architecture.threats import analyze_threats
from atrium.models.architecture import Analysis, AnalysisKind, AnalysisStatus, Architecture
from atrium.resolvers.access import get_for_action
from atrium.resolvers.architecture import events
from atrium.resolvers.architecture.catalog_check import catalog_problems
from atrium.resolvers.architecture.designs import version_spec

ANALYZE_JOB = "architecture.analyze"
DEFAULT_SCALE_POINTS = (1_000, 10_000, 100_000)
MAX_SCALE_POINTS = 10
MAX_USERS = 10_000_000

Engine = Callable[[ArchitectureSpec, dict[str, Any]], dict[str, Any]]

ENGINES: dict[AnalysisKind, Engine] = {
    AnalysisKind.COST: lambda spec, p: analyze_cost(
        spec, p["scale_points"], p.get("region")
    ).to_dict(),
    AnalysisKind.SCALABILITY: lambda spec, p: analyze_scalability(
        spec, p["scale_points"]
    ).to_dict(),
    AnalysisKind.THREATS: lambda spec, p: analyze_threats(spec).to_dict(),
}


def scale_point_errors(points: list[int]) -> list[UserError]:
    field = ("scalePoints",)
    if not points:
        return [UserError("Give at least one scale point", UserErrorCode.REQUIRED, field)]
    if len(points) > MAX_SCALE_POINTS:
        return [
            UserError(f"At most {MAX_SCALE_POINTS} scale points", UserErrorCode.TOO_LONG, field)
        ]
    if any(p < 1 or p > MAX_USERS for p in points):
        return [
            UserError(f"Scale points are 1 to {MAX_USERS:,} users", UserErrorCode.INVALID, field)
        ]
    return []


async def request_analysis(
    context: Context,
    session: AsyncSession,
    *,
    architecture_id: str,
    kind: AnalysisKind,
    scale_points: list[int] | None = None,
    region: str | None = None,
    wait: bool = False,
) -> Analysis:
    architecture = await get_for_action(
        context, session, Architecture, architecture_id, Action.WRITE, field=("architectureId",)
    )
    parameters: dict[str, Any] = {}
    if kind is not AnalysisKind.THREATS:
        points = sorted(set(scale_points or DEFAULT_SCALE_POINTS))
        _raise_if(scale_point_errors(points))
        parameters["scale_points"] = points
    if kind is AnalysisKind.COST:
        region = region or architecture.region
        spec = ArchitectureSpec.from_dict({**architecture.spec, "region": region})
        _raise_if(
            [
                UserError(p.message, UserErrorCode.INVALID, ("region",))
                for p in catalog_problems(spec)
                if p.field == ("region",)
            ]
        )
        parameters["region"] = region
    analysis = Analysis(
        organization_id=architecture.organization_id,
        architecture_id=architecture.id,
        version=architecture.version,
        kind=kind,
        parameters=parameters,
        requested_by_id=context.principal.user_id,
    )
    session.add(analysis)
    await session.flush()
    if wait:
        await _start(context, session, analysis)
        await _finish(context, session, analysis, await _compute(analysis, architecture.spec))
    else:
        await context.enqueue(
            session,
            ANALYZE_JOB,
            {"analysis_id": analysis.id},
            organization_id=architecture.organization_id,
        )
    return analysis


def _raise_if(errors: list[UserError]) -> None:
    if errors:
        raise UserErrors(errors)


async def _start(context: Context, session: AsyncSession, analysis: Analysis) -> None:
    analysis.status = AnalysisStatus.RUNNING
    analysis.started_at = datetime.now(UTC)
    analysis.progress = 0.0
    await session.flush()
    await _emit(context, session, analysis, events.ANALYSIS_STARTED)


async def _compute(analysis: Analysis, spec: dict[str, Any]) -> dict[str, Any] | Exception:
    """Run the engine off the event loop; its failure is a value, recorded on the analysis."""
    engine = ENGINES[analysis.kind]
    try:
        return await asyncio.to_thread(
            engine, ArchitectureSpec.from_dict(spec), analysis.parameters
        )
    except Exception as error:  # an engine bug must not leave the analysis RUNNING
        return error


async def _finish(
    context: Context,
    session: AsyncSession,
    analysis: Analysis,
    outcome: dict[str, Any] | Exception,
) -> None:
    analysis.completed_at = datetime.now(UTC)
    if isinstance(outcome, Exception):
        analysis.status = AnalysisStatus.FAILED
        analysis.error = f"{type(outcome).__name__}: {outcome}"[:2000]
        await session.flush()
        await _emit(context, session, analysis, events.ANALYSIS_FAILED, error=analysis.error)
        return
    analysis.status = AnalysisStatus.COMPLETED
    analysis.progress = 1.0
    analysis.result = outcome
    await session.flush()
    await _emit(context, session, analysis, events.ANALYSIS_COMPLETED)


async def _emit(
    context: Context,
    session: AsyncSession,
    analysis: Analysis,
    type: str,
    *,
    durable: bool = True,
    **extra: Any,
) -> None:
    await events.emit(
        context,
        session,
        type,
        analysis.organization_id,
        analysis.architecture_id,
        durable=durable,
        subject_id=analysis.id,
        analysis_id=analysis.id,
        kind=analysis.kind.value,
        status=analysis.status.value,
        progress=analysis.progress,
        version=analysis.version,
        **extra,
    )


@job_handler(ANALYZE_JOB)
async def run_analysis(job: JobContext, payload: dict[str, Any]) -> dict[str, Any]:
    """The worker's side: each step is committed, so listeners see RUNNING before the end.

    Idempotent: a finished analysis is left alone; one left RUNNING by a worker that died
    is run again from its stored version.
    """
    context = Context.for_job(job)
    try:
        async with context.session() as session:
            analysis = await session.get(Analysis, payload["analysis_id"])
            if analysis is None:
                raise PermanentJobError("analysis no longer exists")
            if analysis.status in (AnalysisStatus.COMPLETED, AnalysisStatus.FAILED):
                return {"status": analysis.status.value}
            version = await version_spec(session, analysis.architecture_id, analysis.version)
            if version is None:
                raise PermanentJobError("architecture version no longer exists")
            spec = version.spec
            await _start(context, session, analysis)
        await context.commit()
        await _progress(context, analysis, 0.1)
        outcome = await _compute(analysis, spec)
        async with context.session() as session:
            await _finish(context, session, analysis, outcome)
        await context.commit()
        return {"status": analysis.status.value}
    finally:
        await context.close()


async def _progress(context: Context, analysis: Analysis, progress: float) -> None:
    """Progress for listeners (an ephemeral event) and for pollers (the stored value)."""
    async with context.session() as session:
        analysis.progress = progress
        await _emit(context, session, analysis, events.ANALYSIS_PROGRESS, durable=False)
    await context.commit()
