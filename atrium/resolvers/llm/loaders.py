"""Batch functions for virtual keys, usage limits, recorded calls and limit usage."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from atrium.core.context import Context
from atrium.engines.llm import LimitType
from atrium.models.llm import LlmRequest, LlmVirtualKey, UsageLimit
from atrium.resolvers.llm import counters
from atrium.resolvers.llm.counters import LimitState
from atrium.resolvers.llm.limits import cached
from atrium.resolvers.llm.runtime import llm_runtime
from atrium.resolvers.loading import org_scoped, visible_org_ids

virtual_keys_by_id = org_scoped(LlmVirtualKey)
usage_limits_by_id = org_scoped(UsageLimit)
llm_requests_by_id = org_scoped(LlmRequest)


class _Held:
    """The request's session, already held: :func:`counters.current_states` reads with it
    and never waits for the recorder (``wait=False``), so there is nothing to release."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def __call__(self) -> AsyncSession:
        return self.session

    async def release(self) -> None:
        return None


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
        costs = [i for i in limits if i.rule.type is LimitType.TOKEN_COST]
        others = [i for i in limits if i.rule.type is not LimitType.TOKEN_COST]
        states = await counters.current_states(runtime, _Held(session), costs, now, wait=False)
        states += await counters.read_states(session, others, now)
    found = {state.limit.rule.id: state for state in states}
    return [found.get(key) for key in keys]
