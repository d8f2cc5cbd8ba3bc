"""Virtual keys: credentials for one LLM proxy, shown once and stored as a SHA-256.

A virtual key lets a script call one proxy without an Atrium API key; usage limits can
target it. Keys look like ``vk_live_<43 characters>``; the first 16 characters are
indexed for lookup and shown to people, like API keys' prefixes.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from atrium.core.context import Context
from atrium.core.errors import Unauthenticated, UserErrorCode, UserErrors
from atrium.core.policy import Action
from atrium.core.security import constant_time_equals, new_secret, sha256
from atrium.models.agents import Agent, AgentType
from atrium.models.identity import Team
from atrium.models.llm import LlmVirtualKey
from atrium.resolvers.access import not_found, require
from atrium.resolvers.agents.visibility import visible_agents
from atrium.resolvers.auth.credentials import LOOKUP_PREFIX_LENGTH
from atrium.resolvers.llm.runtime import KeyEntry, LlmRuntime, llm_runtime

VIRTUAL_KEY_PREFIX = "vk_live_"
LOOKUP_LENGTH = LOOKUP_PREFIX_LENGTH  # the same shape as API keys: prefix shown and indexed


def mint_virtual_key() -> str:
    return VIRTUAL_KEY_PREFIX + new_secret()


async def visible_proxy(
    context: Context, session: AsyncSession, proxy_id: str, field: tuple[str, ...] = ("proxyId",)
) -> Agent:
    """An LLM_PROXY agent the caller can see, or NOT_FOUND."""
    agent = await session.scalar(
        select(Agent).where(
            Agent.id == proxy_id, Agent.type == AgentType.LLM_PROXY, visible_agents(context)
        )
    )
    if agent is None:
        raise not_found("LlmProxy", proxy_id, field)
    return agent


async def create_virtual_key(
    context: Context,
    session: AsyncSession,
    *,
    proxy_id: str,
    name: str,
    team_id: str | None = None,
    expires_at: datetime | None = None,
) -> tuple[LlmVirtualKey, str]:
    agent = await visible_proxy(context, session, proxy_id)
    require(context, agent.organization_id, Action.WRITE, field=("proxyId",))
    if not name.strip():
        raise UserErrors.single("Name can't be blank", UserErrorCode.REQUIRED, ("name",))
    if len(name) > 200:
        raise UserErrors.single("At most 200 characters", UserErrorCode.TOO_LONG, ("name",))
    if team_id is not None:
        team = await session.get(Team, team_id)
        if team is None or team.organization_id != agent.organization_id:
            raise not_found("Team", team_id, ("teamId",))
    secret = mint_virtual_key()
    key = LlmVirtualKey(
        organization_id=agent.organization_id,
        agent_id=agent.id,
        name=name.strip(),
        lookup_prefix=secret[:LOOKUP_LENGTH],
        key_hash=sha256(secret),
        team_id=team_id,
        created_by_id=context.principal.user_id,
        expires_at=expires_at,
    )
    session.add(key)
    await session.flush()
    return key, secret


async def revoke_virtual_key(context: Context, session: AsyncSession, key_id: str) -> LlmVirtualKey:
    key = await session.get(LlmVirtualKey, key_id)
    if key is None:
        raise not_found("LlmVirtualKey", key_id, ("id",))
    await visible_proxy(context, session, key.agent_id, ("id",))
    require(context, key.organization_id, Action.WRITE, field=("id",))
    runtime = llm_runtime(context.services)
    if key.revoked_at is None:
        key.revoked_at = runtime.clock()
        await session.flush()
    prefix = key.lookup_prefix

    async def forget() -> None:  # again once committed: a call meanwhile may have cached it
        runtime.keys.drop(prefix)

    runtime.keys.drop(prefix)  # immediate in this process; others within CACHE_SECONDS
    context.after_commit(forget)
    return key


async def authenticate_virtual_key(
    runtime: LlmRuntime, session: Callable[[], AsyncSession], secret: str
) -> KeyEntry:
    """The key behind ``secret``; UNAUTHENTICATED when unknown, revoked or expired.

    ``session()`` is called only when the key is not cached.
    """
    prefix = secret[:LOOKUP_LENGTH]
    entry = runtime.keys.get(prefix)
    if entry is None:
        row = await session().scalar(
            select(LlmVirtualKey).where(LlmVirtualKey.lookup_prefix == prefix)
        )
        entry = runtime.keys.put(
            prefix,
            KeyEntry(
                id=row.id,
                organization_id=row.organization_id,
                agent_id=row.agent_id,
                key_hash=row.key_hash,
                user_id=row.created_by_id,
                team_id=row.team_id,
                expires_at=row.expires_at,
                revoked=row.revoked_at is not None,
            )
            if row is not None
            else None,
        )
    if entry is None or not constant_time_equals(entry.key_hash, sha256(secret)):
        raise Unauthenticated("Invalid, expired or revoked virtual key")
    if entry.revoked or (entry.expires_at is not None and entry.expires_at <= runtime.clock()):
        raise Unauthenticated("Invalid, expired or revoked virtual key")
    return entry
