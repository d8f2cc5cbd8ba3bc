"""The MCP registry: CRUD, scopes, secrets, and installing over stdio and streamable HTTP."""

from __future__ import annotations

from sqlalchemy import select

from atrium.models.mcp import McpServer
from tests.helpers import (
    GraphQLClient,
    add_member,
    db_session,
    make_org,
    make_user,
    unique,
    user_error,
)
from tests.schema.mcp.factories import (
    GET,
    UPDATE,
    act,
    create_server,
    http_mcp_server,
    install,
    installed_local,
    local_input,
    owner_and_org,
    wait_installed,
)

LIST = """
query($name: String, $types: [McpServerType!], $statuses: [McpInstallStatus!]) {
  mcpServers(name: $name, serverTypes: $types, statuses: $statuses, first: 50) {
    totalCount nodes { id name serverType installationStatus }
  }
}
"""


async def test_create_read_update_delete(client: GraphQLClient) -> None:
    owner, org = await owner_and_org(client)
    server = await create_server(
        client,
        owner,
        local_input(
            org,
            version="1.2.0",
            description="Adds and echoes",
            docsUrl="https://example.test/docs",
            env={"MODE": "test"},
        ),
    )
    assert server["id"].startswith("mcp_")
    assert server["installationStatus"] == "NOT_INSTALLED" and server["tools"] == []
    assert server["env"] == {"MODE": "test"} and server["version"] == "1.2.0"
    fetched = (await client.execute(GET, {"id": server["id"]}, token=owner.token)).data
    assert fetched["mcpServer"]["name"] == server["name"]
    node = await client.execute(
        "query($id: ID!) { node(id: $id) { id ... on McpServer { name } } }",
        {"id": server["id"]},
        token=owner.token,
    )
    assert node.data["node"]["name"] == server["name"]

    updated = await client.mutate(
        "updateMcpServer",
        UPDATE,
        {"input": {"id": server["id"], "description": "Changed", "timeoutSeconds": 5}},
        token=owner.token,
    )
    assert updated["mcpServer"]["description"] == "Changed"
    assert updated["mcpServer"]["timeoutSeconds"] == 5

    listed = await client.execute(
        LIST, {"name": server["name"][-8:], "types": ["LOCAL"]}, token=owner.token
    )
    assert [s["id"] for s in listed.data["mcpServers"]["nodes"]] == [server["id"]]
    none = await client.execute(
        LIST, {"name": server["name"][-8:], "types": ["REMOTE"]}, token=owner.token
    )
    assert none.data["mcpServers"]["totalCount"] == 0

    deleted = await client.mutate(
        "deleteMcpServer",
        act("deleteMcpServer").replace("mcpServer { id installationStatus }", "deletedId"),
        {"input": {"id": server["id"]}},
        token=owner.token,
    )
    assert deleted["deletedId"] == server["id"]
    gone = await client.execute(GET, {"id": server["id"]}, token=owner.token)
    assert gone.codes == ["NOT_FOUND"]


async def test_validation_and_tenancy(client: GraphQLClient) -> None:
    owner, org = await owner_and_org(client)
    from tests.schema.mcp.factories import CREATE

    no_command = await client.execute(
        CREATE,
        {"input": {"organizationId": org, "name": "x", "serverType": "LOCAL"}},
        token=owner.token,
    )
    assert user_error(no_command.data["createMcpServer"])["field"] == ["command"]
    bad_url = await client.execute(
        CREATE,
        {"input": {"organizationId": org, "name": "x", "serverType": "REMOTE", "url": "ftp://x"}},
        token=owner.token,
    )
    assert user_error(bad_url.data["createMcpServer"])["code"] == "INVALID"

    server = await create_server(client, owner, local_input(org))
    stranger = await make_user(client)
    await make_org(client, stranger)
    hidden = await client.execute(GET, {"id": server["id"]}, token=stranger.token)
    assert hidden.codes == ["NOT_FOUND"]
    change = await client.execute(
        UPDATE, {"input": {"id": server["id"], "name": "mine"}}, token=stranger.token
    )
    assert user_error(change.data["updateMcpServer"])["code"] == "NOT_FOUND"

    # a PERSONAL entry is its author's alone
    member = await add_member(client, org, owner)
    personal = await create_server(client, owner, local_input(org, scope="PERSONAL"))
    seen = await client.execute(GET, {"id": personal["id"]}, token=member.token)
    assert seen.codes == ["NOT_FOUND"]
    # a member may not start commands on the host
    shared = await create_server(client, member, local_input(org))
    refused = await client.execute(
        act("installMcpServer"), {"input": {"id": shared["id"]}}, token=member.token
    )
    assert user_error(refused.data["installMcpServer"])["code"] == "FORBIDDEN"


async def test_secrets_are_stored_encrypted_and_never_returned(
    client: GraphQLClient, app: object
) -> None:
    owner, org = await owner_and_org(client)
    secret = unique("s3cr3t-")
    server = await create_server(
        client,
        owner,
        local_input(
            org,
            args=[local_input(org)["args"][0], "--require-env", "TOOLS_TOKEN"],
            authFields=[{"name": "TOOLS_TOKEN", "description": "API token", "required": True}],
        ),
    )
    assert server["authFields"] == [
        {"name": "TOOLS_TOKEN", "description": "API token", "required": True, "hasValue": False}
    ]
    missing = await client.execute(
        act("installMcpServer"), {"input": {"id": server["id"]}}, token=owner.token
    )
    assert user_error(missing.data["installMcpServer"])["code"] == "REQUIRED"

    updated = await client.mutate(
        "updateMcpServer",
        UPDATE,
        {"input": {"id": server["id"], "secrets": [{"name": "TOOLS_TOKEN", "value": secret}]}},
        token=owner.token,
    )
    assert updated["mcpServer"]["configuredSecrets"] == ["TOOLS_TOKEN"]
    assert updated["mcpServer"]["authFields"][0]["hasValue"] is True
    assert secret not in str(updated)
    async with db_session(app) as session:
        row = await session.scalar(select(McpServer).where(McpServer.id == server["id"]))
        assert row.secrets and secret not in row.secrets
    installed = await install(client, owner, server["id"])  # the server requires the env
    assert installed["installationStatus"] == "INSTALLED", installed
    assert secret not in str(installed)


async def test_install_over_stdio_lists_tools_and_uninstall_reinstall(
    client: GraphQLClient,
) -> None:
    owner, org = await owner_and_org(client)
    server = await installed_local(client, owner, org)
    names = sorted(t["name"] for t in server["tools"])
    assert names == ["add", "echo", "echo_env", "fail", "pid", "slow"]
    add = next(t for t in server["tools"] if t["name"] == "add")
    assert add["description"] == "Add two numbers."
    assert set(add["inputSchema"]["properties"]) == {"a", "b"}
    assert server["toolCount"] == 6 and server["installedAt"]

    uninstalled = await client.mutate(
        "uninstallMcpServer",
        act("uninstallMcpServer"),
        {"input": {"id": server["id"]}},
        token=owner.token,
    )
    assert uninstalled["mcpServer"]["installationStatus"] == "NOT_INSTALLED"
    again = await client.execute(
        act("reinstallMcpServer"), {"input": {"id": server["id"]}}, token=owner.token
    )
    assert user_error(again.data["reinstallMcpServer"])["code"] == "INVALID_TRANSITION"
    await install(client, owner, server["id"])
    reinstalled = await client.mutate(
        "reinstallMcpServer",
        act("reinstallMcpServer"),
        {"input": {"id": server["id"]}},
        token=owner.token,
    )
    assert reinstalled["mcpServer"]["installationStatus"] == "INSTALLING"
    settled = await wait_installed(client, owner, server["id"])
    assert settled["installationStatus"] == "INSTALLED" and settled["toolCount"] == 6


async def test_a_server_that_cannot_start_is_an_error_with_its_reason(
    client: GraphQLClient,
) -> None:
    owner, org = await owner_and_org(client)
    server = await create_server(
        client, owner, local_input(org, command="/nonexistent/atrium-mcp-server", args=[])
    )
    failed = await install(client, owner, server["id"])
    assert failed["installationStatus"] == "ERROR"
    assert failed["installationError"] and failed["tools"] == []


async def test_install_a_remote_server_over_streamable_http(client: GraphQLClient) -> None:
    owner, org = await owner_and_org(client)
    async with http_mcp_server() as url:
        server = await create_server(
            client,
            owner,
            {
                "organizationId": org,
                "name": unique("remote "),
                "serverType": "REMOTE",
                "url": url,
                "authFields": [{"name": "X-Api-Token", "required": False}],
                "secrets": [{"name": "X-Api-Token", "value": "remote-secret"}],
            },
        )
        installed = await install(client, owner, server["id"])
    assert installed["installationStatus"] == "INSTALLED", installed
    assert "echo" in {t["name"] for t in installed["tools"]}
    assert installed["configuredSecrets"] == ["X-Api-Token"]
    listed = await client.execute(
        LIST, {"name": server["name"][-8:], "statuses": ["INSTALLED"]}, token=owner.token
    )
    assert listed.data["mcpServers"]["nodes"][0]["serverType"] == "REMOTE"
