"""The MCP lists cost the same number of SQL statements whatever their page size."""

from __future__ import annotations

from typing import Any

from atrium.models.mcp import McpToolCall, McpToolCallOutcome
from tests.helpers import GraphQLClient, count_statements, db_session
from tests.schema.mcp.factories import create_server, local_input, make_gateway, owner_and_org

SERVERS = """
query($n: Int!, $org: ID!) {
  mcpServers(organizationId: $org, first: $n) {
    totalCount nodes { id name team { id } author { id name } organization { id } tools { name } }
  }
}
"""
GATEWAYS = """
query($n: Int!, $org: ID!) {
  mcpGateways(organizationId: $org, first: $n) {
    totalCount
    nodes {
      id agent { id labels { key } } servers { id author { id } } tools { name server { id } }
      toolCalls(first: $n) { totalCount nodes { toolName caller { id } server { id name } } }
    }
  }
}
"""


async def _count(
    client: GraphQLClient, app: Any, query: str, variables: dict[str, Any], token: str
) -> tuple[dict[str, Any], int]:
    with count_statements(app) as statements:
        response = await client.execute(query, variables, token=token)
    return response.data, len(statements)


async def test_registry_and_gateway_lists_do_not_query_per_row(
    client: GraphQLClient, app: Any
) -> None:
    owner, org = await owner_and_org(client)
    servers = [await create_server(client, owner, local_input(org)) for _ in range(6)]
    gateways = [
        await make_gateway(client, owner, org, [s["id"] for s in servers[i : i + 3]])
        for i in range(3)
    ]
    async with db_session(app) as session:
        for gateway in gateways:
            for i in range(6):
                session.add(
                    McpToolCall(
                        organization_id=org,
                        gateway_id=gateway["id"],
                        server_id=servers[i]["id"],
                        tool_name=f"t__{i}",
                        user_id=owner.id,
                        duration_ms=1.0,
                        outcome=McpToolCallOutcome.SUCCESS,
                    )
                )
        await session.commit()

    for query, small_n, large_n in ((SERVERS, 2, 6), (GATEWAYS, 1, 3)):
        await client.execute(query, {"n": small_n, "org": org}, token=owner.token)  # warm
        small, at_small = await _count(client, app, query, {"n": small_n, "org": org}, owner.token)
        large, at_large = await _count(client, app, query, {"n": large_n, "org": org}, owner.token)
        field = "mcpServers" if query is SERVERS else "mcpGateways"
        assert len(small[field]["nodes"]) == small_n and len(large[field]["nodes"]) == large_n
        assert at_small == at_large, (field, at_small, at_large)
    calls = large["mcpGateways"]["nodes"][0]["toolCalls"]
    assert calls["totalCount"] == 6 and len(calls["nodes"]) == 3
    assert all(c["caller"]["id"] == owner.id and c["server"]["name"] for c in calls["nodes"])
