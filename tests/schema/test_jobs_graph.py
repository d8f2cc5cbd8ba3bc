"""Durable jobs are visible in the graph: status, attempts and the last error."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from tests.helpers import GraphQLClient, add_member, make_org, make_user

CREATE_ENDPOINT = """
mutation C($input: CreateWebhookEndpointInput!) {
  createWebhookEndpoint(input: $input) { webhookEndpoint { id } userErrors { code } }
}
"""
PING = "mutation P($id: ID!) { pingWebhookEndpoint(input: {id: $id}) { userErrors { code } } }"
JOBS = """
query J($id: ID!, $status: JobStatus) {
  organization(id: $id) {
    jobs(first: 10, status: $status) {
      totalCount
      nodes { id kind status attempts maxAttempts lastError runAt }
    }
  }
}
"""


async def test_admins_see_jobs_with_their_attempts_and_errors(client: GraphQLClient) -> None:
    # given a webhook delivery job aimed at a port nobody listens on
    owner = await make_user(client)
    org = await make_org(client, owner)
    endpoint = await client.mutate(
        "createWebhookEndpoint",
        CREATE_ENDPOINT,
        {"input": {"organizationId": org["id"], "url": "http://127.0.0.1:9/unreachable"}},
        token=owner.token,
    )
    await client.mutate(
        "pingWebhookEndpoint", PING, {"id": endpoint["webhookEndpoint"]["id"]}, token=owner.token
    )
    # when it has failed at least once
    deadline = time.monotonic() + 20
    while True:
        jobs = (await client.execute(JOBS, {"id": org["id"]}, token=owner.token)).data
        nodes: list[dict[str, Any]] = jobs["organization"]["jobs"]["nodes"]
        if nodes and nodes[0]["lastError"]:
            break
        assert time.monotonic() < deadline, nodes
        await asyncio.sleep(0.05)
    # then an admin sees what ran, how often and why it failed
    [job] = nodes
    assert job["kind"] == "webhook.deliver" and job["maxAttempts"] == 8
    assert job["status"] in ("QUEUED", "RUNNING") and job["attempts"] >= 1  # retrying
    assert "DeliveryFailed" in job["lastError"] and "ConnectError" in job["lastError"]
    by_node = await client.execute(
        "query N($id: ID!) { node(id: $id) { ... on Job { kind } } }",
        {"id": job["id"]},
        token=owner.token,
    )
    assert by_node.data["node"] == {"kind": "webhook.deliver"}
    succeeded = await client.execute(
        JOBS, {"id": org["id"], "status": "SUCCEEDED"}, token=owner.token
    )
    assert succeeded.data["organization"]["jobs"]["totalCount"] == 0


async def test_members_do_not_see_jobs(client: GraphQLClient) -> None:
    owner = await make_user(client)
    org = await make_org(client, owner)
    member = await add_member(client, org["id"], owner, "MEMBER")
    response = await client.execute(JOBS, {"id": org["id"]}, token=member.token)
    assert response.codes == ["FORBIDDEN"]
