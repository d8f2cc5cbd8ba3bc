"""The OAuth 2.0 device authorization grant (RFC 8628), through GraphQL over HTTP.

Split from ``test_auth_flows.py`` (whose helpers it uses) to keep modules short. Expiry is
simulated in the database and SLOW_DOWN by polling twice at once: no sleeps.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select

from atrium.models.auth import DeviceAuthorization
from atrium.resolvers.auth.device import USER_CODE_ALPHABET
from tests.helpers import GraphQLClient, make_org, make_user, unique
from tests.schema.test_auth_flows import TOKENS, VIEWER, codes, expire

START_DEVICE = """
mutation ($clientId: String!, $scope: String) {
  startDeviceAuthorization(input: {clientId: $clientId, scope: $scope}) {
    deviceCode userCode verificationUri verificationUriComplete expiresIn interval
    userErrors { field code }
  }
}
"""
APPROVE_DEVICE = """
mutation ($userCode: String!, $approve: Boolean!) {
  approveDeviceAuthorization(input: {userCode: $userCode, approve: $approve}) {
    status clientId scope userErrors { field code }
  }
}
"""
CREATE_KEY = """
mutation ($input: CreateApiKeyInput!) {
  createApiKey(input: $input) { secret userErrors { field message code } }
}
"""
POLL_DEVICE = f"""
mutation ($deviceCode: String!, $clientId: String!) {{
  pollDeviceToken(input: {{deviceCode: $deviceCode, clientId: $clientId}}) {{
    interval {TOKENS}
  }}
}}
"""


async def start_device(client: GraphQLClient, client_id: str) -> dict[str, Any]:
    return await client.mutate(
        "startDeviceAuthorization", START_DEVICE, {"clientId": client_id, "scope": "cli"}
    )


async def poll(client: GraphQLClient, grant: dict[str, Any], client_id: str) -> dict[str, Any]:
    variables = {"deviceCode": grant["deviceCode"], "clientId": client_id}
    return (await client.execute(POLL_DEVICE, variables)).data["pollDeviceToken"]


async def test_device_flow_happy_path(client: GraphQLClient, app: Any) -> None:
    # given a CLI that started the flow and a signed-in user
    client_id = unique("cli-")
    grant = await start_device(client, client_id)
    assert re.fullmatch(
        f"[{USER_CODE_ALPHABET}]{{4}}-[{USER_CODE_ALPHABET}]{{4}}", grant["userCode"]
    )
    settings = app.state.atrium.settings
    assert grant["verificationUri"] == f"{settings.public_url}/device"
    assert grant["verificationUriComplete"].endswith(f"user_code={grant['userCode']}")
    assert grant["interval"] == settings.device_poll_interval_seconds
    assert grant["expiresIn"] == settings.device_code_ttl_seconds
    user = await make_user(client)
    # when the user approves the code, typed loosely
    typed = grant["userCode"].replace("-", " ").lower()
    approved = await client.mutate(
        "approveDeviceAuthorization",
        APPROVE_DEVICE,
        {"userCode": typed, "approve": True},
        token=user.token,
    )
    assert approved["status"] == "APPROVED" and approved["clientId"] == client_id
    # then the CLI's poll gets tokens for that user
    tokens = await poll(client, grant, client_id)
    assert tokens["userErrors"] == [] and tokens["user"]["id"] == user.id
    viewer = await client.execute(VIEWER, token=tokens["accessToken"])
    assert viewer.data["viewer"]["user"]["id"] == user.id
    # and the device code works only once
    second = await poll(client, grant, client_id)
    assert codes(second) == ["EXPIRED_TOKEN"] and second["accessToken"] is None


async def test_device_poll_before_approval_is_pending(client: GraphQLClient) -> None:
    # given a flow nobody has answered yet
    client_id = unique("cli-")
    grant = await start_device(client, client_id)
    # when the CLI polls
    payload = await poll(client, grant, client_id)
    # then it is told to keep waiting
    assert codes(payload) == ["AUTHORIZATION_PENDING"] and payload["accessToken"] is None


async def test_device_polling_too_fast_is_slow_down_and_the_interval_grows(
    client: GraphQLClient, app: Any
) -> None:
    # given a CLI that has polled once
    client_id = unique("cli-")
    grant = await start_device(client, client_id)
    assert codes(await poll(client, grant, client_id)) == ["AUTHORIZATION_PENDING"]
    # when it polls again at once
    payload = await poll(client, grant, client_id)
    # then it is told to slow down, and the interval grows by 5 seconds for good
    assert codes(payload) == ["SLOW_DOWN"]
    assert payload["interval"] == grant["interval"] + 5
    async with app.state.atrium.db.sessionmaker() as session:
        interval = await session.scalar(
            select(DeviceAuthorization.interval).where(
                DeviceAuthorization.user_code == grant["userCode"]
            )
        )
    assert interval == grant["interval"] + 5


async def test_denied_device_gets_access_denied(client: GraphQLClient) -> None:
    # given a user who denies the device
    client_id = unique("cli-")
    grant = await start_device(client, client_id)
    user = await make_user(client)
    denied = await client.mutate(
        "approveDeviceAuthorization",
        APPROVE_DEVICE,
        {"userCode": grant["userCode"], "approve": False},
        token=user.token,
    )
    assert denied["status"] == "DENIED"
    # when the CLI polls
    payload = await poll(client, grant, client_id)
    # then it is denied and gets no tokens
    assert codes(payload) == ["ACCESS_DENIED"] and payload["accessToken"] is None


async def test_expired_device_code(client: GraphQLClient, app: Any) -> None:
    # given a flow whose time has run out
    client_id = unique("cli-")
    grant = await start_device(client, client_id)
    await expire(app, DeviceAuthorization, user_code=grant["userCode"])
    user = await make_user(client)
    # when the user tries to approve and the CLI polls
    approve = await client.execute(
        APPROVE_DEVICE, {"userCode": grant["userCode"], "approve": True}, token=user.token
    )
    payload = await poll(client, grant, client_id)
    # then both are told it expired
    assert codes(approve.data["approveDeviceAuthorization"]) == ["EXPIRED"]
    assert codes(payload) == ["EXPIRED_TOKEN"]


async def test_device_approval_needs_a_signed_in_user(client: GraphQLClient) -> None:
    grant = await start_device(client, unique("cli-"))
    response = await client.execute(
        APPROVE_DEVICE, {"userCode": grant["userCode"], "approve": True}
    )
    assert response.codes == ["UNAUTHENTICATED"]


async def test_device_poll_with_another_client_id_is_invalid(client: GraphQLClient) -> None:
    grant = await start_device(client, unique("cli-"))
    payload = await poll(client, grant, "someone-else")
    assert codes(payload) == ["INVALID"]


async def test_device_start_requires_a_client_id(client: GraphQLClient) -> None:
    response = await client.execute(START_DEVICE, {"clientId": " "})
    payload = response.data["startDeviceAuthorization"]
    assert payload["userErrors"] == [{"field": ["clientId"], "code": "REQUIRED"}]
    assert payload["deviceCode"] is None


async def test_device_approval_refuses_api_keys(client: GraphQLClient) -> None:
    # given a user's WRITE-scoped API key (it may run mutations, but is not a sign-in)
    user = await make_user(client)
    org = await make_org(client, user)
    key = await client.mutate(
        "createApiKey",
        CREATE_KEY,
        {"input": {"organizationId": org["id"], "name": "ci", "scope": "WRITE"}},
        token=user.token,
    )
    grant = await start_device(client, unique("cli-"))
    # when the key tries to approve a device (which would mint a full user token)
    response = await client.execute(
        APPROVE_DEVICE, {"userCode": grant["userCode"], "approve": True}, token=key["secret"]
    )
    # then it is forbidden
    assert response.codes == ["FORBIDDEN"]
