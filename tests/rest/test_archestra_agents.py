"""Archestra's (seed 002) `/api/agents` with its filters, in camelCase with `data`/`total`."""

from __future__ import annotations

from tests.helpers import GraphQLClient, make_api_key, make_org, make_user

BASE = "/rest/archestra/api"


async def test_list_agents_filtered_by_type_as_the_seed_does(client: GraphQLClient) -> None:
    owner = await make_user(client)
    org = await make_org(client, owner)
    _, secret = await make_api_key(client, org["id"], owner, "WRITE")
    http, auth = client.http, {"Authorization": f"Bearer {secret}"}
    for name, kind in (("Proxy", "llm_proxy"), ("Gateway", "mcp_gateway"), ("Bot", "agent")):
        created = await http.post(
            f"{BASE}/agents", headers=auth, json={"name": name, "agentType": kind}
        )
        assert created.status_code == 201, created.text
        assert created.json()["agentType"] == kind
    # the seed's example narrows by agentType
    agents = await http.get(f"{BASE}/agents?agentType=agent", headers=auth)
    assert agents.status_code == 200, agents.text
    body = agents.json()
    assert sorted(a["name"] for a in body["data"]) == ["Assistant", "Bot"]
    assert body["total"] == 2
    proxies = await http.get(f"{BASE}/agents?agentType=llm_proxy&name=pro", headers=auth)
    assert [a["name"] for a in proxies.json()["data"]] == ["Proxy"]
    built_in = await http.get(f"{BASE}/agents?scope=built_in", headers=auth)
    assert [a["isDefaultAssistant"] for a in built_in.json()["data"]] == [True]
