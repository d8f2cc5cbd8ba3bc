"""Archestra's (seed 002) personal API keys and service accounts, camelCase, implicit org."""

from __future__ import annotations

import httpx
import pytest

from tests.helpers import GraphQLClient, make_api_key, make_org, make_user

BASE = "/rest/archestra/api"


@pytest.fixture
def http(client: GraphQLClient) -> httpx.AsyncClient:
    return client.http


async def test_personal_keys_with_an_implicit_organization(
    client: GraphQLClient, http: httpx.AsyncClient
) -> None:
    # given an owner using an ADMIN key of their organization (Archestra's usual setup)
    owner = await make_user(client)
    org = await make_org(client, owner)
    _, admin_key = await make_api_key(client, org["id"], owner, scope="ADMIN")
    auth = {"Authorization": f"Bearer {admin_key}"}
    # when a script creates a key without naming the organization
    created = await http.post(
        f"{BASE}/api-keys",
        headers=auth,
        json={"name": "ci", "scope": "read", "expiresIn": "DAYS_30"},
    )
    # then it gets the key once, in camelCase, and the key works
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["key"].startswith("sk_live_") and body["apiKey"]["expiresAt"]
    listed = await http.get(f"{BASE}/api-keys", headers=auth)
    assert listed.json()["total"] == 2 and {k["name"] for k in listed.json()["data"]} >= {"ci"}
    me = await client.execute("{ viewer { scope } }", token=body["key"])
    assert me.data["viewer"]["scope"] == "READ"
    revoked = await http.delete(f"{BASE}/api-keys/{body['apiKey']['id']}", headers=auth)
    assert revoked.status_code == 200 and revoked.json()["revokedAt"]
    assert (await client.execute("{ viewer { scope } }", token=body["key"])).status == 401


async def test_ambiguous_organization_is_an_error(
    client: GraphQLClient, http: httpx.AsyncClient
) -> None:
    owner = await make_user(client)
    await make_org(client, owner)
    await make_org(client, owner)
    response = await http.post(
        f"{BASE}/api-keys", json={"name": "x"}, headers={"Authorization": f"Bearer {owner.token}"}
    )
    assert response.status_code == 400
    assert response.json()["error"]["details"]["field"] == ["organizationId"]


async def test_service_accounts_and_their_keys(
    client: GraphQLClient, http: httpx.AsyncClient
) -> None:
    owner = await make_user(client)
    org = await make_org(client, owner)
    _, admin_key = await make_api_key(client, org["id"], owner, scope="ADMIN")
    auth = {"x-api-key": admin_key}
    account = await http.post(
        f"{BASE}/service-accounts", headers=auth, json={"name": "deployer", "role": "MEMBER"}
    )
    assert account.status_code == 201 and account.json()["role"] == "MEMBER"
    key = await http.post(
        f"{BASE}/service-accounts/{account.json()['id']}/api-keys",
        headers=auth,
        json={"name": "deploy key", "scope": "WRITE"},
    )
    assert key.status_code == 201
    viewer = await client.execute(
        "{ viewer { scope serviceAccount { name } } }", token=key.json()["key"]
    )
    assert viewer.data["viewer"] == {"scope": "WRITE", "serviceAccount": {"name": "deployer"}}
    deleted = await http.delete(f"{BASE}/service-accounts/{account.json()['id']}", headers=auth)
    assert deleted.json()["deletedId"] == account.json()["id"]
    assert (await client.execute("{ viewer { scope } }", token=key.json()["key"])).status == 401
