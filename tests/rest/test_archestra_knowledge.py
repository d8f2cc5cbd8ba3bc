"""Archestra's (seed 002) knowledge-base routes: create, upload, search, health, list."""

from __future__ import annotations

from tests.helpers import GraphQLClient, make_api_key, make_org, make_user

BASE = "/rest/archestra/api/knowledge-bases"


async def test_create_upload_search_health_and_list(client: GraphQLClient) -> None:
    owner = await make_user(client)
    org = (await make_org(client, owner))["id"]
    _, secret = await make_api_key(client, org, owner, "WRITE")
    http, auth = client.http, {"Authorization": f"Bearer {secret}"}
    created = await http.post(BASE, headers=auth, json={"name": "Runbooks"})
    assert created.status_code == 201, created.text
    kb = created.json()["id"]
    duplicate = await http.post(BASE, headers=auth, json={"name": "Runbooks"})
    assert duplicate.status_code == 409
    uploaded = await http.post(
        f"{BASE}/{kb}/files",
        headers=auth,
        json={"name": "oncall.md", "content": "# On call\n## Paging\nPage the SRE rotation."},
    )
    assert uploaded.status_code == 201, uploaded.text
    assert uploaded.json()["format"] == "markdown" and uploaded.json()["chunkCount"] == 1
    found = await http.get(f"{BASE}/{kb}/search", headers=auth, params={"query": "paging"})
    assert found.status_code == 200, found.text
    [hit] = found.json()["data"]
    assert hit["citation"] == "oncall — On call > Paging (oncall.md)"
    health = (await http.get(f"{BASE}/{kb}/health", headers=auth)).json()
    assert health["healthy"] is True and health["documents"] == 1
    listed = (await http.get(BASE, headers=auth, params={"name": "Run"})).json()
    assert listed["total"] == 1 and listed["data"][0]["id"] == kb
    files = (await http.get(f"{BASE}/{kb}/files", headers=auth)).json()
    assert [f["path"] for f in files["data"]] == ["oncall.md"]
    assert (await http.delete(f"{BASE}/{kb}", headers=auth)).status_code == 200
    assert (await http.get(f"{BASE}/{kb}", headers=auth)).status_code == 404
