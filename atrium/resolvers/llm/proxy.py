"""The LLM proxy's decisions before a call is forwarded: which proxy, who is calling,
which limits apply and whether any is spent; and reading usage from the answer.

Nothing here writes (but an Atrium API key's last use). With warm caches, admitting a
call takes no query at all, limits or not: counters come from the process's ledger,
which reads a counter again only once a second (``ledger.COUNTER_SECONDS``); the
session is opened only when something has to be read.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from atrium.core.config import Settings
from atrium.core.errors import AtriumError
from atrium.engines.llm import LimitType, Subject
from atrium.models.agents import Agent, AgentTeam, AgentType
from atrium.resolvers.auth.credentials import authenticate
from atrium.resolvers.llm import counters
from atrium.resolvers.llm.counters import LimitState, Sessions
from atrium.resolvers.llm.keys import VIRTUAL_KEY_PREFIX, authenticate_virtual_key
from atrium.resolvers.llm.limits import organization_limits
from atrium.resolvers.llm.runtime import CachedLimit, LlmRuntime, ProxyConfig

OPENAI_BASE_URL = "https://api.openai.com/v1"


class ProxyError(Exception):
    """A call refused before or instead of forwarding, as an OpenAI-style error."""

    def __init__(
        self,
        status: int,
        message: str,
        type: str,
        code: str,
        headers: Mapping[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.type = type
        self.code = code
        self.headers = dict(headers or {})
        self.extra = extra

    def body(self) -> bytes:
        error = {"message": self.message, "type": self.type, "param": None, "code": self.code}
        return orjson.dumps({"error": {**error, **self.extra}})


@dataclass(frozen=True)
class Admission:
    proxy: ProxyConfig
    subject: Subject
    model: str  # as requested, or the proxy's configured model
    team_id: str | None  # the team statistics attribute the call to
    api_key_id: str | None
    states: list[LimitState]  # TOKEN_COST limits over this call, current usage

    @property
    def limits(self) -> list[CachedLimit]:
        """The limits the call counts against once answered."""
        return [state.limit for state in self.states]

    def headers(self) -> dict[str, str]:
        """The tightest applicable limit, as response headers."""
        if not self.states:
            return {}
        return limit_headers(max(self.states, key=lambda s: s.fraction))


def limit_headers(state: LimitState) -> dict[str, str]:
    return {
        "x-atrium-limit-name": state.limit.rule.name,
        "x-atrium-limit-id": state.limit.rule.id,
        "x-atrium-limit-value": _number(state.limit.rule.value),
        "x-atrium-limit-used": _number(state.used),
        "x-atrium-limit-remaining": _number(state.remaining),
        "x-atrium-limit-reset": _iso(state.window.end),
    }


def _number(value: float) -> str:
    return f"{value:.10f}".rstrip("0").rstrip(".") or "0"


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


class LazySession:
    """A session opened on first use: a call admitted from caches never opens one."""

    def __init__(self, factory: async_sessionmaker[AsyncSession]) -> None:
        self._factory = factory
        self._session: AsyncSession | None = None

    def __call__(self) -> AsyncSession:
        if self._session is None:
            self._session = self._factory()
        return self._session

    async def release(self) -> None:
        """End the transaction (keeping the session): on SQLite it holds the write lock."""
        if self._session is not None and self._session.in_transaction():
            await self._session.commit()

    async def commit_and_close(self) -> None:
        session, self._session = self._session, None
        if session is None:
            return
        try:
            await session.commit()  # an API key's last use; nothing otherwise
        finally:
            await session.close()

    async def close(self) -> None:
        session, self._session = self._session, None
        if session is not None:
            await session.close()


async def proxy_config(
    runtime: LlmRuntime, session: Callable[[], AsyncSession], proxy_id: str
) -> ProxyConfig:
    config = runtime.proxies.get(proxy_id)
    if config is None:
        agent = await session().get(Agent, proxy_id)
        if agent is None or agent.type is not AgentType.LLM_PROXY:
            raise _no_proxy(proxy_id)
        teams = await session().scalars(
            select(AgentTeam.team_id).where(AgentTeam.agent_id == agent.id)
        )
        config = runtime.proxies.put(
            proxy_id,
            ProxyConfig(
                id=agent.id,
                organization_id=agent.organization_id,
                name=agent.name,
                base_url=agent.provider_base_url,
                api_key=agent.provider_api_key,
                model=agent.model,
                team_ids=frozenset(teams),
            ),
        )
    assert config is not None
    return config


def _no_proxy(proxy_id: str) -> ProxyError:
    return ProxyError(
        404, f"LLM proxy '{proxy_id}' not found", "invalid_request_error", "proxy_not_found"
    )


def _unauthenticated(message: str) -> ProxyError:
    return ProxyError(401, message, "invalid_request_error", "invalid_api_key")


async def admit(
    runtime: LlmRuntime,
    session: Sessions,
    settings: Settings,
    proxy_id: str,
    credential: str | None,
    model: str | None,
) -> Admission:
    """Everything checked before forwarding; raises :class:`ProxyError` to refuse.

    ``session()`` opens (or returns) the session for what the caches cannot answer.
    """
    if not credential:
        raise _unauthenticated("Give a virtual key or an API key as `Authorization: Bearer`")
    try:
        proxy = await proxy_config(runtime, session, proxy_id)
    except ProxyError:
        if credential.startswith(VIRTUAL_KEY_PREFIX):
            raise _unauthenticated("Invalid, expired or revoked virtual key") from None
        raise
    api_key_id = None
    team_ids = set(proxy.team_ids)
    try:
        if credential.startswith(VIRTUAL_KEY_PREFIX):
            key = await authenticate_virtual_key(runtime, session, credential)
            if key.agent_id != proxy.id:
                raise _unauthenticated("This virtual key belongs to another proxy")
            user_id, key_id, key_team = key.user_id, key.id, key.team_id
        else:
            principal = await authenticate(session(), settings, credential)
            if principal.role_in(proxy.organization_id) is None:
                raise _no_proxy(proxy_id)  # another organization's proxy: not found
            user_id, key_id, key_team = principal.user_id, None, None
            api_key_id = principal.api_key_id
    except AtriumError as error:
        raise _unauthenticated(error.message) from None
    model = model or proxy.model
    if not model:
        raise ProxyError(400, "Say which `model` to use", "invalid_request_error", "model_required")
    if key_team:
        team_ids.add(key_team)
    subject = Subject(
        organization_id=proxy.organization_id,
        team_ids=frozenset(team_ids),
        user_id=user_id,
        agent_id=proxy.id,
        virtual_key_id=key_id,
    )
    team_id = key_team or (min(proxy.team_ids) if proxy.team_ids else None)
    limits = runtime.limits.get(proxy.organization_id)
    if limits is None:
        limits = await organization_limits(runtime, session(), proxy.organization_id)
    rules = [i for i in limits if i.rule.applies(subject, LimitType.TOKEN_COST, model)]
    if not rules:
        return Admission(proxy, subject, model, team_id, api_key_id, [])
    now = runtime.clock()
    states = await counters.current_states(runtime, session, rules, now)
    for state in states:
        if state.exhausted:
            raise limit_breach(state, now)
    return Admission(proxy, subject, model, team_id, api_key_id, states)


def limit_breach(state: LimitState, now: datetime) -> ProxyError:
    rule = state.limit.rule
    retry = max(int((state.window.end - now).total_seconds()) + 1, 1)
    return ProxyError(
        429,
        f"Usage limit '{rule.name}' reached: {_number(state.used)} of {_number(rule.value)} "
        f"USD used in this window; it resets at {_iso(state.window.end)}",
        "usage_limit_exceeded",
        "usage_limit_exceeded",
        headers={**limit_headers(state), "retry-after": str(retry)},
        limit={
            "id": rule.id,
            "name": rule.name,
            "limitType": rule.type.value,
            "entityType": rule.entity.value,
            "entityId": rule.entity_id,
            "limitValue": rule.value,
            "used": state.used,
            "resetsAt": _iso(state.window.end),
        },
    )


def upstream_request(proxy: ProxyConfig) -> tuple[str, dict[str, str]]:
    url = (proxy.base_url or OPENAI_BASE_URL).rstrip("/") + "/chat/completions"
    headers = {"content-type": "application/json", "accept-encoding": "identity"}
    if proxy.api_key:
        headers["authorization"] = f"Bearer {proxy.api_key}"
    return url, headers


def usage_of(payload: Mapping[str, Any]) -> tuple[int, int] | None:
    usage = payload.get("usage")
    if not isinstance(usage, Mapping):
        return None
    return int(usage.get("prompt_tokens") or 0), int(usage.get("completion_tokens") or 0)


class StreamReader:
    """Passes an SSE stream through event by event, noting the usage chunk.

    The proxy always asks the upstream for usage (``include_usage``); if the client did
    not, the usage-only chunk is dropped so the client sees what it asked for.
    """

    def __init__(self, keep_usage_chunk: bool) -> None:
        self.keep_usage_chunk = keep_usage_chunk
        self.buffer = b""
        self.usage: tuple[int, int] | None = None
        self.model: str | None = None

    def feed(self, data: bytes) -> bytes:
        self.buffer += data
        if b"\n\n" not in self.buffer:
            return b""
        complete, _, self.buffer = self.buffer.rpartition(b"\n\n")
        out = []
        for event in complete.split(b"\n\n"):
            if self._keep(event):
                out.append(event + b"\n\n")
        return b"".join(out)

    def flush(self) -> bytes:
        rest, self.buffer = self.buffer, b""
        return rest

    def _keep(self, event: bytes) -> bool:
        if b'"usage"' not in event:
            return True
        for line in event.split(b"\n"):
            if not line.startswith(b"data:"):
                continue
            try:
                payload = orjson.loads(line[5:].strip())
            except orjson.JSONDecodeError:
                return True
            if not isinstance(payload, dict):
                return True
            usage = usage_of(payload)
            if usage is not None:
                self.usage = usage
                self.model = payload.get("model") or self.model
                return self.keep_usage_chunk or bool(payload.get("choices"))
        return True
