"""`workflowRunEvents(runId)`: a run's steps live over graphql-transport-ws, output
chunks included; strangers get NOT_FOUND."""

from __future__ import annotations

from typing import Any

from tests.helpers import GraphQLClient
from tests.schema.workflows.factories import (
    owner_and_org,
    save_workflow,
    start_run,
    steer,
    wait_for_run,
)
from tests.support.ws import wait_for_subscribers, ws_client

EVENTS = """
subscription($id: ID!) {
  workflowRunEvents(runId: $id) { type sequence status nodeId delta data }
}
"""


async def test_a_listener_follows_a_run_from_approval_to_completion(
    app: Any, client: GraphQLClient
) -> None:
    # given a run paused at its gate, and a member listening to it
    owner, org = await owner_and_org(client)
    wf = await save_workflow(
        client,
        owner,
        org,
        {
            "nodes": [
                {"id": "gate", "approval": {"message": "Go?"}},
                {"id": "say", "depends_on": ["gate"], "bash": "echo hello-from-bash"},
            ]
        },
    )
    run = await start_run(client, owner, org, wf["name"])
    await wait_for_run(client, owner, run["id"], ("PAUSED",))
    async with ws_client(app) as ws:
        assert (await ws.init(owner.token))["type"] == "connection_ack"
        operation = await ws.subscribe(EVENTS, {"id": run["id"]})
        await wait_for_subscribers(app, f"workflow_run:{run['id']}")
        # when it is approved
        await client.mutate(
            "approveWorkflowRun",
            steer("approveWorkflowRun", "ApproveWorkflowRunInput"),
            {"input": {"runId": run["id"]}},
            token=owner.token,
        )
        seen: list[dict[str, Any]] = []
        while (
            not seen or seen[-1]["status"] != "COMPLETED" or seen[-1]["type"] != ("WORKFLOW_STATUS")
        ):
            message = await ws.next_of(operation, seconds=15)
            assert message["type"] == "next", message
            seen.append(message["payload"]["data"]["workflowRunEvents"])
    # then it heard the approval, the node with its output, and the end, in order
    types = [e["type"] for e in seen]
    assert types[0] == "APPROVAL_RECEIVED"
    assert types.index("NODE_STARTED") < types.index("NODE_OUTPUT") < types.index("NODE_COMPLETED")
    output = "".join(e["delta"] for e in seen if e["type"] == "NODE_OUTPUT")
    assert "hello-from-bash" in output
    stored = [e["sequence"] for e in seen if e["type"] != "NODE_OUTPUT"]
    assert stored == sorted(stored) and None not in stored


async def test_strangers_cannot_listen_to_a_run(app: Any, client: GraphQLClient) -> None:
    owner, org = await owner_and_org(client)
    stranger, _ = await owner_and_org(client)
    wf = await save_workflow(client, owner, org, {"nodes": [{"id": "a", "bash": "true"}]})
    run = await start_run(client, owner, org, wf["name"])
    async with ws_client(app) as ws:
        assert (await ws.init(stranger.token))["type"] == "connection_ack"
        operation = await ws.subscribe(EVENTS, {"id": run["id"]})
        message = await ws.next_of(operation, seconds=10)
    assert message["type"] == "error"
    assert message["payload"][0]["extensions"]["code"] == "NOT_FOUND"
