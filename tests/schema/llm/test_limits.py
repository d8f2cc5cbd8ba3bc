"""Usage limits: checked before forwarding, tripping at the right call with a 429 naming
the limit, resetting on schedule (fake clock), 80% / 100% events, usage in the graph."""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from strawberry.dataloader import DataLoader

from atrium.engines.llm import window_at
from atrium.models.llm import UsageLimit
from atrium.resolvers.llm import counters
from atrium.resolvers.llm.limits import cached
from tests.helpers import GraphQLClient, add_member
from tests.schema.llm.factories import (
    GET_LIMIT,
    FakeClock,
    chat,
    eventually,
    fresh_clock,
    make_key,
    make_limit,
    make_proxy,
    org_events,
    runtime_of,
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


class FakeSeconds:
    """A monotonic clock for the proxy's usage ledger."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


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

    events = await eventually(lambda: org_events(app, setup.org), lambda found: len(found) >= 2)
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


async def test_a_limit_on_an_unknown_entity_is_not_found(
    client: GraphQLClient, upstream: FakeOpenAI
) -> None:
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


async def test_only_admins_define_limits(client: GraphQLClient, upstream: FakeOpenAI) -> None:
    setup = await make_proxy(client, upstream.base_url)
    limit = await make_limit(client, setup.owner, setup.org, 1.0)
    member = await add_member(client, setup.org, setup.owner, "MEMBER")
    admin = await add_member(client, setup.org, setup.owner, "ADMIN", name="Admin")
    attempts = {
        "createUsageLimit": (
            'mutation($o: ID!) { createUsageLimit(input: {organizationId: $o, name: "m", '
            "limitValue: 1}) { usageLimit { id } userErrors { code } } }",
            {"o": setup.org},
        ),
        "updateUsageLimit": (
            "mutation($id: ID!) { updateUsageLimit(input: {id: $id, limitValue: 100}) "
            "{ usageLimit { id } userErrors { code } } }",
            {"id": limit["id"]},
        ),
        "deleteUsageLimit": (
            "mutation($id: ID!) { deleteUsageLimit(input: {id: $id}) "
            "{ deletedId userErrors { code } } }",
            {"id": limit["id"]},
        ),
    }
    for field, (mutation, variables) in attempts.items():
        refused = (await client.execute(mutation, variables, token=member.token)).data[field]
        assert [e["code"] for e in refused["userErrors"]] == ["FORBIDDEN"], field
    state = (await client.execute(GET_LIMIT, {"id": limit["id"]}, token=member.token)).data
    assert state["usageLimit"]["limitValue"] == 1.0  # members see limits, unchanged
    listed = await client.execute(
        "query($o: ID) { usageLimits(organizationId: $o) { totalCount } }",
        {"o": setup.org},
        token=member.token,
    )
    assert listed.data["usageLimits"]["totalCount"] == 1  # and nothing was created
    mutation, variables = attempts["createUsageLimit"]
    created = (await client.execute(mutation, variables, token=admin.token)).data
    assert created["createUsageLimit"]["userErrors"] == []


async def test_limit_changes_apply_to_the_next_call(
    client: GraphQLClient, upstream: FakeOpenAI, clock: FakeClock
) -> None:
    setup = await make_proxy(client, upstream.base_url)
    limit = await make_limit(client, setup.owner, setup.org, 0.3, interval="CALENDAR_DAY")
    assert (await _call(client, upstream, setup.proxy, setup.key)).status_code == 200

    async def update(**fields: Any) -> None:
        await client.mutate(
            "updateUsageLimit",
            "mutation($i: UpdateUsageLimitInput!) { updateUsageLimit(input: $i) "
            "{ usageLimit { id } userErrors { field message code } } }",
            {"i": {"id": limit["id"], **fields}},
            token=setup.owner.token,
        )

    await update(limitValue=0.1)  # lowered below what is used: the next call is refused
    assert (await _call(client, upstream, setup.proxy, setup.key)).status_code == 429
    await update(limitValue=1.0)
    assert (await _call(client, upstream, setup.proxy, setup.key)).status_code == 200
    await update(interval="ONE_HOUR")  # a new window, counting the calls so far (two)
    state = (await client.execute(GET_LIMIT, {"id": limit["id"]}, token=setup.owner.token)).data
    assert state["usageLimit"]["used"] == pytest.approx(2 * CALL_COST)
    await update(limitValue=0.3)
    assert (await _call(client, upstream, setup.proxy, setup.key)).status_code == 429
    await client.mutate(
        "deleteUsageLimit",
        "mutation($id: ID!) { deleteUsageLimit(input: {id: $id}) "
        "{ deletedId userErrors { field message code } } }",
        {"id": limit["id"]},
        token=setup.owner.token,
    )
    assert (await _call(client, upstream, setup.proxy, setup.key)).status_code == 200


async def test_usage_of_other_processes_counts_within_a_second(
    client: GraphQLClient, upstream: FakeOpenAI, clock: FakeClock, app: Any
) -> None:
    """The proxy counts its own calls at once and re-reads counters (which other server
    processes bump too) once a second, not before every call."""
    setup = await make_proxy(client, upstream.base_url)
    limit = await make_limit(client, setup.owner, setup.org, 0.5, interval="CALENDAR_DAY")
    ledger = runtime_of(app).ledger
    seconds = FakeSeconds()
    previous, ledger.now = ledger.now, seconds
    try:
        assert (await _call(client, upstream, setup.proxy, setup.key)).status_code == 200
        async with app.state.atrium.db.sessionmaker() as session:  # another process spends
            row = await session.get(UsageLimit, limit["id"])
            assert row is not None
            item = cached(row)
            window = window_at(item.interval, clock(), item.anchor_at)
            await counters.add_usage(session, item, window, 0.4, clock())
            await session.commit()
        assert (await _call(client, upstream, setup.proxy, setup.key)).status_code == 200
        seconds.now += 1.1  # this process reads the counter again
        refused = await _call(client, upstream, setup.proxy, setup.key)
        assert refused.status_code == 429
        used = float(refused.json()["error"]["limit"]["used"])
        assert used == pytest.approx(2 * CALL_COST + 0.4)
    finally:
        ledger.now = previous


async def test_usage_fields_load_each_limit_once(
    client: GraphQLClient, upstream: FakeOpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    setup = await make_proxy(client, upstream.base_url)
    ids = [(await make_limit(client, setup.owner, setup.org, v))["id"] for v in (1.0, 2.0, 3.0)]
    loads: Counter[str] = Counter()
    load = DataLoader.load

    def counting(self: DataLoader[Any, Any], key: Any) -> Any:
        loads[key] += 1
        return load(self, key)

    monkeypatch.setattr(DataLoader, "load", counting)
    usage = "used remaining percentUsed exhausted windowStart nextResetAt"
    listed = await client.execute(
        f"query($o: ID) {{ usageLimits(organizationId: $o) {{ nodes {{ id {usage} }} }} }}",
        {"o": setup.org},
        token=setup.owner.token,
    )
    assert len(listed.data["usageLimits"]["nodes"]) == 3
    assert {key: loads[key] for key in ids} == dict.fromkeys(ids, 1)  # one batch, once each
    loads.clear()
    one = await client.execute(
        f"query($id: ID!) {{ usageLimit(id: $id) {{ id {usage} }} }}",
        {"id": ids[0]},
        token=setup.owner.token,
    )
    assert one.data["usageLimit"]["remaining"] == 1.0
    assert loads[ids[0]] == 2  # the row, then its usage once for all six fields
