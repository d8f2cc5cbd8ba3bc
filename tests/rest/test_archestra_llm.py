"""Archestra's (seed 002) LLM proxy, limits and statistics paths, in its camelCase shapes."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from atrium.engines.llm import cost_of
from tests.helpers import GraphQLClient, make_api_key
from tests.schema.llm.factories import chat, make_proxy, recorded_calls
from tests.support.openai_server import FakeOpenAI, openai_server

BASE = "/rest/archestra/api"


@pytest.fixture(scope="module")
async def upstream() -> AsyncIterator[FakeOpenAI]:
    async with openai_server() as fake:
        yield fake


async def test_proxies_keys_limits_and_statistics(
    client: GraphQLClient, upstream: FakeOpenAI
) -> None:
    setup = await make_proxy(client, upstream.base_url)
    _, secret = await make_api_key(client, setup.org, setup.owner, "WRITE")
    http, auth = client.http, {"Authorization": f"Bearer {secret}"}

    proxies = (await http.get(f"{BASE}/llm-proxy", headers=auth)).json()
    assert proxies["total"] == 1 and proxies["data"][0]["agentType"] == "llm_proxy"
    default = await http.get(f"{BASE}/llm-proxy/default", headers=auth)
    assert default.status_code == 200 and default.json()["id"] == setup.proxy
    assert default.json()["hasProviderApiKey"] is True
    assert (await http.get(f"{BASE}/llm-proxy/{setup.proxy}", headers=auth)).json()["id"] == (
        setup.proxy
    )

    created = await http.post(
        f"{BASE}/llm-proxy/{setup.proxy}/virtual-keys", headers=auth, json={"name": "ci"}
    )
    assert created.status_code == 201, created.text
    key = created.json()
    assert key["key"].startswith("vk_live_") and key["start"] == key["key"][:16]
    keys = (await http.get(f"{BASE}/llm-proxy/{setup.proxy}/virtual-keys", headers=auth)).json()
    assert keys["total"] == 2 and keys["data"][0]["id"] == key["id"]  # newest first

    limit = await http.post(
        f"{BASE}/limits",
        headers=auth,
        json={
            "name": "Monthly",
            "limitValue": 0.0001,
            "entityType": "virtual_key",
            "entityId": key["id"],
            "limitType": "token_cost",
            "interval": "calendar_month",
            "models": ["gpt-4o-mini"],
        },
    )
    assert limit.status_code == 201, limit.text
    body = limit.json()
    assert (body["entityType"], body["limitType"], body["interval"]) == (
        "virtual_key",
        "token_cost",
        "calendar_month",
    )
    assert body["currentUsage"] == 0 and body["remaining"] == 0.0001

    upstream.reply(["ok"], usage=(1000, 500))
    assert (await chat(http, setup.proxy, key["key"])).status_code == 200
    refused = await chat(http, setup.proxy, key["key"])
    assert refused.status_code == 429 and "Monthly" in refused.json()["error"]["message"]
    got = (await http.get(f"{BASE}/limits/{body['id']}", headers=auth)).json()
    assert got["exhausted"] is True and got["currentUsage"] == pytest.approx(
        cost_of("gpt-4o-mini", 1000, 500).total
    )
    listed = (await http.get(f"{BASE}/limits?entityType=virtual_key", headers=auth)).json()
    assert listed["total"] == 1
    raised = await http.put(f"{BASE}/limits/{body['id']}", headers=auth, json={"limitValue": 1})
    assert raised.status_code == 200 and raised.json()["exhausted"] is False

    await recorded_calls(client, setup, 1)  # written a few milliseconds after the answer
    models = await http.get(f"{BASE}/statistics/models?timeframe=24h", headers=auth)
    assert models.status_code == 200, models.text
    stats = models.json()
    assert stats["total"] == 1 and stats["data"][0]["id"] == "gpt-4o-mini"
    assert stats["data"][0]["requests"] == 1 and stats["data"][0]["inputTokens"] == 1000
    assert stats["data"][0]["timeSeries"] and "timestamp" in stats["data"][0]["timeSeries"][0]
    agents = (await http.get(f"{BASE}/statistics/agents", headers=auth)).json()
    assert agents["data"][0]["id"] == setup.proxy
    teams = (await http.get(f"{BASE}/statistics/teams?timeframe=7d", headers=auth)).json()
    assert teams["total"] == 1 and teams["data"][0]["id"] is None
    overview = (await http.get(f"{BASE}/statistics/overview", headers=auth)).json()
    assert overview["totalRequests"] == 1 and overview["topModel"]["id"] == "gpt-4o-mini"
    bad = await http.get(f"{BASE}/statistics/overview?timeframe=2y", headers=auth)
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "invalid_request"

    revoked = await http.delete(f"{BASE}/llm-proxy/virtual-keys/{key['id']}", headers=auth)
    assert revoked.status_code == 200 and revoked.json()["revokedAt"]
    assert (await chat(http, setup.proxy, key["key"])).status_code == 401
    deleted = await http.delete(f"{BASE}/limits/{body['id']}", headers=auth)
    assert deleted.json() == {"id": body["id"]}
    assert (await http.get(f"{BASE}/limits/{body['id']}", headers=auth)).status_code == 404
