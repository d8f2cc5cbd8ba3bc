"""Calls are written by the recorder a few milliseconds after their answers: until then
they are counted in memory (limits trip at the right call), a stop writes them first,
and a call the database refuses as it is is still kept as far as it can be."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import select

from atrium.models.llm import UsageLimitCounter
from atrium.resolvers.llm.recorder import UsageRecorder, recorder_of
from tests.helpers import GraphQLClient
from tests.schema.llm.factories import (
    GET_LIMIT,
    ProxySetup,
    chat,
    eventually,
    make_limit,
    make_proxy,
    org_events,
    runtime_of,
)
from tests.support.openai_server import FakeOpenAI, openai_server

CALL_COST = 0.15  # gpt-4o-mini: 1M input tokens at $0.15 per million
CALLS = """
query($org: ID) {
  llmRequests(organizationId: $org, first: 20) { totalCount nodes { model proxy { id } } }
}
"""


@pytest.fixture(scope="module")
async def upstream() -> AsyncIterator[FakeOpenAI]:
    async with openai_server() as fake:
        yield fake


@pytest.fixture
async def held(app: Any) -> AsyncIterator[UsageRecorder]:
    """The process's recorder, told to wait an hour before writing (unless flushed)."""
    recorder = recorder_of(runtime_of(app))
    await recorder.flush()
    delay, recorder.delay = recorder.delay, 3600.0
    try:
        yield recorder
    finally:
        recorder.delay = delay
        await recorder.flush()


async def _call(client: GraphQLClient, upstream: FakeOpenAI, setup: ProxySetup) -> int:
    upstream.reply(["ok"], usage=(1_000_000, 0))
    return (await chat(client.http, setup.proxy, setup.key)).status_code


async def _written(client: GraphQLClient, setup: ProxySetup) -> dict[str, Any]:
    response = await client.execute(CALLS, {"org": setup.org}, token=setup.owner.token)
    return dict(response.data["llmRequests"])


async def _counter(app: Any, limit_id: str) -> float:
    async with app.state.atrium.db.sessionmaker() as session:
        return float(
            await session.scalar(
                select(UsageLimitCounter.used).where(UsageLimitCounter.limit_id == limit_id)
            )
            or 0.0
        )


async def test_a_stop_writes_the_calls_still_in_memory(
    client: GraphQLClient, upstream: FakeOpenAI, held: UsageRecorder, app: Any
) -> None:
    setup = await make_proxy(client, upstream.base_url)
    assert [await _call(client, upstream, setup) for _ in range(3)] == [200, 200, 200]
    assert held.pending == 3 and (await _written(client, setup))["totalCount"] == 0
    await runtime_of(app).close()  # a graceful stop
    assert held.pending == 0 and (await _written(client, setup))["totalCount"] == 3

    assert [await _call(client, upstream, setup) for _ in range(2)] == [200, 200]
    assert held.pending == 2
    task = held.task
    assert task is not None
    task.cancel()  # what the event loop does to the task when the server stops
    with contextlib.suppress(asyncio.CancelledError):
        await task
    assert held.pending == 0 and (await _written(client, setup))["totalCount"] == 5


async def test_a_limit_trips_at_the_right_call_before_anything_is_written(
    client: GraphQLClient, upstream: FakeOpenAI, held: UsageRecorder, app: Any
) -> None:
    setup = await make_proxy(client, upstream.base_url)
    limit = await make_limit(client, setup.owner, setup.org, 0.5, interval="ONE_HOUR")
    statuses = [await _call(client, upstream, setup) for _ in range(5)]
    assert statuses == [200, 200, 200, 200, 429]
    assert held.pending == 4 and await _counter(app, limit["id"]) == 0.0
    state = (await client.execute(GET_LIMIT, {"id": limit["id"]}, token=setup.owner.token)).data
    assert state["usageLimit"]["used"] == pytest.approx(4 * CALL_COST)  # as the proxy counts
    assert state["usageLimit"]["exhausted"] is True

    await held.flush()
    assert await _counter(app, limit["id"]) == pytest.approx(4 * CALL_COST)
    events = await org_events(app, setup.org)
    assert [(e.type, e.payload["threshold"]) for e in events] == [
        ("usage_limit.warning", 80),
        ("usage_limit.exceeded", 100),
    ]
    assert events[0].payload["used"] == pytest.approx(3 * CALL_COST)  # the third call crossed
    assert events[0].actor_id == setup.owner.id


async def test_a_new_limit_counts_calls_not_written_yet_once(
    client: GraphQLClient, upstream: FakeOpenAI, held: UsageRecorder, app: Any
) -> None:
    setup = await make_proxy(client, upstream.base_url)
    assert await _call(client, upstream, setup) == 200
    limit = await make_limit(client, setup.owner, setup.org, 0.15, interval="CALENDAR_DAY")
    assert limit["used"] == pytest.approx(CALL_COST)
    assert await _call(client, upstream, setup) == 429
    await held.flush()
    assert await _counter(app, limit["id"]) == pytest.approx(CALL_COST)  # not twice


async def test_a_call_of_a_proxy_deleted_before_it_is_written_is_kept(
    client: GraphQLClient, upstream: FakeOpenAI, held: UsageRecorder
) -> None:
    gone = await make_proxy(client, upstream.base_url)
    kept = await make_proxy(client, upstream.base_url, owner=gone.owner, org=gone.org)
    assert await _call(client, upstream, gone) == 200
    assert await _call(client, upstream, kept) == 200
    deleted = await client.execute(
        "mutation($id: ID!) { deleteAgent(input: {id: $id}) { userErrors { code } } }",
        {"id": gone.proxy},
        token=gone.owner.token,
    )
    assert deleted.data["deleteAgent"]["userErrors"] == []
    await held.flush()  # the batch fails on the deleted proxy; each call is then kept
    written = await _written(client, gone)
    assert written["totalCount"] == 2
    assert sorted(str(n["proxy"] and n["proxy"]["id"]) for n in written["nodes"]) == sorted(
        ["None", kept.proxy]
    )


async def test_calls_are_written_soon_without_being_asked(
    client: GraphQLClient, upstream: FakeOpenAI
) -> None:
    setup = await make_proxy(client, upstream.base_url)
    assert await _call(client, upstream, setup) == 200
    found = await eventually(lambda: _written(client, setup), lambda w: len(w["nodes"]) == 1)
    assert found["nodes"][0]["model"] == "gpt-4o-mini"
