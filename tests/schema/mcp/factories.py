"""Registry entries, installs and gateways through the API, and the test MCP server."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx2
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client

from tests.helpers import GraphQLClient, TestUser, make_org, make_user, unique
from tests.support.redis_server import free_port

SERVER_SCRIPT = str(Path(__file__).resolve().parents[2] / "support" / "mcp_server.py")
ERRORS = "userErrors { field message code }"
SERVER_FIELDS = """
id name version description serverType scope command args env url docsUrl
authFields { name description required hasValue } configuredSecrets timeoutSeconds
installationStatus installationError installedAt toolCount
tools { name description inputSchema }
"""

CREATE = f"""
mutation($input: CreateMcpServerInput!) {{
  createMcpServer(input: $input) {{ mcpServer {{ {SERVER_FIELDS} }} {ERRORS} }}
}}
"""
UPDATE = f"""
mutation($input: UpdateMcpServerInput!) {{
  updateMcpServer(input: $input) {{ mcpServer {{ {SERVER_FIELDS} }} {ERRORS} }}
}}
"""
ACT = """
mutation {name}($input: McpServerIdInput!) {{
  {field}(input: $input) {{ mcpServer {{ id installationStatus }} {errors} }}
}}
"""
GET = f"query($id: ID!) {{ mcpServer(id: $id) {{ {SERVER_FIELDS} }} }}"
CREATE_AGENT = """
mutation($input: CreateAgentInput!) {
  createAgent(input: $input) { agent { id name type } userErrors { field message code } }
}
"""
SET_SERVERS = f"""
mutation($input: SetMcpGatewayServersInput!) {{
  setMcpGatewayServers(input: $input) {{
    mcpGateway {{ id endpointPath servers {{ id name }} tools {{ name tool {{ name }} }} }}
    {ERRORS}
  }}
}}
"""


def act(field: str) -> str:
    return ACT.format(name=field[0].upper() + field[1:], field=field, errors=ERRORS)


def local_input(org: str, **extra: Any) -> dict[str, Any]:
    return {
        "organizationId": org,
        "name": unique("tools "),
        "serverType": "LOCAL",
        "command": sys.executable,
        "args": [SERVER_SCRIPT],
        **extra,
    }


async def owner_and_org(client: GraphQLClient) -> tuple[TestUser, str]:
    owner = await make_user(client)
    org = await make_org(client, owner)
    return owner, org["id"]


async def create_server(
    client: GraphQLClient, user: TestUser, input: dict[str, Any]
) -> dict[str, Any]:
    payload = await client.mutate("createMcpServer", CREATE, {"input": input}, token=user.token)
    server: dict[str, Any] = payload["mcpServer"]
    return server


async def wait_installed(
    client: GraphQLClient, user: TestUser, server_id: str, *statuses: str
) -> dict[str, Any]:
    """Poll until the entry's status is one of ``statuses`` (default: settled)."""
    wanted = statuses or ("INSTALLED", "ERROR")
    deadline = time.monotonic() + 30
    while True:
        server = (await client.execute(GET, {"id": server_id}, token=user.token)).data["mcpServer"]
        if server["installationStatus"] in wanted:
            return server  # type: ignore[no-any-return]
        assert time.monotonic() < deadline, server
        await asyncio.sleep(0.05)


async def install(client: GraphQLClient, user: TestUser, server_id: str) -> dict[str, Any]:
    await client.mutate(
        "installMcpServer", act("installMcpServer"), {"input": {"id": server_id}}, token=user.token
    )
    return await wait_installed(client, user, server_id)


async def installed_local(
    client: GraphQLClient, user: TestUser, org: str, **extra: Any
) -> dict[str, Any]:
    server = await create_server(client, user, local_input(org, **extra))
    installed = await install(client, user, server["id"])
    assert installed["installationStatus"] == "INSTALLED", installed
    return installed


async def make_gateway(
    client: GraphQLClient, user: TestUser, org: str, server_ids: list[str], **extra: Any
) -> dict[str, Any]:
    agent = await client.mutate(
        "createAgent",
        CREATE_AGENT,
        {
            "input": {
                "organizationId": org,
                "name": unique("gateway "),
                "type": "MCP_GATEWAY",
                **extra,
            }
        },
        token=user.token,
    )
    payload = await client.mutate(
        "setMcpGatewayServers",
        SET_SERVERS,
        {"input": {"gatewayId": agent["agent"]["id"], "serverIds": server_ids}},
        token=user.token,
    )
    gateway: dict[str, Any] = payload["mcpGateway"]
    return gateway


@contextlib.asynccontextmanager
async def mcp_client(url: str, key: str) -> AsyncIterator[ClientSession]:
    """The ``mcp`` SDK's own client, initialized, speaking to a gateway with ``key``."""
    headers = {"Authorization": f"Bearer {key}"}
    async with (
        httpx2.AsyncClient(headers=headers, timeout=30) as http,
        streamable_http_client(url, http_client=http) as (read, write),
        ClientSession(read, write) as session,
    ):
        await session.initialize()
        yield session


@contextlib.asynccontextmanager
async def http_mcp_server() -> AsyncIterator[str]:
    """The test MCP server over streamable HTTP on a loopback port; yields its URL."""
    port = free_port()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        SERVER_SCRIPT,
        "--http",
        str(port),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/mcp"
    try:
        deadline = time.monotonic() + 20
        while True:  # listening once a connection is accepted
            with contextlib.suppress(OSError):
                _, writer = await asyncio.open_connection("127.0.0.1", port)
                writer.close()
                break
            assert process.returncode is None, "MCP server exited"
            assert time.monotonic() < deadline, "MCP server did not start"
            await asyncio.sleep(0.05)
        yield url
    finally:
        if process.returncode is None:
            process.terminate()
            try:
                await asyncio.wait_for(process.wait(), 10)
            except TimeoutError:
                process.kill()
                await process.wait()


def alive(pid: int) -> bool:
    """Whether a process runs (a zombie has stopped, only not been reaped yet)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


async def wait_stopped(pid: int, seconds: float = 20) -> None:
    """Poll until process ``pid`` has stopped."""
    deadline = time.monotonic() + seconds
    while alive(pid):
        assert time.monotonic() < deadline, f"MCP server process {pid} is still running"
        await asyncio.sleep(0.05)
