"""Batch functions for virtual keys, usage limits, recorded calls and limit usage."""

from __future__ import annotations

from sqlalchemy import select

from atrium.core.context import Context
from atrium.models.llm import LlmRequest, LlmVirtualKey, UsageLimit
from atrium.resolvers.llm import counters
from atrium.resolvers.llm.counters import LimitState
from atrium.resolvers.llm.limits import cached
from atrium.resolvers.llm.runtime import llm_runtime
from atrium.resolvers.loading import org_scoped, visible_org_ids

virtual_keys_by_id = org_scoped(LlmVirtualKey)
usage_limits_by_id = org_scoped(UsageLimit)
llm_requests_by_id = org_scoped(LlmRequest)


async def limit_states(context: Context, keys: list[str]) -> list[LimitState | None]:
    """Each limit's usage in its current window: one query for the whole batch."""
    stmt = select(UsageLimit).where(
        UsageLimit.id.in_(keys), UsageLimit.organization_id.in_(visible_org_ids(context))
    )
    now = llm_runtime(context.services).clock()
    async with context.session() as session:
        rows = (await session.scalars(stmt)).all()
        states = await counters.read_states(session, [cached(row) for row in rows], now)
    found = {state.limit.rule.id: state for state in states}
    return [found.get(key) for key in keys]
