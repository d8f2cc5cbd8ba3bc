"""Which servers a gateway exposes to whom. A gateway serves each caller the assigned
servers that caller may see in the registry, as Archestra scopes its installations: an
admin's PERSONAL server assigned to the organization's gateway runs (with its author's
secrets) for its author alone; a TEAM server for its team and the organization's admins.
Assigning servers checks them all in one statement."""

from __future__ import annotations

from typing import Any

import pytest
from mcp.shared.exceptions import MCPError

from tests.helpers import (
    GraphQLClient,
    TestUser,
    add_member,
    add_to_team,
    count_statements,
    make_api_key,
    make_org,
    make_service_account,
    make_team,
    user_error,
)
from tests.schema.mcp.factories import (
    CREATE_AGENT,
    SET_SERVERS,
    create_server,
    installed_local,
    local_input,
    make_gateway,
    mcp_client,
    owner_and_org,
)

TOOLS = "query($id: ID!) { mcpGateway(id: $id) { servers { id } tools { name } } }"


def _prefix(server: dict[str, Any]) -> str:
    return str(server["name"]).replace(" ", "_").lower()


async def _listed(url: str, key: str) -> set[str]:
    async with mcp_client(url, key) as session:
        return {tool.name.split("__")[0] for tool in (await session.list_tools()).tools}


async def test_a_gateway_exposes_to_each_caller_only_the_servers_they_may_see(
    client: GraphQLClient, base_url: str
) -> None:
    # given an organization's gateway with the admin's PERSONAL server, a TEAM server and
    # an ORG server assigned to it
    owner, org = await owner_and_org(client)
    team = await make_team(client, org, owner)
    personal = await installed_local(client, owner, org, scope="PERSONAL", env={"WHOSE": "own"})
    teams = await installed_local(client, owner, org, scope="TEAM", teamId=team["id"])
    shared = await installed_local(client, owner, org)
    gateway = await make_gateway(client, owner, org, [personal["id"], teams["id"], shared["id"]])
    url = base_url + gateway["endpointPath"]
    member = await add_member(client, org, owner)
    teammate = await add_member(client, org, owner, name="Teammate")
    await add_to_team(client, team["id"], owner, teammate.id)
    account = await make_service_account(client, org, owner, role="ADMIN")

    async def key(user: TestUser, **extra: Any) -> str:
        return (await make_api_key(client, org, user, "WRITE", **extra))[1]

    # then its author gets all three, and the personal one runs with the author's settings
    owner_key = await key(owner)
    assert await _listed(url, owner_key) == {_prefix(s) for s in (personal, teams, shared)}
    async with mcp_client(url, owner_key) as session:
        mine = await session.call_tool(f"{_prefix(personal)}__echo_env", {"name": "WHOSE"})
        assert mine.content[0].text == "own"  # type: ignore[union-attr]
    # a member neither sees nor calls the admin's personal server, nor the team's
    member_key = await key(member)
    assert await _listed(url, member_key) == {_prefix(shared)}
    async with mcp_client(url, member_key) as session:
        for server in (personal, teams):
            with pytest.raises(MCPError, match="Unknown tool"):
                await session.call_tool(f"{_prefix(server)}__echo_env", {"name": "WHOSE"})
    seen = await client.execute(TOOLS, {"id": gateway["id"]}, token=member.token)
    assert [s["id"] for s in seen.data["mcpGateway"]["servers"]] == [shared["id"]]
    assert {t["name"].split("__")[0] for t in seen.data["mcpGateway"]["tools"]} == {_prefix(shared)}
    # the team's member gets the team's server; a service account all but the personal one
    assert await _listed(url, await key(teammate)) == {_prefix(teams), _prefix(shared)}
    account_key = await key(owner, service_account_id=account["id"])
    assert await _listed(url, account_key) == {_prefix(teams), _prefix(shared)}


async def test_assigning_servers_checks_them_in_one_statement(
    client: GraphQLClient, app: Any
) -> None:
    owner, org = await owner_and_org(client)
    ids = [(await create_server(client, owner, local_input(org)))["id"] for _ in range(5)]
    agent = await client.mutate(
        "createAgent",
        CREATE_AGENT,
        {"input": {"organizationId": org, "name": "gateway", "type": "MCP_GATEWAY"}},
        token=owner.token,
    )
    gateway_id = agent["agent"]["id"]
    reads: list[int] = []
    for chosen in (ids[:1], ids):
        with count_statements(app) as statements:
            payload = await client.mutate(
                "setMcpGatewayServers",
                SET_SERVERS,
                {"input": {"gatewayId": gateway_id, "serverIds": chosen}},
                token=owner.token,
            )
        assert [s["id"] for s in payload["mcpGateway"]["servers"]] == chosen
        reads.append(len([s for s in statements if s.lstrip().upper().startswith("SELECT")]))
    assert reads[0] == reads[1]


async def test_servers_the_caller_cannot_see_are_not_found_where_they_are_given(
    client: GraphQLClient,
) -> None:
    owner, org = await owner_and_org(client)
    admin = await add_member(client, org, owner, "ADMIN")
    mine = await create_server(client, owner, local_input(org))
    theirs = await create_server(client, admin, local_input(org, scope="PERSONAL"))
    stranger = await owner_and_org(client)
    elsewhere = await create_server(client, stranger[0], local_input(stranger[1]))
    other_org = await make_org(client, owner)
    foreign = await create_server(client, owner, local_input(other_org["id"]))
    gateway = await make_gateway(client, owner, org, [])
    for hidden in (theirs, elsewhere, foreign):
        response = await client.execute(
            SET_SERVERS,
            {"input": {"gatewayId": gateway["id"], "serverIds": [mine["id"], hidden["id"]]}},
            token=owner.token,
        )
        error = user_error(response.data["setMcpGatewayServers"])
        assert error["code"] == "NOT_FOUND" and error["field"] == ["serverIds", "1"], error
