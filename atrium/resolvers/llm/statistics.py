"""Usage statistics over recorded proxy calls: by team, agent or model, and an overview.

One query per answer: the calls of the organization in the timeframe (the
``(organization_id, created_at)`` index), reduced by ``engines.llm.group_usage`` (the
overview's three groupings and total in one pass: ``group_usage_by``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from atrium.core.context import Context
from atrium.core.errors import BadUserInput
from atrium.engines.llm import (
    Group,
    Timeframe,
    TimeframeError,
    UsageRow,
    group_usage,
    group_usage_by,
    timeframe,
)
from atrium.models.agents import Agent
from atrium.models.identity import Team
from atrium.models.llm import LlmRequest
from atrium.resolvers.llm.runtime import llm_runtime


class GroupBy(StrEnum):
    TEAM = "TEAM"
    AGENT = "AGENT"
    MODEL = "MODEL"


_COLUMNS = {
    GroupBy.TEAM: LlmRequest.team_id,
    GroupBy.AGENT: LlmRequest.agent_id,
    GroupBy.MODEL: LlmRequest.model,
}


@dataclass(frozen=True)
class NamedGroup:
    group: Group
    name: str | None


@dataclass(frozen=True)
class Statistics:
    frame: Timeframe
    groups: list[NamedGroup]


@dataclass(frozen=True)
class Overview:
    frame: Timeframe
    total: Group
    top_team: NamedGroup | None
    top_agent: NamedGroup | None
    top_model: NamedGroup | None


def resolve_timeframe(
    context: Context, name: str | None, start: datetime | None, end: datetime | None
) -> Timeframe:
    try:
        return timeframe(name, llm_runtime(context.services).clock(), start, end)
    except TimeframeError as error:
        raise BadUserInput(str(error)) from None


async def _rows(
    session: AsyncSession, organization_id: str, frame: Timeframe, *columns: Any
) -> list[Any]:
    stmt = select(
        *columns,
        LlmRequest.created_at,
        LlmRequest.input_tokens,
        LlmRequest.output_tokens,
        LlmRequest.cost,
    ).where(
        LlmRequest.organization_id == organization_id,
        LlmRequest.created_at >= frame.start,
        LlmRequest.created_at < frame.end,
    )
    return list((await session.execute(stmt)).all())


async def _names(session: AsyncSession, by: GroupBy, keys: list[str | None]) -> dict[str, str]:
    ids = [k for k in keys if k]
    if by is GroupBy.MODEL or not ids:
        return {k: k for k in ids}
    model: Any = Team if by is GroupBy.TEAM else Agent
    rows = await session.execute(select(model.id, model.name).where(model.id.in_(ids)))
    return {row_id: name for row_id, name in rows.all()}


def _group(rows: list[Any], index: int, frame: Timeframe) -> list[Group]:
    return group_usage(
        (UsageRow(row[index], row[-4], row[-3], row[-2], row[-1]) for row in rows), frame
    )


async def usage_statistics(
    context: Context, organization_id: str, by: GroupBy, frame: Timeframe
) -> Statistics:
    async with context.session() as session:
        rows = await _rows(session, organization_id, frame, _COLUMNS[by])
        groups = _group(rows, 0, frame)
        names = await _names(session, by, [g.key for g in groups])
    return Statistics(frame, [NamedGroup(g, names.get(g.key or "")) for g in groups])


async def usage_overview(context: Context, organization_id: str, frame: Timeframe) -> Overview:
    """Totals and the top team, agent and model: one query, one pass over its rows."""
    dimensions = (GroupBy.TEAM, GroupBy.AGENT, GroupBy.MODEL)
    async with context.session() as session:
        rows = await _rows(session, organization_id, frame, *(_COLUMNS[by] for by in dimensions))
        groupings, total = group_usage_by(rows, frame, len(dimensions))
        tops: list[NamedGroup | None] = []
        for by, groups in zip(dimensions, groupings, strict=True):
            top = next((g for g in groups if g.key is not None), None)
            names = await _names(session, by, [top.key] if top else [])
            tops.append(NamedGroup(top, names.get(top.key or "")) if top else None)
    return Overview(frame, total, *tops)
