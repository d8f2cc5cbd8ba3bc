"""LLM proxies through the API: an org, a proxy on a fake upstream, virtual keys, limits;
a fake clock for the proxy's runtime; calls through the OpenAI-compatible route."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import httpx
from sqlalchemy import select

from atrium.models.events import EventRecord
from atrium.resolvers.llm.runtime import LlmRuntime, llm_runtime
from tests.helpers import GraphQLClient, TestUser, make_org, make_user, unique

T = TypeVar("T")

CREATE_AGENT = """
mutation($input: CreateAgentInput!) {
  createAgent(input: $input) { agent { id } userErrors { field message code } }
}
"""
CREATE_KEY = """
mutation($input: CreateLlmVirtualKeyInput!) {
  createLlmVirtualKey(input: $input) {
    virtualKey { id name prefix } secret userErrors { field message code }
  }
}
"""
CREATE_LIMIT = """
mutation($input: CreateUsageLimitInput!) {
  createUsageLimit(input: $input) {
    usageLimit { id name limitValue used remaining windowStart nextResetAt }
    userErrors { field message code }
  }
}
"""
GET_LIMIT = """
query($id: ID!) {
  usageLimit(id: $id) {
    id name limitValue used remaining percentUsed exhausted windowStart nextResetAt
  }
}
"""


class FakeClock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass
class ProxySetup:
    owner: TestUser
    org: str
    proxy: str
    key: str
    key_id: str


async def make_proxy(
    client: GraphQLClient,
    base_url: str,
    *,
    owner: TestUser | None = None,
    org: str | None = None,
    model: str | None = "gpt-4o-mini",
    team_ids: list[str] | None = None,
) -> ProxySetup:
    owner = owner or await make_user(client)
    org = org or (await make_org(client, owner))["id"]
    fields: dict[str, Any] = {
        "organizationId": org,
        "name": unique("proxy-"),
        "type": "LLM_PROXY",
        "model": model,
        "providerBaseUrl": base_url,
        "providerApiKey": "sk-upstream-secret",
    }
    if team_ids:
        fields.update(scope="TEAM", teamIds=team_ids)
    agent = await client.mutate("createAgent", CREATE_AGENT, {"input": fields}, token=owner.token)
    proxy = agent["agent"]["id"]
    key = await make_key(client, owner, proxy)
    return ProxySetup(owner, org, proxy, key["secret"], key["virtualKey"]["id"])


async def make_key(
    client: GraphQLClient, owner: TestUser, proxy: str, **fields: Any
) -> dict[str, Any]:
    return await client.mutate(
        "createLlmVirtualKey",
        CREATE_KEY,
        {"input": {"proxyId": proxy, "name": unique("key-"), **fields}},
        token=owner.token,
    )


async def make_limit(
    client: GraphQLClient, owner: TestUser, org: str, value: float, **fields: Any
) -> dict[str, Any]:
    payload = await client.mutate(
        "createUsageLimit",
        CREATE_LIMIT,
        {"input": {"organizationId": org, "name": unique("limit-"), "limitValue": value, **fields}},
        token=owner.token,
    )
    return payload["usageLimit"]


async def chat(
    http: httpx.AsyncClient,
    proxy: str,
    key: str,
    *,
    stream: bool = False,
    model: str | None = "gpt-4o-mini",
    **body: Any,
) -> httpx.Response:
    payload: dict[str, Any] = {"messages": [{"role": "user", "content": "hi"}], **body}
    if model is not None:
        payload["model"] = model
    if stream:
        payload["stream"] = True
    return await http.post(
        f"/llm/{proxy}/v1/chat/completions",
        json=payload,
        headers={"Authorization": f"Bearer {key}"},
    )


def runtime_of(app: Any) -> LlmRuntime:
    return llm_runtime(app.state.atrium.services)


def fresh_clock(app: Any, start: datetime | None = None) -> tuple[FakeClock, Callable[[], None]]:
    """Put a fake clock on the proxy runtime; the callable restores the real one."""
    runtime = runtime_of(app)
    previous = runtime.clock
    clock = FakeClock(start or datetime.now(UTC))
    runtime.clock = clock

    def restore() -> None:
        runtime.clock = previous

    return clock, restore


async def org_events(app: Any, org: str, prefix: str = "usage_limit.") -> list[EventRecord]:
    async with app.state.atrium.db.sessionmaker() as session:
        rows = await session.scalars(
            select(EventRecord)
            .where(EventRecord.topic == f"org:{org}", EventRecord.type.startswith(prefix))
            .order_by(EventRecord.sequence)
        )
        return list(rows)


async def eventually(
    probe: Callable[[], Awaitable[T]], until: Callable[[T], bool], seconds: float = 5.0
) -> T:
    """``probe()`` until ``until`` accepts its answer: calls are written by the recorder
    a few milliseconds after their answers, so readers of recorded calls poll."""
    deadline = time.monotonic() + seconds
    while True:
        value = await probe()
        if until(value):
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"still {value!r} after {seconds}s")
        await asyncio.sleep(0.01)


async def recorded_calls(client: GraphQLClient, setup: ProxySetup, count: int) -> dict[str, Any]:
    """The proxy's recorded calls (newest first), once there are ``count``."""

    async def probe() -> dict[str, Any]:
        response = await client.execute(
            "query($o: ID, $p: ID) { llmRequests(organizationId: $o, proxyId: $p, first: 50) "
            "{ totalCount nodes { id } } }",
            {"o": setup.org, "p": setup.proxy},
            token=setup.owner.token,
        )
        return dict(response.data["llmRequests"])

    return await eventually(probe, lambda found: len(found["nodes"]) >= count)
