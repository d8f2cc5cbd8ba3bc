"""Usage limits: checked before forwarding, tripping at the right call with a 429 naming
the limit, resetting on schedule (fake clock), 80% / 100% events, usage in the graph."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.helpers import GraphQLClient
from tests.schema.llm.factories import (
    GET_LIMIT,
    FakeClock,
    chat,
    fresh_clock,
    make_key,
    make_limit,
    make_proxy,
    org_events,
)
from tests.support.openai_server import FakeOpenAI, openai_server

CALL_COST = 0.15  # gpt-4o-mini: 1M input tokens at $0.15 per million


@pytest.fixture(scope="module")
async def upstream() -> AsyncIterator[FakeOpenAI]:
    async with openai_server() as fake:
        yield fake


@pytest.fixture
def clock(app: Any) -> Iterator[FakeClock]:
    fake, restore = fresh_clock(app, datetime(2030, 5, 14, 10, 20, tzinfo=UTC))
    try:
        yield fake
    finally:
        restore()


async def _call(client: GraphQLClient, upstream: FakeOpenAI, proxy: str, key: str) -> Any:
    upstream.reply(["ok"], usage=(1_000_000, 0))
    return await chat(client.http, proxy, key)


async def test_limit_trips_at_the_right_call_and_resets(
    client: GraphQLClient, upstream: FakeOpenAI, clock: FakeClock, app: Any
) -> None:
    setup = await make_proxy(client, upstream.base_url)
    limit = await make_limit(
        client, setup.owner, setup.org, 0.5, name="Team budget", interval="ONE_HOUR"
    )
    assert limit["nextResetAt"].startswith("2030-05-14T11:20:00")
    statuses, remaining = [], []
    for _ in range(5):
        response = await _call(client, upstream, setup.proxy, setup.key)
        statuses.append(response.status_code)
        remaining.append(response.headers.get("x-atrium-limit-remaining"))
    assert statuses == [200, 200, 200, 200, 429]
    assert remaining[:4] == ["0.5", "0.35", "0.2", "0.05"]  # before each call
    refusal = response.json()["error"]
    assert refusal["code"] == "usage_limit_exceeded" and "Team budget" in refusal["message"]
    assert refusal["limit"]["id"] == limit["id"]
    assert response.headers["x-atrium-limit-reset"] == "2030-05-14T11:20:00Z"
    assert int(response.headers["retry-after"]) > 0
    forwarded = len(upstream.requests)

    state = (await client.execute(GET_LIMIT, {"id": limit["id"]}, token=setup.owner.token)).data
    assert state["usageLimit"]["used"] == pytest.approx(4 * CALL_COST)
    assert state["usageLimit"]["exhausted"] is True and state["usageLimit"]["remaining"] == 0

    events = await org_events(app, setup.org)
    assert [(e.type, e.payload["threshold"]) for e in events] == [
        ("usage_limit.warning", 80),
        ("usage_limit.exceeded", 100),
    ]
    assert events[1].payload["limit_id"] == limit["id"]

    clock.advance(minutes=59)
    assert (await _call(client, upstream, setup.proxy, setup.key)).status_code == 429
    assert len(upstream.requests) == forwarded  # refused calls never reach the upstream
    clock.advance(minutes=1)  # 11:20: a new window
    response = await _call(client, upstream, setup.proxy, setup.key)
    assert response.status_code == 200
    assert response.headers["x-atrium-limit-remaining"] == "0.5"
    state = (await client.execute(GET_LIMIT, {"id": limit["id"]}, token=setup.owner.token)).data
    assert state["usageLimit"]["used"] == pytest.approx(CALL_COST)
    assert state["usageLimit"]["windowStart"].startswith("2030-05-14T11:20:00")


async def test_limits_are_scoped(
    client: GraphQLClient, upstream: FakeOpenAI, clock: FakeClock
) -> None:
    setup = await make_proxy(client, upstream.base_url)
    second = (await make_key(client, setup.owner, setup.proxy))["secret"]
    await make_limit(
        client,
        setup.owner,
        setup.org,
        0.1,
        entityType="VIRTUAL_KEY",
        entityId=setup.key_id,
        interval="CALENDAR_DAY",
    )
    await make_limit(
        client, setup.owner, setup.org, 0.0, models=["gpt-4.1"], interval="CALENDAR_MONTH"
    )
    assert (await _call(client, upstream, setup.proxy, setup.key)).status_code == 200
    assert (await _call(client, upstream, setup.proxy, setup.key)).status_code == 429
    assert (await _call(client, upstream, setup.proxy, second)).status_code == 200  # other key
    blocked = await chat(client.http, setup.proxy, second, model="gpt-4.1")
    assert blocked.status_code == 429  # the model-only limit of zero
    clock.advance(hours=14)  # past midnight: the key's calendar day resets
    assert (await _call(client, upstream, setup.proxy, setup.key)).status_code == 200


async def test_new_limit_counts_the_window_so_far(
    client: GraphQLClient, upstream: FakeOpenAI, clock: FakeClock
) -> None:
    setup = await make_proxy(client, upstream.base_url)
    assert (await _call(client, upstream, setup.proxy, setup.key)).status_code == 200
    limit = await make_limit(client, setup.owner, setup.org, 0.15, interval="CALENDAR_DAY")
    assert limit["used"] == pytest.approx(CALL_COST)
    assert (await _call(client, upstream, setup.proxy, setup.key)).status_code == 429


async def test_only_admins_define_limits(client: GraphQLClient, upstream: FakeOpenAI) -> None:
    setup = await make_proxy(client, upstream.base_url)
    response = await client.execute(
        "mutation($i: CreateUsageLimitInput!) { createUsageLimit(input: $i) "
        "{ usageLimit { id } userErrors { code field } } }",
        {
            "i": {
                "organizationId": setup.org,
                "name": "x",
                "limitValue": 1,
                "entityType": "AGENT",
                "entityId": "agt_missing",
            }
        },
        token=setup.owner.token,
    )
    errors = response.data["createUsageLimit"]["userErrors"]
    assert errors[0]["code"] == "NOT_FOUND" and errors[0]["field"] == ["entityId"]
