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
    """Each limit's usage in its current window: one query for the whole batch at most.

    TOKEN_COST usage comes through the process's ledger, as the proxy sees it: calls
    answered here count at once, before the recorder has written them.
    """
    stmt = select(UsageLimit).where(
        UsageLimit.id.in_(keys), UsageLimit.organization_id.in_(visible_org_ids(context))
    )
    runtime = llm_runtime(context.services)
    now = runtime.clock()
    async with context.session() as session:
        rows = (await session.scalars(stmt)).all()
        limits = [cached(row) for row in rows]
        states = await counters.pending_states(runtime, session, limits, now)
    found = {state.limit.rule.id: state for state in states}
    return [found.get(key) for key in keys]
