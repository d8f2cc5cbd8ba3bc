"""Archestra's (seed 002) MCP registry and MCP gateway routes, in its shapes."""

from __future__ import annotations

import asyncio
import sys
import time
from typing import Any

import httpx

from tests.helpers import GraphQLClient, make_api_key, make_org, make_user, unique
from tests.schema.mcp.factories import SERVER_SCRIPT

BASE = "/rest/archestra/api"


async def _key(client: GraphQLClient) -> dict[str, str]:
    owner = await make_user(client)
    org = await make_org(client, owner)
    _, secret = await make_api_key(client, org["id"], owner, "WRITE")
    return {"Authorization": f"Bearer {secret}"}


async def _settled(http: httpx.AsyncClient, auth: dict[str, str], server_id: str) -> Any:
    deadline = time.monotonic() + 30
    while True:
        status = (
            await http.get(f"{BASE}/mcp_server/{server_id}/installation-status", headers=auth)
        ).json()
        if status["status"] in ("installed", "error"):
            return status
        assert time.monotonic() < deadline, status
        await asyncio.sleep(0.05)


async def _local(http: httpx.AsyncClient, auth: dict[str, str], **extra: Any) -> Any:
    created = await http.post(
        f"{BASE}/mcp_server",
        headers=auth,
        json={
            "name": unique("Tools "),
            "serverType": "local",
            "command": sys.executable,
            "args": [SERVER_SCRIPT],
            **extra,
        },
    )
    assert created.status_code == 201, created.text
    return created.json()


async def test_registry_routes(client: GraphQLClient) -> None:
    http, auth = client.http, await _key(client)
    server = await _local(
        http,
        auth,
        version="0.1.0",
        authFields=[{"name": "TOOLS_TOKEN", "required": False}],
        secrets=[{"name": "TOOLS_TOKEN", "value": "hunter2-secret"}],
    )
    assert server["id"].startswith("mcp_") and server["serverType"] == "local"
    assert server["installationStatus"] == "not_installed" and server["scope"] == "org"
    assert server["configuredSecrets"] == ["TOOLS_TOKEN"]
    assert "hunter2-secret" not in str(server)

    listed = await http.get(
        f"{BASE}/mcp_server?name={server['name'][-8:]}&serverType=local", headers=auth
    )
    assert listed.status_code == 200, listed.text
    assert listed.json()["total"] == 1 and listed.json()["data"][0]["id"] == server["id"]
    remote = await http.get(f"{BASE}/mcp_server?serverType=remote", headers=auth)
    assert remote.json()["data"] == [] and remote.json()["total"] == 0

    installing = await http.post(f"{BASE}/mcp_server/{server['id']}/install", headers=auth)
    assert installing.status_code == 202, installing.text
    assert installing.json()["installationStatus"] == "installing"
    status = await _settled(http, auth, server["id"])
    assert status["status"] == "installed" and status["toolCount"] == 6, status
    tools = (await http.get(f"{BASE}/mcp_server/{server['id']}/tools", headers=auth)).json()
    assert {t["name"] for t in tools} >= {"add", "echo"}
    assert all("inputSchema" in t for t in tools)

    updated = await http.put(
        f"{BASE}/mcp_server/{server['id']}", headers=auth, json={"description": "New"}
    )
    assert updated.status_code == 200 and updated.json()["description"] == "New"
    reinstalled = await http.post(f"{BASE}/mcp_server/{server['id']}/reinstall", headers=auth)
    assert reinstalled.status_code == 202
    assert (await _settled(http, auth, server["id"]))["status"] == "installed"
    uninstalled = await http.post(f"{BASE}/mcp_server/{server['id']}/uninstall", headers=auth)
    assert uninstalled.json()["installationStatus"] == "not_installed"
    assert uninstalled.json()["tools"] == []

    deleted = await http.delete(f"{BASE}/mcp_server/{server['id']}", headers=auth)
    assert deleted.json()["id"] == server["id"]
    missing = await http.get(f"{BASE}/mcp_server/{server['id']}", headers=auth)
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
    invalid = await http.post(
        f"{BASE}/mcp_server", headers=auth, json={"name": "x", "serverType": "remote"}
    )
    assert invalid.status_code == 400, invalid.text


async def test_gateway_routes(client: GraphQLClient) -> None:
    http, auth = client.http, await _key(client)
    none = await http.get(f"{BASE}/mcp-gateways/default", headers=auth)
    assert none.status_code == 404, none.text

    server = await _local(http, auth)
    agent = await http.post(
        f"{BASE}/agents", headers=auth, json={"name": "Team tools", "agentType": "mcp_gateway"}
    )
    gateway_id = agent.json()["id"]
    default = await http.get(f"{BASE}/mcp-gateways/default", headers=auth)
    assert default.status_code == 200 and default.json()["id"] == gateway_id
    assert default.json()["endpointPath"] == f"/mcp/{gateway_id}"

    assigned = await http.put(
        f"{BASE}/mcp-gateways/{gateway_id}", headers=auth, json={"mcpServerIds": [server["id"]]}
    )
    assert assigned.status_code == 200, assigned.text
    assert [s["id"] for s in assigned.json()["servers"]] == [server["id"]]
    assert assigned.json()["tools"] == []  # not installed yet

    listed = (await http.get(f"{BASE}/mcp-gateways", headers=auth)).json()
    assert listed["total"] == 1 and listed["data"][0]["id"] == gateway_id
    one = (await http.get(f"{BASE}/mcp-gateways/{gateway_id}", headers=auth)).json()
    assert one["name"] == "Team tools" and one["scope"] == "org"
    calls = (await http.get(f"{BASE}/mcp-gateways/{gateway_id}/tool-calls", headers=auth)).json()
    assert calls["data"] == [] and calls["total"] == 0

    not_a_gateway = await http.post(f"{BASE}/agents", headers=auth, json={"name": "Bot"})
    wrong = await http.get(f"{BASE}/mcp-gateways/{not_a_gateway.json()['id']}", headers=auth)
    assert wrong.status_code == 404
    unknown_server = await http.put(
        f"{BASE}/mcp-gateways/{gateway_id}", headers=auth, json={"mcpServerIds": ["mcp_nope"]}
    )
    assert unknown_server.status_code == 404, unknown_server.text
