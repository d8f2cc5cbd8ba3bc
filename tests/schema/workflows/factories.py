"""Building workflows and runs through the API, and waiting for runs to settle."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from tests.helpers import GraphQLClient, TestUser, make_org, make_user, unique

RUN_FIELDS = """
id workflowName status message error startedAt finishedAt
nodes { nodeId kind status attempts iteration output outputText error skipReason }
events { sequence type nodeId status data }
"""

SAVE = """
mutation($input: SaveWorkflowInput!) {
  saveWorkflow(input: $input) {
    workflow { name source nodes { id kind dependsOn triggerRule when } }
    userErrors { field message code }
  }
}
"""

RUN = f"""
mutation($input: RunWorkflowInput!) {{
  runWorkflow(input: $input) {{ run {{ {RUN_FIELDS} }} userErrors {{ field message code }} }}
}}
"""

GET_RUN = f"query($id: ID!) {{ workflowRun(id: $id) {{ {RUN_FIELDS} }} }}"

STEER = """
mutation {name}($input: {input}!) {{
  {field}(input: $input) {{
    run {{ id status error }} deletedId userErrors {{ field message code }}
  }}
}}
"""


def steer(field: str, input_type: str = "WorkflowRunIdInput") -> str:
    return STEER.format(name=field[0].upper() + field[1:], input=input_type, field=field)


async def owner_and_org(client: GraphQLClient) -> tuple[TestUser, str]:
    owner = await make_user(client)
    org = await make_org(client, owner)
    return owner, org["id"]


async def save_workflow(
    client: GraphQLClient, owner: TestUser, org: str, definition: dict[str, Any]
) -> dict[str, Any]:
    name = definition.setdefault("name", unique("wf-").replace(" ", "-"))
    payload = await client.mutate(
        "saveWorkflow",
        SAVE,
        {"input": {"organizationId": org, "name": name, "definition": definition}},
        token=owner.token,
    )
    return payload["workflow"]  # type: ignore[no-any-return]


async def start_run(
    client: GraphQLClient, owner: TestUser, org: str, name: str, **extra: Any
) -> dict[str, Any]:
    payload = await client.mutate(
        "runWorkflow",
        RUN,
        {"input": {"organizationId": org, "workflowName": name, **extra}},
        token=owner.token,
    )
    return payload["run"]  # type: ignore[no-any-return]


async def get_run(client: GraphQLClient, owner: TestUser, run_id: str) -> dict[str, Any]:
    return (await client.execute(GET_RUN, {"id": run_id}, token=owner.token)).data["workflowRun"]  # type: ignore[no-any-return]


async def wait_for_run(
    client: GraphQLClient,
    owner: TestUser,
    run_id: str,
    statuses: tuple[str, ...] = ("COMPLETED", "FAILED", "CANCELLED"),
    seconds: float = 20.0,
) -> dict[str, Any]:
    """Poll until the run reaches one of ``statuses`` (the test app runs the worker)."""
    deadline = time.monotonic() + seconds
    while True:
        run = await get_run(client, owner, run_id)
        if run["status"] in statuses:
            return run
        assert time.monotonic() < deadline, f"run stuck in {run['status']}: {run}"
        await asyncio.sleep(0.05)


async def wait_for_node(
    client: GraphQLClient, owner: TestUser, run_id: str, node_id: str, status: str
) -> dict[str, Any]:
    deadline = time.monotonic() + 20
    while True:
        run = await get_run(client, owner, run_id)
        node = next(n for n in run["nodes"] if n["nodeId"] == node_id)
        if node["status"] == status:
            return run
        assert time.monotonic() < deadline, f"node {node_id} stuck in {node['status']}"
        await asyncio.sleep(0.05)


def node(run: dict[str, Any], node_id: str) -> dict[str, Any]:
    return next(n for n in run["nodes"] if n["nodeId"] == node_id)
