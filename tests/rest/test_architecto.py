"""Architecto's (seed 000) auth and organization routes, as its curl examples call them."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.helpers import GraphQLClient, make_user, unique

BASE = "/rest/architecto/v1"
ACCEPT = "mutation A($t: String!) { acceptInvitation(input: {token: $t}) { userErrors { code } } }"


@pytest.fixture
def http(client: GraphQLClient) -> httpx.AsyncClient:
    return client.http


async def _login(http: httpx.AsyncClient, email: str, password: str) -> dict[str, Any]:
    response = await http.post(f"{BASE}/auth/login", json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    return response.json()


async def test_login_refresh_logout(client: GraphQLClient, http: httpx.AsyncClient) -> None:
    # given an account
    user = await make_user(client)
    # when its script logs in with the seed's body
    tokens = await _login(http, user.email, user.password)
    # then it gets snake_case tokens, which refresh and log out as the seed says
    assert tokens["token_type"] == "Bearer" and tokens["user"]["id"] == user.id
    assert "user_errors" not in tokens
    refreshed = await http.post(
        f"{BASE}/auth/refresh", json={"refresh_token": tokens["refresh_token"]}
    )
    assert refreshed.status_code == 200 and refreshed.json()["access_token"]
    out = await http.post(
        f"{BASE}/auth/logout", json={"refresh_token": refreshed.json()["refresh_token"]}
    )
    assert out.json() == {"success": True}


async def test_wrong_password_is_401_in_the_seed_envelope(
    client: GraphQLClient, http: httpx.AsyncClient
) -> None:
    user = await make_user(client)
    response = await http.post(
        f"{BASE}/auth/login", json={"email": user.email, "password": "nope-nope"}
    )
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "UNAUTHORIZED"
    assert set(response.json()["error"]) == {"code", "message", "details"}


async def test_organizations_create_list_members_invite(
    client: GraphQLClient, http: httpx.AsyncClient
) -> None:
    user = await make_user(client)
    auth = {"Authorization": f"Bearer {user.token}"}
    name = unique("Acme ")
    created = await http.post(f"{BASE}/organizations", json={"name": name}, headers=auth)
    assert created.status_code == 201
    org = created.json()
    assert org["name"] == name and org["plan"] == "free" and "created_at" in org
    listed = await http.get(f"{BASE}/organizations", headers=auth)
    assert listed.json()["total_count"] == 1 and listed.json()["data"][0]["role"] == "owner"
    members = await http.get(f"{BASE}/organizations/{org['id']}/members", headers=auth)
    assert members.json()["data"][0]["user"]["id"] == user.id
    invite = await http.post(
        f"{BASE}/organizations/{org['id']}/invites",
        json={"email": "new@example.test", "role": "admin"},
        headers=auth,
    )
    assert invite.status_code == 201
    assert invite.json()["invitation"]["role"] == "admin" and invite.json()["token"]
    assert "x-ratelimit-remaining" in invite.headers


async def test_offset_pagination_over_members(
    client: GraphQLClient, http: httpx.AsyncClient
) -> None:
    owner = await make_user(client)
    auth = {"Authorization": f"Bearer {owner.token}"}
    org = (
        await http.post(f"{BASE}/organizations", json={"name": unique("P ")}, headers=auth)
    ).json()
    invited = []
    for _ in range(4):
        member = await make_user(client)
        invite = await http.post(
            f"{BASE}/organizations/{org['id']}/invites", json={"email": member.email}, headers=auth
        )
        await client.mutate(
            "acceptInvitation",
            ACCEPT,
            {"t": invite.json()["token"]},
            token=member.token,
        )
        invited.append(member.id)
    pages = [
        (
            await http.get(
                f"{BASE}/organizations/{org['id']}/members?limit=2&offset={offset}", headers=auth
            )
        ).json()
        for offset in (0, 2, 4)
    ]
    ids = [m["user"]["id"] for page in pages for m in page["data"]]
    assert ids == [owner.id, *invited]
    assert [p["has_more"] for p in pages] == [True, True, False]
    assert all(p["total_count"] == 5 for p in pages)


async def test_bad_input_and_foreign_objects(
    client: GraphQLClient, http: httpx.AsyncClient
) -> None:
    owner, stranger = await make_user(client), await make_user(client)
    org = (
        await http.post(
            f"{BASE}/organizations",
            json={"name": unique("Q ")},
            headers={"Authorization": f"Bearer {owner.token}"},
        )
    ).json()
    stranger_auth = {"Authorization": f"Bearer {stranger.token}"}
    missing = await http.get(f"{BASE}/organizations/{org['id']}/members", headers=stranger_auth)
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "RESOURCE_NOT_FOUND"
    for bad in ("limit=101", "limit=x", "offset=-1", "color=red"):
        response = await http.get(f"{BASE}/organizations?{bad}", headers=stranger_auth)
        assert response.status_code == 400, bad
        assert response.json()["error"]["code"] == "INVALID_REQUEST"
    empty = await http.post(f"{BASE}/organizations", json={"name": ""}, headers=stranger_auth)
    assert empty.status_code == 400 and empty.json()["error"]["details"]["field"] == ["name"]
    not_json = await http.post(f"{BASE}/organizations", content=b"{", headers=stranger_auth)
    assert not_json.status_code == 400
    anonymous = await http.get(f"{BASE}/organizations")
    assert anonymous.status_code == 401


async def test_openapi_and_docs_are_served(http: httpx.AsyncClient) -> None:
    document = (await http.get("/rest/openapi.json")).json()
    assert document["openapi"].startswith("3.1")
    login = document["paths"]["/rest/architecto/v1/auth/login"]["post"]
    assert set(login["requestBody"]["content"]["application/json"]["schema"]["required"]) == {
        "email",
        "password",
    }
    members = document["paths"]["/rest/architecto/v1/organizations/{id}/members"]["get"]
    assert {p["name"] for p in members["parameters"]} == {"id", "limit", "offset"}
    docs = await http.get("/rest/docs")
    assert docs.status_code == 200 and "/static/swagger-ui/swagger-ui-bundle.js" in docs.text
    asset = await http.get("/static/swagger-ui/swagger-ui-bundle.js")
    assert asset.status_code == 200


async def test_a_method_no_operation_serves_is_405_naming_those_that_do(
    http: httpx.AsyncClient,
) -> None:
    # given paths served by one operation (members: GET; login: POST) or by two
    # (organizations: GET lists, POST creates)
    for path, methods, other in (
        (f"{BASE}/organizations/org_x/members", {"GET"}, "HEAD"),
        (f"{BASE}/auth/login", {"POST"}, "GET"),
        (f"{BASE}/organizations", {"GET", "POST"}, "PUT"),
        (f"{BASE}/organizations", {"GET", "POST"}, "HEAD"),
    ):
        # when another method is used, then it is refused before any operation runs
        refused = await http.request(other, path)
        assert refused.status_code == 405, (path, other)
        # and Allow names every method of the path
        assert set(refused.headers["allow"].split(", ")) == methods, (path, other)


async def test_values_the_schema_cannot_take_are_400_not_500(
    client: GraphQLClient, http: httpx.AsyncClient
) -> None:
    # found by schemathesis: a huge offset overflowed SQLite, a number for a string was
    # reported as an internal error
    user = await make_user(client)
    auth = {"Authorization": f"Bearer {user.token}"}
    huge = await http.get(f"{BASE}/organizations?offset={10**20}", headers=auth)
    assert huge.status_code == 400
    wrong_type = await http.post(f"{BASE}/organizations", json={"name": 123}, headers=auth)
    assert wrong_type.status_code == 400
    assert wrong_type.json()["error"]["code"] == "INVALID_REQUEST"
