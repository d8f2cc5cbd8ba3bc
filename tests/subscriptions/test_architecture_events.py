"""`architectureEvents(id)`: analysis progress and completion, live; `analysis.completed`
reaches webhooks."""

from __future__ import annotations

from typing import Any

import orjson

from tests.helpers import GraphQLClient, make_org, make_user
from tests.schema.architecture.factories import create_architecture
from tests.support.receiver import receiver
from tests.support.ws import wait_for_subscribers, ws_client

EVENTS = """
subscription($id: ID!) {
  architectureEvents(id: $id) { type sequence progress analysis { id kind status } }
}
"""
RUN = """
mutation($id: ID!) { runCostAnalysis(input: {architectureId: $id}) {
  analysis { id } userErrors { field message code } } }
"""


async def test_listener_sees_an_analysis_start_progress_and_complete(
    app: Any, client: GraphQLClient
) -> None:
    # given a member subscribed to an architecture's events
    owner = await make_user(client)
    org = await make_org(client, owner)
    arch = await create_architecture(client, owner, org)
    async with ws_client(app) as ws:
        assert (await ws.init(owner.token))["type"] == "connection_ack"
        operation = await ws.subscribe(EVENTS, {"id": arch["id"]})
        await wait_for_subscribers(app, f"architecture:{arch['id']}")
        # when a cost analysis is queued and the worker runs it
        payload = await client.mutate("runCostAnalysis", RUN, {"id": arch["id"]}, token=owner.token)
        analysis_id = payload["analysis"]["id"]
        seen = []
        while not seen or seen[-1]["type"] != "ANALYSIS_COMPLETED":
            message = await ws.next_of(operation, seconds=10)
            assert message["type"] == "next", message
            seen.append(message["payload"]["data"]["architectureEvents"])
    # then it heard started, progress and completed, in order, about that analysis
    assert [e["type"] for e in seen] == [
        "ANALYSIS_STARTED",
        "ANALYSIS_PROGRESS",
        "ANALYSIS_COMPLETED",
    ]
    assert all(e["analysis"]["id"] == analysis_id for e in seen)
    assert seen[-1]["analysis"]["status"] == "COMPLETED" and seen[-1]["progress"] == 1.0
    assert seen[1]["sequence"] is None  # progress ticks are not stored
    assert seen[2]["sequence"] == seen[0]["sequence"] + 1


async def test_strangers_cannot_listen(app: Any, client: GraphQLClient) -> None:
    owner, stranger = await make_user(client), await make_user(client)
    org = await make_org(client, owner)
    arch = await create_architecture(client, owner, org)
    async with ws_client(app) as ws:
        await ws.init(stranger.token)
        operation = await ws.subscribe(EVENTS, {"id": arch["id"]})
        message = await ws.next_of(operation)
    assert message["type"] == "error"
    assert message["payload"][0]["extensions"]["code"] == "NOT_FOUND"


async def test_analysis_completed_webhook(client: GraphQLClient) -> None:
    # given an endpoint that wants analysis.completed
    owner = await make_user(client)
    org = await make_org(client, owner)
    arch = await create_architecture(client, owner, org)
    async with receiver() as hook:
        await client.mutate(
            "createWebhookEndpoint",
            """mutation($input: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $input)
               { webhookEndpoint { id } userErrors { field message code } } }""",
            {
                "input": {
                    "organizationId": org["id"],
                    "url": hook.url,
                    "eventTypes": ["analysis.completed"],
                }
            },
            token=owner.token,
        )
        # when an analysis completes
        payload = await client.mutate("runCostAnalysis", RUN, {"id": arch["id"]}, token=owner.token)
        [received] = await hook.wait_for(1)
    # then the receiver is told which analysis of which architecture
    body = orjson.loads(received.body)
    assert body["type"] == "analysis.completed"
    assert body["data"]["analysis_id"] == payload["analysis"]["id"]
    assert body["data"]["architecture_id"] == arch["id"]
    assert body["data"]["kind"] == "COST"
