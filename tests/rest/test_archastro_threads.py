"""ArchAstro's (seed 001) agent, thread and message routes for users and teams."""

from __future__ import annotations

from tests.helpers import GraphQLClient, make_org, make_team, make_user

BASE = "/rest/archastro/api/v2"


async def test_user_threads_and_messages_with_before_cursor(client: GraphQLClient) -> None:
    owner = await make_user(client)
    await make_org(client, owner)
    http, auth = client.http, {"Authorization": f"Bearer {owner.token}"}
    created = await http.post(f"{BASE}/users/{owner.id}/threads", headers=auth, json={"title": "T"})
    assert created.status_code == 201, created.text
    thread = created.json()
    ids = []
    for i in range(5):
        posted = await http.post(
            f"{BASE}/users/{owner.id}/threads/{thread['id']}/messages",
            headers=auth,
            json={"content": f"m{i}", "idempotency_key": f"k{i}"},
        )
        assert posted.status_code == 201, posted.text
        ids.append(posted.json()["id"])
    # the seed's cursor paging: limit and before_cursor=<message id>
    page = await http.get(
        f"{BASE}/users/{owner.id}/threads/{thread['id']}/messages?limit=2&before_cursor={ids[3]}",
        headers=auth,
    )
    assert page.status_code == 200, page.text
    assert [m["content"] for m in page.json()["data"]] == ["m1", "m2"]
    assert page.json()["has_more"] is True
    # another user's path to the same thread is not found
    stranger = await make_user(client)
    wrong = await http.get(f"{BASE}/users/{stranger.id}/threads/{thread['id']}", headers=auth)
    assert wrong.status_code == 404 and wrong.json()["error"]["code"] == "not_found"
    listed = await http.get(f"{BASE}/users/{owner.id}/threads", headers=auth)
    assert listed.json()["total_count"] == 1


async def test_team_threads_and_agents(client: GraphQLClient) -> None:
    owner = await make_user(client)
    org = await make_org(client, owner)
    team = await make_team(client, org["id"], owner)
    http, auth = client.http, {"Authorization": f"Bearer {owner.token}"}
    agent = await http.post(
        f"{BASE}/agents",
        headers=auth,
        json={"name": "Helper", "system_prompt": "Help.", "labels": [{"key": "k", "value": "v"}]},
    )
    assert agent.status_code == 201, agent.text
    assert agent.json()["type"] == "agent" and agent.json()["scope"] == "org"
    thread = await http.post(
        f"{BASE}/teams/{team['id']}/threads",
        headers=auth,
        json={"title": "Team", "agent_id": agent.json()["id"]},
    )
    assert thread.status_code == 201, thread.text
    assert thread.json()["owner_team"] == {"id": team["id"]}
    got = await http.get(f"{BASE}/teams/{team['id']}/threads/{thread.json()['id']}", headers=auth)
    assert got.json()["agent"]["name"] == "Helper"
    listed = await http.get(f"{BASE}/agents?name=help", headers=auth)
    assert [a["name"] for a in listed.json()["data"]] == ["Helper"]
    bad = await http.post(f"{BASE}/agents", headers=auth, json={"name": ""})
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "validation_failed"


async def test_team_tasks_objects_and_feedback_routes(client: GraphQLClient) -> None:
    owner = await make_user(client)
    org = await make_org(client, owner)
    team = await make_team(client, org["id"], owner)
    http, auth = client.http, {"Authorization": f"Bearer {owner.token}"}
    for i in range(3):
        created = await http.post(
            f"{BASE}/teams/{team['id']}/tasks",
            headers=auth,
            json={"title": f"t{i}", "due_date": "2030-01-0" + str(i + 1)},
        )
        assert created.status_code == 201, created.text
    page = await http.get(f"{BASE}/teams/{team['id']}/tasks?limit=2&offset=0", headers=auth)
    assert page.json()["total_count"] == 3 and len(page.json()["data"]) == 2
    assert page.json()["data"][0]["status"] == "todo"
    obj = await http.post(
        f"{BASE}/teams/{team['id']}/objects",
        headers=auth,
        json={"type": "customer", "data": {"name": "Acme"}},
    )
    assert obj.status_code == 201, obj.text
    objects = await http.get(f"{BASE}/teams/{team['id']}/objects?type=customer", headers=auth)
    assert objects.json()["data"][0]["data"] == {"name": "Acme"}
    thread = await http.post(f"{BASE}/users/{owner.id}/threads", headers=auth, json={})
    message = await http.post(
        f"{BASE}/users/{owner.id}/threads/{thread.json()['id']}/messages",
        headers=auth,
        json={"content": "hi"},
    )
    feedback = await http.post(
        f"{BASE}/feedback",
        headers=auth,
        json={"message_id": message.json()["id"], "rating": 4, "comment": "ok"},
    )
    assert feedback.status_code == 201 and feedback.json()["rating"] == 4


async def test_search_route(client: GraphQLClient) -> None:
    owner = await make_user(client)
    await make_org(client, owner)
    http, auth = client.http, {"Authorization": f"Bearer {owner.token}"}
    thread = await http.post(
        f"{BASE}/users/{owner.id}/threads", headers=auth, json={"title": "Kubernetes upgrade"}
    )
    await http.post(
        f"{BASE}/users/{owner.id}/threads/{thread.json()['id']}/messages",
        headers=auth,
        json={"content": "We should upgrade the kubernetes cluster"},
    )
    found = await http.post(f"{BASE}/search?limit=10", headers=auth, json={"query": "kubernetes"})
    assert found.status_code == 200, found.text
    body = found.json()
    assert body["total_count"] == 2
    ids = {item["node"]["id"] for item in body["data"]}
    assert thread.json()["id"] in ids
    empty = await http.post(f"{BASE}/search", headers=auth, json={"query": "  "})
    assert empty.status_code == 400
