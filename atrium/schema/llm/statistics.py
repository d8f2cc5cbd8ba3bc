"""Usage statistics in the graph: by team, agent or model over a timeframe, an overview."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import strawberry

from atrium.engines.llm import TIMEFRAMES, Group, Timeframe, Totals
from atrium.resolvers.access import readable_organization
from atrium.resolvers.llm import statistics as service
from atrium.resolvers.llm.statistics import GroupBy, NamedGroup
from atrium.schema.common import AtriumInfo

strawberry.enum(GroupBy, name="UsageGroupBy", description="Group usage by TEAM, AGENT or MODEL.")

_TIMEFRAME_HELP = f"One of {', '.join(TIMEFRAMES)} (default 24h); ignored when `from` is given."


def _arg(description: str) -> Any:
    return strawberry.argument(description=description)


@strawberry.type(description="Usage in one time bucket.")
class UsagePoint:
    timestamp: datetime = strawberry.field(description="Start of the bucket.")
    requests: int = strawberry.field(description="Calls.")
    input_tokens: int = strawberry.field(description="Prompt tokens.")
    output_tokens: int = strawberry.field(description="Completion tokens.")
    cost: float = strawberry.field(description="USD.")


def _points(series: dict[datetime, Totals]) -> list[UsagePoint]:
    return [
        UsagePoint(
            timestamp=at,
            requests=t.requests,
            input_tokens=t.input_tokens,
            output_tokens=t.output_tokens,
            cost=round(t.cost, 10),
        )
        for at, t in sorted(series.items())
    ]


@strawberry.type(description="Usage of one team, agent or model over the timeframe.")
class UsageGroup:
    key: str | None = strawberry.field(
        description="Team or agent ID, or the model; null for calls without a team."
    )
    name: str | None = strawberry.field(description="Team or agent name, or the model.")
    requests: int = strawberry.field(description="Calls.")
    input_tokens: int = strawberry.field(description="Prompt tokens.")
    output_tokens: int = strawberry.field(description="Completion tokens.")
    cost: float = strawberry.field(description="USD.")
    time_series: list[UsagePoint] = strawberry.field(description="Per bucket, empty ones too.")

    @classmethod
    def of(cls, group: Group, name: str | None) -> UsageGroup:
        t = group.totals
        return cls(
            key=group.key,
            name=name,
            requests=t.requests,
            input_tokens=t.input_tokens,
            output_tokens=t.output_tokens,
            cost=round(t.cost, 10),
            time_series=_points(group.series),
        )


def _named(item: NamedGroup | None) -> UsageGroup | None:
    return UsageGroup.of(item.group, item.name) if item else None


@strawberry.type(description="Usage grouped by team, agent or model, largest cost first.")
class UsageStatistics:
    start: datetime = strawberry.field(name="from", description="Start of the timeframe.")
    end: datetime = strawberry.field(name="to", description="End of the timeframe.")
    bucket_seconds: int = strawberry.field(description="Size of each time-series bucket.")
    groups: list[UsageGroup] = strawberry.field(description="One per team, agent or model.")
    group_count: int = strawberry.field(description="Number of groups.")


@strawberry.type(description="Totals over a timeframe and the top team, agent and model.")
class UsageOverview:
    start: datetime = strawberry.field(name="from", description="Start of the timeframe.")
    end: datetime = strawberry.field(name="to", description="End of the timeframe.")
    bucket_seconds: int = strawberry.field(description="Size of each time-series bucket.")
    requests: int = strawberry.field(description="Calls.")
    input_tokens: int = strawberry.field(description="Prompt tokens.")
    output_tokens: int = strawberry.field(description="Completion tokens.")
    cost: float = strawberry.field(description="USD.")
    time_series: list[UsagePoint] = strawberry.field(description="Per bucket.")
    top_team: UsageGroup | None = strawberry.field(description="The team that spent most.")
    top_agent: UsageGroup | None = strawberry.field(description="The proxy that spent most.")
    top_model: UsageGroup | None = strawberry.field(description="The model that cost most.")


def _frame(
    info: AtriumInfo, organization_id: str | None, name: str | None, start: Any, end: Any
) -> tuple[str, Timeframe]:
    org = readable_organization(info.context, organization_id)
    return org, service.resolve_timeframe(info.context, name, start, end)


OrgArg = Annotated[
    strawberry.ID | None, _arg("Organization; the credential's only one when omitted.")
]
TimeframeArg = Annotated[str | None, _arg(_TIMEFRAME_HELP)]
FromArg = Annotated[datetime | None, strawberry.argument(name="from", description="Range start.")]
ToArg = Annotated[datetime | None, strawberry.argument(name="to", description="Range end (now).")]


@strawberry.type
class StatisticsQuery:
    @strawberry.field(description="LLM proxy usage by team, agent or model, with time series.")
    async def usage_statistics(
        self,
        info: AtriumInfo,
        group_by: Annotated[GroupBy, _arg("How to group.")],
        organization_id: OrgArg = None,
        timeframe: TimeframeArg = None,
        start: FromArg = None,
        end: ToArg = None,
    ) -> UsageStatistics:
        org, frame = _frame(info, organization_id, timeframe, start, end)
        found = await service.usage_statistics(info.context, org, group_by, frame)
        groups = [UsageGroup.of(item.group, item.name) for item in found.groups]
        return UsageStatistics(
            start=frame.start,
            end=frame.end,
            bucket_seconds=int(frame.bucket.total_seconds()),
            groups=groups,
            group_count=len(groups),
        )

    @strawberry.field(description="LLM proxy usage totals and the top team, agent and model.")
    async def usage_overview(
        self,
        info: AtriumInfo,
        organization_id: OrgArg = None,
        timeframe: TimeframeArg = None,
        start: FromArg = None,
        end: ToArg = None,
    ) -> UsageOverview:
        org, frame = _frame(info, organization_id, timeframe, start, end)
        found = await service.usage_overview(info.context, org, frame)
        t = found.total.totals
        return UsageOverview(
            start=frame.start,
            end=frame.end,
            bucket_seconds=int(frame.bucket.total_seconds()),
            requests=t.requests,
            input_tokens=t.input_tokens,
            output_tokens=t.output_tokens,
            cost=round(t.cost, 10),
            time_series=_points(found.total.series),
            top_team=_named(found.top_team),
            top_agent=_named(found.top_agent),
            top_model=_named(found.top_model),
        )
