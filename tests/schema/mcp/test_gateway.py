"""MCP gateways at /mcp/{gatewayId}, driven by the ``mcp`` SDK's own client over real HTTP,
forwarding to a real MCP server process (stdio, and streamable HTTP)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from mcp.shared.exceptions import MCPError
from mcp_types import REQUEST_TIMEOUT

from atrium.resolvers.mcp.recording import recorder
from tests.helpers import GraphQLClient, make_api_key, make_org, make_team, make_user, unique
from tests.schema.llm.factories import GET_LIMIT, make_limit
from tests.schema.mcp.factories import (
    create_server,
    http_mcp_server,
    install,
    installed_local,
    make_gateway,
    mcp_client,
    owner_and_org,
)

CALLS = """
query($id: ID!) {
  mcpGateway(id: $id) {
    id endpointPath tools { name }
    toolCalls(first: 10) {
      totalCount
      nodes { id toolName outcome durationMs error apiKeyId caller { id } server { id } }
    }
  }
}
"""


async def _setup(client: GraphQLClient, **server: Any) -> tuple[Any, str, dict[str, Any], str]:
    owner, org = await owner_and_org(client)
    installed = await installed_local(client, owner, org, **server)
    gateway = await make_gateway(client, owner, org, [installed["id"]])
    _, key = await make_api_key(client, org, owner, "WRITE")
    return owner, org, gateway, key


def _prefix(gateway: dict[str, Any]) -> str:
    return str(gateway["tools"][0]["name"].split("__")[0])


async def test_the_sdk_client_lists_and_calls_tools_and_calls_are_recorded(
    client: GraphQLClient, base_url: str
) -> None:
    owner, _, gateway, key = await _setup(client)
    prefix = _prefix(gateway)
    assert gateway["endpointPath"] == f"/mcp/{gateway['id']}"
    async with mcp_client(base_url + gateway["endpointPath"], key) as session:
        tools = await session.list_tools()
        names = sorted(t.name for t in tools.tools)
        assert names == sorted(
            f"{prefix}__{n}" for n in ("add", "echo", "echo_env", "fail", "pid", "slow")
        )
        add = next(t for t in tools.tools if t.name == f"{prefix}__add")
        assert add.description == "Add two numbers." and "a" in add.input_schema["properties"]
        result = await session.call_tool(f"{prefix}__add", {"a": 2, "b": 3})
        assert not result.is_error and result.structured_content == {"result": 5.0}
        echoed = await session.call_tool(f"{prefix}__echo", {"text": "héllo"})
        assert echoed.content[0].text == "héllo"  # type: ignore[union-attr]
        failed = await session.call_tool(f"{prefix}__fail", {"message": "boom"})
        assert failed.is_error and "boom" in failed.content[0].text  # type: ignore[union-attr]
        with pytest.raises(MCPError, match="Unknown tool"):
            await session.call_tool(f"{prefix}__nope", {})

    await recorder().flush()  # calls are recorded off the call's path
    calls = (await client.execute(CALLS, {"id": gateway["id"]}, token=owner.token)).data
    recorded = calls["mcpGateway"]["toolCalls"]
    assert recorded["totalCount"] == 3  # an unknown tool never reached a server
    newest_first = [(c["toolName"], c["outcome"]) for c in recorded["nodes"]]
    assert newest_first == [
        (f"{prefix}__fail", "ERROR"),
        (f"{prefix}__echo", "SUCCESS"),
        (f"{prefix}__add", "SUCCESS"),
    ]
    last = recorded["nodes"][0]
    assert last["caller"]["id"] == owner.id and last["apiKeyId"].startswith("key_")
    assert last["durationMs"] > 0 and "boom" in last["error"]
    assert last["server"]["id"] == gateway["servers"][0]["id"]

    metrics = await client.http.get("/metrics")
    line = f'mcp_tool_calls_total{{gateway="{gateway["id"]}"'
    assert any(
        row.startswith(line) and 'outcome="SUCCESS"' in row and row.endswith(" 1.0")
        for row in metrics.text.splitlines()
        if f'tool="{prefix}__add"' in row
    ), metrics.text[-2000:]


async def test_a_slow_tool_times_out_as_a_clean_mcp_error(
    client: GraphQLClient, base_url: str
) -> None:
    owner, _, gateway, key = await _setup(client, timeoutSeconds=0.5)
    prefix = _prefix(gateway)
    async with mcp_client(base_url + gateway["endpointPath"], key) as session:
        with pytest.raises(MCPError) as raised:
            await session.call_tool(f"{prefix}__slow", {"seconds": 30})
        assert raised.value.code == REQUEST_TIMEOUT and "timed out" in raised.value.message
        # the gateway's connection to the server is still good
        echoed = await session.call_tool(f"{prefix}__echo", {"text": "still here"})
        assert echoed.content[0].text == "still here"  # type: ignore[union-attr]
    await recorder().flush()  # calls are recorded off the call's path
    calls = (await client.execute(CALLS, {"id": gateway["id"]}, token=owner.token)).data
    outcomes = [c["outcome"] for c in calls["mcpGateway"]["toolCalls"]["nodes"]]
    assert outcomes == ["SUCCESS", "TIMEOUT"]


async def test_keys_are_checked_before_any_mcp(client: GraphQLClient, base_url: str) -> None:
    owner, org, gateway, _ = await _setup(client)
    url = base_url + gateway["endpointPath"]
    body = {"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}}
    headers = {"Accept": "application/json, text/event-stream"}
    async with httpx.AsyncClient() as http:
        anonymous = await http.post(url, json=body, headers=headers)
        assert anonymous.status_code == 401 and "WWW-Authenticate" in anonymous.headers
        forged = await http.post(
            url, json=body, headers={**headers, "Authorization": "Bearer sk_live_forged0000000"}
        )
        assert forged.status_code == 401
        stranger = await make_user(client)
        other = await make_org(client, stranger)
        _, foreign_key = await make_api_key(client, other["id"], stranger, "WRITE")
        hidden = await http.post(
            url, json=body, headers={**headers, "Authorization": f"Bearer {foreign_key}"}
        )
        assert hidden.status_code == 404
    seen = await client.execute(CALLS, {"id": gateway["id"]}, token=stranger.token)
    assert seen.codes == ["NOT_FOUND"]
    with pytest.raises(Exception):  # noqa: B017 - the SDK wraps the 401 its own way
        async with mcp_client(url, "sk_live_forged0000000") as session:
            await session.list_tools()

    # a READ key lists tools but may not call them
    _, read_key = await make_api_key(client, org, owner, "READ")
    async with mcp_client(url, read_key) as session:
        assert (await session.list_tools()).tools
        with pytest.raises(MCPError, match="does not allow"):
            await session.call_tool(f"{_prefix(gateway)}__echo", {"text": "x"})


async def test_a_remote_server_behind_a_gateway(client: GraphQLClient, base_url: str) -> None:
    owner, org = await owner_and_org(client)
    async with http_mcp_server() as url:
        server = await create_server(
            client,
            owner,
            {
                "organizationId": org,
                "name": unique("Remote Tools "),
                "serverType": "REMOTE",
                "url": url,
            },
        )
        assert (await install(client, owner, server["id"]))["installationStatus"] == "INSTALLED"
        gateway = await make_gateway(client, owner, org, [server["id"]])
        _, key = await make_api_key(client, org, owner, "WRITE")
        prefix = _prefix(gateway)
        assert prefix.startswith("remote_tools_")
        async with mcp_client(base_url + gateway["endpointPath"], key) as session:
            result = await session.call_tool(f"{prefix}__add", {"a": 1.5, "b": 2})
            assert result.structured_content == {"result": 3.5}


async def test_a_tool_calls_limit_refuses_the_call_past_it(
    client: GraphQLClient, base_url: str
) -> None:
    # given an organization limited to 2 tool calls a day
    owner, org, gateway, key = await _setup(client)
    prefix = _prefix(gateway)
    limit = await make_limit(
        client, owner, org, 2, limitType="TOOL_CALLS", entityType="ORGANIZATION", entityId=org
    )
    async with mcp_client(base_url + gateway["endpointPath"], key) as session:
        for text in ("one", "two"):
            echoed = await session.call_tool(f"{prefix}__echo", {"text": text})
            assert echoed.content[0].text == text  # type: ignore[union-attr]
        # when a third call comes, then it is refused, naming the limit, and not forwarded
        with pytest.raises(MCPError) as refused:
            await session.call_tool(f"{prefix}__echo", {"text": "three"})
    assert limit["name"] in refused.value.message and "2 of 2" in refused.value.message
    await recorder().flush()
    calls = (await client.execute(CALLS, {"id": gateway["id"]}, token=owner.token)).data
    assert calls["mcpGateway"]["toolCalls"]["totalCount"] == 2
    used = await client.execute(GET_LIMIT, {"id": limit["id"]}, token=owner.token)
    assert used.data["usageLimit"]["used"] == 2 and used.data["usageLimit"]["exhausted"] is True


async def test_a_team_tool_calls_limit_covers_the_team_s_gateway(
    client: GraphQLClient, base_url: str
) -> None:
    # given a gateway of a team limited to 1 tool call
    owner, org = await owner_and_org(client)
    installed = await installed_local(client, owner, org)
    team = await make_team(client, org, owner)
    gateway = await make_gateway(client, owner, org, [installed["id"]], teamIds=[team["id"]])
    _, key = await make_api_key(client, org, owner, "WRITE")
    await make_limit(
        client, owner, org, 1, limitType="TOOL_CALLS", entityType="TEAM", entityId=team["id"]
    )
    async with mcp_client(base_url + gateway["endpointPath"], key) as session:
        await session.call_tool(f"{_prefix(gateway)}__echo", {"text": "one"})
        # then the second call is refused by the team's limit
        with pytest.raises(MCPError, match="Usage limit"):
            await session.call_tool(f"{_prefix(gateway)}__echo", {"text": "two"})
