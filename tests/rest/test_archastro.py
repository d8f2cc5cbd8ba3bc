"""ArchAstro's (seed 001) auth, user and team routes, called as its scripts call them."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from sqlalchemy import update

from atrium.models.auth import DeviceAuthorization
from tests.helpers import (
    CREATE_ORG,
    GraphQLClient,
    add_member,
    make_org,
    make_team,
    make_user,
    unique,
    unique_email,
)

BASE = "/rest/archastro"
DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
APPROVE = """mutation A($code: String!) {
  approveDeviceAuthorization(input: {userCode: $code}) { userErrors { code } } }"""


@pytest.fixture
def http(client: GraphQLClient) -> httpx.AsyncClient:
    return client.http


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_register_login_and_me(http: httpx.AsyncClient) -> None:
    # given a script registering and logging in with the seed's JSON
    email = unique_email()
    created = await http.post(
        f"{BASE}/api/v2/auth/register",
        json={"email": email, "password": "long-password-1", "name": "Ann"},
    )
    assert created.status_code == 201 and created.json()["user"]["email"] == email
    login = await http.post(
        f"{BASE}/api/v2/auth/login", json={"email": email, "password": "long-password-1"}
    )
    tokens = login.json()
    # when it asks who it is with the access token
    me = await http.get(f"{BASE}/api/v2/users/me", headers=_auth(tokens["access_token"]))
    # then it is itself, in snake_case
    assert me.status_code == 200
    assert me.json()["email"] == email and "created_at" in me.json()
    refreshed = await http.post(
        f"{BASE}/api/v2/auth/refresh", json={"refresh_token": tokens["refresh_token"]}
    )
    assert refreshed.status_code == 200 and refreshed.json()["access_token"]


async def test_errors_use_the_seed_envelope(http: httpx.AsyncClient, client: GraphQLClient) -> None:
    # given a script sending an invalid registration
    invalid = await http.post(
        f"{BASE}/api/v2/auth/register", json={"email": "nope", "password": "x"}
    )
    # then it is 422 "validation_failed" in ArchAstro's envelope
    assert invalid.status_code == 422
    assert invalid.json()["error"]["code"] == "validation_failed"
    assert set(invalid.json()["error"]) == {"code", "message", "details"}
    # when it asks for a user that does not exist, then 404 "not_found"
    user = await make_user(client)
    missing = await http.get(
        f"{BASE}/api/v2/users/usr_01JUNKJUNKJUNKJUNKJUNKJUNK", headers=_auth(user.token)
    )
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
    # and an ID of another kind (a team's on the user route, a user's on team routes) too
    org = await make_org(client, user)
    team = await make_team(client, org["id"], user)
    for path in (f"users/{team['id']}", f"teams/{user.id}", f"teams/{user.id}/members"):
        wrong = await http.get(f"{BASE}/api/v2/{path}", headers=_auth(user.token))
        assert wrong.status_code == 404 and wrong.json()["error"]["code"] == "not_found", path
    # and without a token, 401 "unauthorized"
    unauthenticated = await http.get(f"{BASE}/api/v2/users/me")
    assert unauthenticated.status_code == 401
    assert unauthenticated.json()["error"]["code"] == "unauthorized"


async def test_magic_link_and_code_flows(http: httpx.AsyncClient, app: Any) -> None:
    # given a script asking for a magic link
    mailer = app.state.atrium.services.mailer
    email = unique_email()
    sent = await http.post(f"{BASE}/api/v2/auth/login/link", json={"email": email})
    assert sent.json()["success"] is True
    # when it verifies the token from the mail
    token = re.search(r"token=([\w-]+)", mailer.last_to(email).body).group(1)  # type: ignore[union-attr]
    verified = await http.post(f"{BASE}/api/v2/auth/verify/link", json={"token": token})
    # then it is signed in, once
    assert verified.status_code == 200 and verified.json()["user"]["email"] == email
    again = await http.post(f"{BASE}/api/v2/auth/verify/link", json={"token": token})
    assert again.status_code == 400
    # and a mailed one-time code signs in too
    await http.post(f"{BASE}/api/v2/auth/login/code", json={"email": email})
    code = re.search(r"\b(\d{6})\b", mailer.last_to(email).body).group(1)  # type: ignore[union-attr]
    by_code = await http.post(
        f"{BASE}/api/v2/auth/code/verify", json={"email": email, "code": code}
    )
    assert by_code.status_code == 200 and by_code.json()["access_token"]


async def test_device_flow_with_form_bodies(
    http: httpx.AsyncClient, client: GraphQLClient, app: Any
) -> None:
    # given a CLI starting the RFC 8628 flow with a form body
    start = await http.post(f"{BASE}/oauth/device/authorize", data={"client_id": "atrium-cli"})
    assert start.status_code == 200
    codes = start.json()
    assert {"device_code", "user_code", "verification_uri", "expires_in", "interval"} <= set(codes)
    poll = {
        "grant_type": DEVICE_GRANT,
        "device_code": codes["device_code"],
        "client_id": "atrium-cli",
    }
    # when it polls before the user approves
    pending = await http.post(f"{BASE}/oauth/token", data=poll)
    # then it hears authorization_pending, RFC-style
    assert pending.status_code == 400 and pending.json()["error"] == "authorization_pending"
    too_fast = await http.post(f"{BASE}/oauth/token", data=poll)
    assert too_fast.json()["error"] == "slow_down"
    wrong = await http.post(f"{BASE}/oauth/token", data={**poll, "grant_type": "password"})
    assert wrong.json()["error"] == "unsupported_grant_type"
    # and once a signed-in user approves, the next poll gets tokens
    user = await make_user(client)
    await client.mutate(
        "approveDeviceAuthorization", APPROVE, {"code": codes["user_code"]}, token=user.token
    )
    async with app.state.atrium.db.sessionmaker() as session:  # skip the poll interval
        await session.execute(update(DeviceAuthorization).values(last_polled_at=None))
        await session.commit()
    granted = await http.post(f"{BASE}/oauth/token", data=poll)
    assert granted.status_code == 200, granted.text
    body = granted.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] > 0 and body["access_token"]
    me = await http.get(f"{BASE}/api/v2/users/me", headers=_auth(body["access_token"]))
    assert me.json()["id"] == user.id


async def _organization(client: GraphQLClient, token: str) -> str:
    """ArchAstro's runtime API has no organization route; scripts get one from the portal."""
    response = await client.execute(CREATE_ORG, {"input": {"name": unique("Org ")}}, token=token)
    organization_id: str = response.data["createOrganization"]["organization"]["id"]
    return organization_id


async def test_a_script_from_registration_to_a_joined_team(
    http: httpx.AsyncClient, client: GraphQLClient, app: Any
) -> None:
    # given a script that registers (JSON), logs in (form body) and has one organization
    email = unique_email()
    await http.post(
        f"{BASE}/api/v2/auth/register", json={"email": email, "password": "long-password-1"}
    )
    login = await http.post(
        f"{BASE}/api/v2/auth/login", data={"email": email, "password": "long-password-1"}
    )
    assert login.status_code == 200, login.text
    auth = _auth(login.json()["access_token"])
    me = (await http.get(f"{BASE}/api/v2/users/me", headers=auth)).json()
    org_id = await _organization(client, login.json()["access_token"])
    # when it edits its profile, time zone and email under its own user ID
    users = f"{BASE}/api/v2/users/{me['id']}"
    profile = await http.patch(f"{users}/profile", headers=auth, json={"name": "Ann Astro"})
    zone = await http.patch(f"{users}/timezone", headers=auth, json={"timezone": "Europe/Paris"})
    new_email = unique_email()
    moved = await http.patch(f"{users}/email", headers=auth, json={"email": new_email})
    # then each answers with the user, snake_case
    assert profile.status_code == 200 and profile.json()["name"] == "Ann Astro"
    assert zone.json()["timezone"] == "Europe/Paris" and "created_at" in zone.json()
    assert moved.json()["email"] == new_email
    assert (await http.get(users, headers=auth)).json()["email"] == new_email
    # when it creates a team without org_id (its only organization), reads and renames it
    created = await http.post(f"{BASE}/api/v2/teams", headers=auth, json={"name": "Platform"})
    assert created.status_code == 201, created.text
    team = created.json()
    teams = f"{BASE}/api/v2/teams/{team['id']}"
    assert (await http.get(teams, headers=auth)).json()["slug"] == "platform"
    put = await http.put(teams, headers=auth, json={"description": "Shared infrastructure"})
    assert put.json()["description"] == "Shared infrastructure"
    listed = (await http.get(f"{BASE}/api/v2/teams", headers=auth)).json()
    assert listed["data"][0]["organization"]["id"] == org_id and listed["total_count"] == 1
    # and invites someone to the team, who joins with the mailed token
    joiner = await make_user(client)
    invited = await http.post(
        f"{teams}/invite", headers=auth, json={"email": joiner.email, "role": "member"}
    )
    assert invited.status_code == 201, invited.text
    assert invited.json()["invitation"]["status"] == "pending"
    token = invited.json()["token"]
    assert token in app.state.atrium.services.mailer.last_to(joiner.email).body
    joined = await http.post(
        f"{BASE}/api/v2/teams/join", headers=_auth(joiner.token), json={"token": token}
    )
    assert joined.status_code == 200 and joined.json()["organization"]["id"] == org_id
    # then the team lists both members, the creator maintaining it
    members = (await http.get(f"{teams}/members", headers=auth)).json()
    assert members["total_count"] == 2
    roles = {m["user"]["id"]: m["role"] for m in members["data"]}
    assert roles == {me["id"]: "maintainer", joiner.id: "member"}
    joiner_teams = await http.get(f"{BASE}/api/v2/teams", headers=_auth(joiner.token))
    assert [t["id"] for t in joiner_teams.json()["data"]] == [team["id"]]


async def test_profile_errors_per_seed(http: httpx.AsyncClient, client: GraphQLClient) -> None:
    # given two members of an organization and a stranger
    owner = await make_user(client)
    org = await make_org(client, owner)
    member = await add_member(client, org["id"], owner)
    stranger = await make_user(client)
    users = f"{BASE}/api/v2/users"
    auth = _auth(owner.token)
    # when the owner sends a time zone that is not one, or takes a used email
    zone = await http.patch(f"{users}/{owner.id}/timezone", headers=auth, json={"timezone": "X"})
    taken = await http.patch(
        f"{users}/{owner.id}/email", headers=auth, json={"email": member.email}
    )
    # then 422 validation_failed and 409 conflict
    assert zone.status_code == 422 and zone.json()["error"]["code"] == "validation_failed"
    assert zone.json()["error"]["details"]["field"] == ["timezone"]
    assert taken.status_code == 409 and taken.json()["error"]["code"] == "conflict"
    # when it patches the member's profile, then the stranger's
    other = await http.patch(f"{users}/{member.id}/profile", headers=auth, json={"name": "X"})
    unseen = await http.patch(f"{users}/{stranger.id}/profile", headers=auth, json={"name": "X"})
    # then 403 forbidden for the member it can see, 404 not_found for the stranger
    assert other.status_code == 403 and other.json()["error"]["code"] == "forbidden"
    assert unseen.status_code == 404 and unseen.json()["error"]["code"] == "not_found"
    # and an unknown field is a 400 invalid_request, as for any route
    unknown = await http.patch(f"{users}/{owner.id}/profile", headers=auth, json={"age": 3})
    assert unknown.status_code == 400 and unknown.json()["error"]["code"] == "invalid_request"


async def test_teams_page_with_limit_and_offset(
    http: httpx.AsyncClient, client: GraphQLClient
) -> None:
    # given a user in three teams of one organization
    user = await make_user(client)
    org = await make_org(client, user)
    ids = [(await make_team(client, org["id"], user))["id"] for _ in range(3)]
    # when a script pages with limit and offset
    first = await http.get(f"{BASE}/api/v2/teams?limit=2&offset=0", headers=_auth(user.token))
    rest = await http.get(f"{BASE}/api/v2/teams?limit=2&offset=2", headers=_auth(user.token))
    # then the pages split the list, with its total and whether more follow
    assert first.json()["total_count"] == 3 and first.json()["has_more"] is True
    assert rest.json()["has_more"] is False and rest.json()["offset"] == 2
    assert [t["id"] for t in first.json()["data"] + rest.json()["data"]] == sorted(ids)


async def test_create_team_needs_org_id_when_ambiguous(
    http: httpx.AsyncClient, client: GraphQLClient
) -> None:
    # given a user in two organizations
    user = await make_user(client)
    await make_org(client, user)
    second = await make_org(client, user)
    # when a script creates a team without org_id, then with it
    vague = await http.post(f"{BASE}/api/v2/teams", headers=_auth(user.token), json={"name": "A"})
    named = await http.post(
        f"{BASE}/api/v2/teams",
        headers=_auth(user.token),
        json={"org_id": second["id"], "name": "A"},
    )
    # then the first is a 422 naming organizationId, the second is created
    assert vague.status_code == 422 and vague.json()["error"]["details"]["field"] == [
        "organizationId"
    ]
    assert named.status_code == 201
