"""ArchAstro's (seed 001) auth, user and team routes, called as its scripts call them."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from sqlalchemy import update

from atrium.models.auth import DeviceAuthorization
from tests.helpers import GraphQLClient, make_org, make_user, unique_email

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
    invalid = await http.post(
        f"{BASE}/api/v2/auth/register", json={"email": "nope", "password": "x"}
    )
    assert invalid.status_code == 422
    assert invalid.json()["error"]["code"] == "validation_failed"
    user = await make_user(client)
    missing = await http.get(
        f"{BASE}/api/v2/users/usr_01JUNKJUNKJUNKJUNKJUNKJUNK", headers=_auth(user.token)
    )
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
    unauthenticated = await http.get(f"{BASE}/api/v2/users/me")
    assert unauthenticated.status_code == 401


async def test_magic_link_and_code_flows(http: httpx.AsyncClient, app: Any) -> None:
    mailer = app.state.atrium.services.mailer
    email = unique_email()
    sent = await http.post(f"{BASE}/api/v2/auth/login/link", json={"email": email})
    assert sent.json()["success"] is True
    token = re.search(r"token=([\w-]+)", mailer.last_to(email).body).group(1)  # type: ignore[union-attr]
    verified = await http.post(f"{BASE}/api/v2/auth/verify/link", json={"token": token})
    assert verified.status_code == 200 and verified.json()["user"]["email"] == email
    again = await http.post(f"{BASE}/api/v2/auth/verify/link", json={"token": token})
    assert again.status_code == 400
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


async def test_teams_create_get_update_members_and_join(
    http: httpx.AsyncClient, client: GraphQLClient, app: Any
) -> None:
    owner = await make_user(client)
    org = await make_org(client, owner)
    created = await http.post(
        f"{BASE}/api/v2/teams",
        headers=_auth(owner.token),
        json={"org_id": org["id"], "name": "Platform"},
    )
    assert created.status_code == 201
    team = created.json()
    fetched = await http.get(f"{BASE}/api/v2/teams/{team['id']}", headers=_auth(owner.token))
    assert fetched.json()["name"] == "Platform"
    updated = await http.put(
        f"{BASE}/api/v2/teams/{team['id']}",
        headers=_auth(owner.token),
        json={"description": "Shared infrastructure"},
    )
    assert updated.json()["description"] == "Shared infrastructure"
    members = await http.get(
        f"{BASE}/api/v2/teams/{team['id']}/members", headers=_auth(owner.token)
    )
    assert members.json()["total_count"] == 1 and members.json()["data"][0]["role"] == "maintainer"
    joiner = await make_user(client)
    invitation = await client.mutate(
        "createInvitation",
        "mutation I($input: CreateInvitationInput!) { createInvitation(input: $input) "
        "{ token userErrors { code } } }",
        {"input": {"organizationId": org["id"], "email": joiner.email, "teamId": team["id"]}},
        token=owner.token,
    )
    joined = await http.post(
        f"{BASE}/api/v2/teams/join",
        headers=_auth(joiner.token),
        json={"token": invitation["token"]},
    )
    assert joined.status_code == 200 and joined.json()["organization"]["id"] == org["id"]
    after = await http.get(f"{BASE}/api/v2/teams/{team['id']}/members", headers=_auth(owner.token))
    assert after.json()["total_count"] == 2
