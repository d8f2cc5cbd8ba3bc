"""Archestra's (seed 002) personal API keys and service accounts, camelCase, implicit org."""

from __future__ import annotations

import httpx
import pytest

from tests.helpers import (
    GraphQLClient,
    add_member,
    make_api_key,
    make_org,
    make_service_account,
    make_user,
)

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
    # then it gets one flat record with Archestra's names and the key, shown once
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["key"].startswith("sk_live_") and body["key"].startswith(body["start"])
    assert body["expiresAt"] and body["lastRequest"] is None and body["name"] == "ci"
    assert "apiKey" not in body and "userErrors" not in body
    listed = await http.get(f"{BASE}/api-keys", headers=auth)
    assert listed.json()["total"] == 2 and {k["name"] for k in listed.json()["data"]} >= {"ci"}
    assert all("key" not in k for k in listed.json()["data"])
    # and the key authenticates a GraphQL request, with the scope it was given
    me = await client.execute("{ viewer { scope user { id } } }", token=body["key"])
    assert me.data["viewer"] == {"scope": "READ", "user": {"id": owner.id}}
    # when it deletes the key, then the key stops working at once
    revoked = await http.delete(f"{BASE}/api-keys/{body['id']}", headers=auth)
    assert revoked.status_code == 200 and revoked.json()["revokedAt"]
    assert (await client.execute("{ viewer { scope } }", token=body["key"])).status == 401


async def test_ambiguous_organization_is_an_error(
    client: GraphQLClient, http: httpx.AsyncClient
) -> None:
    # given a user in two organizations, signed in with an access token
    owner = await make_user(client)
    await make_org(client, owner)
    await make_org(client, owner)
    # when a script creates a key without naming the organization
    response = await http.post(
        f"{BASE}/api-keys", json={"name": "x"}, headers={"Authorization": f"Bearer {owner.token}"}
    )
    # then it is told which field is missing
    assert response.status_code == 400
    assert response.json()["error"]["details"]["field"] == ["organizationId"]


async def test_service_accounts_and_their_keys(
    client: GraphQLClient, http: httpx.AsyncClient
) -> None:
    # given an owner's ADMIN key, sent as x-api-key
    owner = await make_user(client)
    org = await make_org(client, owner)
    _, admin_key = await make_api_key(client, org["id"], owner, scope="ADMIN")
    auth = {"x-api-key": admin_key}
    # when a CI setup creates a service account and a key for it
    account = await http.post(
        f"{BASE}/service-accounts", headers=auth, json={"name": "deployer", "role": "MEMBER"}
    )
    assert account.status_code == 201 and account.json()["role"] == "member"
    key = await http.post(
        f"{BASE}/service-accounts/{account.json()['id']}/api-keys",
        headers=auth,
        json={"name": "deploy key", "scope": "WRITE"},
    )
    assert key.status_code == 201 and key.json()["scope"] == "write"
    # then the account is listed as Archestra lists, and its key acts as the account
    listed = await http.get(f"{BASE}/service-accounts", headers=auth)
    assert listed.json()["total"] == 1 and listed.json()["data"][0]["name"] == "deployer"
    viewer = await client.execute(
        "{ viewer { scope serviceAccount { name } } }", token=key.json()["key"]
    )
    assert viewer.data["viewer"] == {"scope": "WRITE", "serviceAccount": {"name": "deployer"}}
    # when the account is deleted, then its keys stop working
    deleted = await http.delete(f"{BASE}/service-accounts/{account.json()['id']}", headers=auth)
    assert deleted.json()["deletedId"] == account.json()["id"]
    assert (await client.execute("{ viewer { scope } }", token=key.json()["key"])).status == 401
    assert (await http.get(f"{BASE}/service-accounts", headers=auth)).json()["total"] == 0


async def test_members_see_no_service_accounts_and_unknown_keys_are_not_found(
    client: GraphQLClient, http: httpx.AsyncClient
) -> None:
    # given a plain member of an organization with a service account
    owner = await make_user(client)
    org = await make_org(client, owner)
    await make_service_account(client, org["id"], owner)
    member = await add_member(client, org["id"], owner, "MEMBER")
    auth = {"Authorization": f"Bearer {member.token}"}
    # when the member lists service accounts and deletes an unknown key
    listed = await http.get(f"{BASE}/service-accounts", headers=auth)
    missing = await http.delete(f"{BASE}/api-keys/key_01JUNKJUNKJUNKJUNKJUNKJUNK", headers=auth)
    # then the list is empty and the key is a 404 in the envelope
    assert listed.json() == {"data": [], "total": 0, "limit": 20, "offset": 0, "has_more": False}
    assert missing.status_code == 404 and missing.json()["error"]["message"]
