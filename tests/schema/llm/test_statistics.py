"""Statistics by team, agent and model, and the overview, checked against the calls made."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from atrium.engines.llm import cost_of
from atrium.resolvers.llm import statistics as service
from tests.helpers import GraphQLClient, make_team
from tests.schema.llm.factories import FakeClock, chat, fresh_clock, make_proxy, recorded_calls
from tests.support.openai_server import FakeOpenAI, openai_server

GROUP = "key name requests inputTokens outputTokens cost timeSeries { timestamp requests cost }"
STATISTICS = f"""
query($org: ID, $by: UsageGroupBy!, $timeframe: String) {{
  usageStatistics(organizationId: $org, groupBy: $by, timeframe: $timeframe) {{
    from to bucketSeconds groupCount groups {{ {GROUP} }}
  }}
}}
"""
OVERVIEW = f"""
query($org: ID, $timeframe: String) {{
  usageOverview(organizationId: $org, timeframe: $timeframe) {{
    requests inputTokens outputTokens cost timeSeries {{ requests cost }}
    topTeam {{ {GROUP} }} topAgent {{ {GROUP} }} topModel {{ {GROUP} }}
  }}
}}
"""


@pytest.fixture(scope="module")
async def upstream() -> AsyncIterator[FakeOpenAI]:
    async with openai_server() as fake:
        yield fake


@pytest.fixture
def clock(app: Any) -> Iterator[FakeClock]:
    fake, restore = fresh_clock(app, datetime(2031, 1, 6, 9, 0, 30, tzinfo=UTC))
    try:
        yield fake
    finally:
        restore()


async def test_statistics_and_overview_match_the_calls(
    client: GraphQLClient, upstream: FakeOpenAI, clock: FakeClock
) -> None:
    a = await make_proxy(client, upstream.base_url)
    team = await make_team(client, a.org, a.owner, "Research")
    teamed = await make_proxy(
        client, upstream.base_url, owner=a.owner, org=a.org, team_ids=[team["id"]]
    )
    calls = [(teamed, "gpt-4o-mini", 1000, 500), (teamed, "gpt-4o-mini", 1000, 500)]
    calls += [(a, "gpt-4o", 2000, 1000)]
    for setup, model, prompt, completion in calls:
        upstream.reply(["ok"], usage=(prompt, completion))
        assert (await chat(client.http, setup.proxy, setup.key, model=model)).status_code == 200
        clock.advance(minutes=3)
    mini, big = cost_of("gpt-4o-mini", 1000, 500).total, cost_of("gpt-4o", 2000, 1000).total
    token = a.owner.token
    await recorded_calls(client, a, 1)
    await recorded_calls(client, teamed, 2)

    async def stats(by: str) -> dict[str, Any]:
        response = await client.execute(
            STATISTICS, {"org": a.org, "by": by, "timeframe": "1h"}, token=token
        )
        return response.data["usageStatistics"]

    models = await stats("MODEL")
    assert models["bucketSeconds"] == 60 and models["groupCount"] == 2
    assert [(g["key"], g["requests"]) for g in models["groups"]] == [
        ("gpt-4o", 1),
        ("gpt-4o-mini", 2),
    ]  # largest cost first
    assert models["groups"][1]["cost"] == pytest.approx(2 * mini)
    assert models["groups"][1]["inputTokens"] == 2000
    series = models["groups"][1]["timeSeries"]
    assert len(series) in (60, 61)  # every bucket, empty ones too
    assert sum(p["requests"] for p in series) == 2
    assert [p["requests"] for p in series if p["requests"]] == [1, 1]  # three minutes apart

    agents = await stats("AGENT")
    by_agent = {g["key"]: g for g in agents["groups"]}
    assert by_agent[teamed.proxy]["cost"] == pytest.approx(2 * mini)
    assert by_agent[a.proxy]["cost"] == pytest.approx(big)
    assert by_agent[a.proxy]["name"].startswith("proxy-")

    teams = await stats("TEAM")
    by_team = {g["key"]: g for g in teams["groups"]}
    assert by_team[team["id"]]["name"] == "Research"
    assert by_team[team["id"]]["requests"] == 2 and by_team[None]["requests"] == 1

    overview = (
        await client.execute(OVERVIEW, {"org": a.org, "timeframe": "1h"}, token=token)
    ).data["usageOverview"]
    assert overview["requests"] == 3
    assert overview["inputTokens"] == 4000 and overview["outputTokens"] == 2000
    assert overview["cost"] == pytest.approx(2 * mini + big)
    assert sum(p["cost"] for p in overview["timeSeries"]) == pytest.approx(2 * mini + big)
    assert overview["topTeam"]["key"] == team["id"]
    assert overview["topAgent"]["key"] == a.proxy
    assert overview["topModel"]["key"] == "gpt-4o"

    clock.advance(minutes=60)  # the calls fall out of a 5-minute window
    empty = await client.execute(
        STATISTICS, {"org": a.org, "by": "MODEL", "timeframe": "5m"}, token=token
    )
    assert empty.data["usageStatistics"]["groups"] == []


async def test_statistics_refuse_bad_timeframes_and_strangers(
    client: GraphQLClient, upstream: FakeOpenAI
) -> None:
    a = await make_proxy(client, upstream.base_url)
    b = await make_proxy(client, upstream.base_url)
    bad = await client.execute(
        STATISTICS, {"org": a.org, "by": "MODEL", "timeframe": "3y"}, token=a.owner.token
    )
    assert bad.codes == ["BAD_USER_INPUT"]
    hidden = await client.execute(STATISTICS, {"org": a.org, "by": "MODEL"}, token=b.owner.token)
    assert hidden.codes == ["NOT_FOUND"]


async def test_overview_walks_the_calls_once(
    client: GraphQLClient, upstream: FakeOpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    setup = await make_proxy(client, upstream.base_url)
    for usage in ((1000, 500), (2000, 0)):
        upstream.reply(["ok"], usage=usage)
        assert (await chat(client.http, setup.proxy, setup.key)).status_code == 200
    await recorded_calls(client, setup, 2)
    passes: list[int] = []
    one_pass = service.group_usage_by

    def counted(rows: Any, frame: Any, keys: int) -> Any:
        passes.append(keys)
        return one_pass(rows, frame, keys)

    def refused(*_: Any) -> Any:
        raise AssertionError("grouped the same rows again")

    monkeypatch.setattr(service, "group_usage_by", counted)
    monkeypatch.setattr(service, "group_usage", refused)
    overview = (
        await client.execute(
            OVERVIEW, {"org": setup.org, "timeframe": "1h"}, token=setup.owner.token
        )
    ).data["usageOverview"]
    assert passes == [3]  # team, agent and model (and the total) in one pass
    assert overview["requests"] == 2 and overview["inputTokens"] == 3000
    assert overview["topAgent"]["key"] == setup.proxy and overview["topTeam"] is None
