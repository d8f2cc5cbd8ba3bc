"""Webhooks: signed deliveries to a real receiver on loopback, retries, re-sends."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import orjson

from atrium.resolvers.webhooks.signing import verify
from tests.helpers import GraphQLClient, TestUser, make_org, make_user
from tests.support.receiver import receiver

CREATE = """
mutation Create($input: CreateWebhookEndpointInput!) {
  createWebhookEndpoint(input: $input) {
    webhookEndpoint { id url eventTypes active }
    secret
    userErrors { field message code }
  }
}
"""
PING = """
mutation Ping($id: ID!) {
  pingWebhookEndpoint(input: {id: $id}) { delivery { id status } userErrors { code } }
}
"""
REDELIVER = """
mutation Redeliver($id: ID!) {
  redeliverWebhook(input: {id: $id}) { delivery { id redeliveryOfId } userErrors { code } }
}
"""
DELIVERY = """
query Delivery($id: ID!) {
  node(id: $id) {
    ... on WebhookDelivery {
      status attempts responseStatus lastError eventType body deliveredAt
    }
  }
}
"""


async def _endpoint(
    client: GraphQLClient,
    owner: TestUser,
    org: dict[str, Any],
    url: str,
    event_types: list[str] | None = None,
) -> tuple[str, str]:
    payload = await client.mutate(
        "createWebhookEndpoint",
        CREATE,
        {"input": {"organizationId": org["id"], "url": url, "eventTypes": event_types or []}},
        token=owner.token,
    )
    return payload["webhookEndpoint"]["id"], payload["secret"]


async def _delivery_when(
    client: GraphQLClient, token: str, delivery_id: str, status: str, seconds: float = 20
) -> dict[str, Any]:
    deadline = time.monotonic() + seconds
    while True:
        node = (await client.execute(DELIVERY, {"id": delivery_id}, token=token)).data["node"]
        if node["status"] == status:
            return node
        assert time.monotonic() < deadline, node
        await asyncio.sleep(0.05)


async def test_ping_is_delivered_signed(client: GraphQLClient) -> None:
    # given an admin's endpoint on a live receiver
    owner = await make_user(client)
    org = await make_org(client, owner)
    async with receiver() as hook:
        endpoint_id, secret = await _endpoint(client, owner, org, hook.url)
        assert secret.startswith("whsec_")
        # when it is pinged
        ping = await client.mutate(
            "pingWebhookEndpoint", PING, {"id": endpoint_id}, token=owner.token
        )
        [received] = await hook.wait_for(1)
    # then the receiver got a body signed with the endpoint's secret, recorded as delivered
    assert verify(secret, received.body, received.headers["atrium-signature"])
    assert not verify("whsec_wrong", received.body, received.headers["atrium-signature"])
    body = orjson.loads(received.body)
    assert body["type"] == "ping" and body["organization_id"] == org["id"]
    assert received.headers["atrium-event-type"] == "ping"
    delivery = await _delivery_when(client, owner.token, ping["delivery"]["id"], "SUCCEEDED")
    assert delivery["attempts"] == 1 and delivery["responseStatus"] == 200
    assert delivery["deliveredAt"] is not None


async def test_failed_deliveries_are_retried_with_the_same_body(client: GraphQLClient) -> None:
    owner = await make_user(client)
    org = await make_org(client, owner)
    async with receiver() as hook:
        hook.statuses = [500, 503]
        endpoint_id, secret = await _endpoint(client, owner, org, hook.url)
        ping = await client.mutate(
            "pingWebhookEndpoint", PING, {"id": endpoint_id}, token=owner.token
        )
        received = await hook.wait_for(3)
        delivery = await _delivery_when(client, owner.token, ping["delivery"]["id"], "SUCCEEDED")
    assert [r.body for r in received] == [received[0].body] * 3
    assert len({r.headers["atrium-webhook-id"] for r in received}) == 1
    assert all(verify(secret, r.body, r.headers["atrium-signature"]) for r in received)
    assert delivery["attempts"] == 3


async def test_a_delivery_can_be_sent_again(client: GraphQLClient) -> None:
    owner = await make_user(client)
    org = await make_org(client, owner)
    async with receiver() as hook:
        endpoint_id, _ = await _endpoint(client, owner, org, hook.url)
        ping = await client.mutate(
            "pingWebhookEndpoint", PING, {"id": endpoint_id}, token=owner.token
        )
        await _delivery_when(client, owner.token, ping["delivery"]["id"], "SUCCEEDED")
        again = await client.mutate(
            "redeliverWebhook", REDELIVER, {"id": ping["delivery"]["id"]}, token=owner.token
        )
        first, second = await hook.wait_for(2)
    assert again["delivery"]["redeliveryOfId"] == ping["delivery"]["id"]
    assert first.body == second.body
    assert first.headers["atrium-webhook-id"] != second.headers["atrium-webhook-id"]


async def test_unreachable_receiver_is_recorded_as_an_error(client: GraphQLClient) -> None:
    owner = await make_user(client)
    org = await make_org(client, owner)
    async with receiver() as hook:
        url = hook.url
    endpoint_id, _ = await _endpoint(client, owner, org, url)  # nothing listens there now
    ping = await client.mutate("pingWebhookEndpoint", PING, {"id": endpoint_id}, token=owner.token)
    deadline = time.monotonic() + 20
    while True:
        node = (
            await client.execute(DELIVERY, {"id": ping["delivery"]["id"]}, token=owner.token)
        ).data["node"]
        if node["attempts"] >= 1:
            break
        assert time.monotonic() < deadline
        await asyncio.sleep(0.05)
    assert node["status"] == "PENDING" and "ConnectError" in node["lastError"]


async def test_endpoint_validation_and_policy(client: GraphQLClient) -> None:
    owner, stranger = await make_user(client), await make_user(client)
    org = await make_org(client, owner)
    bad = await client.execute(
        CREATE,
        {"input": {"organizationId": org["id"], "url": "ftp://example.test/x"}},
        token=owner.token,
    )
    assert bad.data["createWebhookEndpoint"]["userErrors"][0]["field"] == ["url"]
    foreign = await client.execute(
        CREATE,
        {"input": {"organizationId": org["id"], "url": "http://127.0.0.1:9/x"}},
        token=stranger.token,
    )
    assert foreign.data["createWebhookEndpoint"]["userErrors"][0]["code"] == "NOT_FOUND"


async def test_organization_events_become_deliveries(client: GraphQLClient) -> None:
    # given an endpoint for team events only
    owner = await make_user(client)
    org = await make_org(client, owner)
    async with receiver() as hook:
        _, secret = await _endpoint(client, owner, org, hook.url, ["team.created"])
        # when a team is created (and an invitation, which the endpoint did not ask for)
        await client.mutate(
            "createInvitation",
            "mutation I($input: CreateInvitationInput!) { createInvitation(input: $input) "
            "{ userErrors { code } } }",
            {"input": {"organizationId": org["id"], "email": "someone@example.test"}},
            token=owner.token,
        )
        team = await client.mutate(
            "createTeam",
            "mutation T($input: CreateTeamInput!) { createTeam(input: $input) "
            "{ team { id } userErrors { code } } }",
            {"input": {"organizationId": org["id"], "name": "Hooks"}},
            token=owner.token,
        )
        [received] = await hook.wait_for(1)
    body = orjson.loads(received.body)
    assert body["type"] == "team.created"
    assert body["data"]["team_id"] == team["team"]["id"]
    assert body["organization_id"] == org["id"] and body["sequence"] >= 1
    assert verify(secret, received.body, received.headers["atrium-signature"])
