"""The gateway's pooled sessions to its servers end when they should: when the server is
uninstalled, reinstalled, changed or deleted, after an idle period, and at shutdown.
Each test sees the real stdio server process (its ``pid`` tool) stop."""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest

from atrium.resolvers.mcp import recording
from atrium.resolvers.mcp.connections import pool
from atrium.resolvers.mcp.recording import recorder
from atrium.web.mcp_gateway import close_mcp
from tests.helpers import GraphQLClient, TestUser, make_api_key
from tests.schema.mcp.factories import (
    UPDATE,
    act,
    alive,
    installed_local,
    make_gateway,
    mcp_client,
    owner_and_org,
    wait_installed,
    wait_stopped,
)


@dataclass
class Gateway:
    owner: TestUser
    server: dict[str, Any]
    gateway_id: str
    url: str
    key: str

    @contextlib.asynccontextmanager
    async def client(self) -> AsyncIterator[Callable[..., Awaitable[Any]]]:
        """A function calling the server's tools through the gateway, in one MCP session."""
        async with mcp_client(self.url, self.key) as session:
            names = [t.name for t in (await session.list_tools()).tools]
            prefix = next(n for n in names if n.endswith("__pid")).split("__")[0]

            async def call(tool: str, **arguments: Any) -> Any:
                result = await session.call_tool(f"{prefix}__{tool}", arguments)
                assert not result.is_error, result
                return result.structured_content["result"]  # type: ignore[index]

            yield call

    async def call(self, tool: str, **arguments: Any) -> Any:
        async with self.client() as call:
            return await call(tool, **arguments)

    async def pid(self) -> int:
        pid = int(await self.call("pid"))
        assert alive(pid) and pid != os.getpid()
        return pid


async def _gateway(client: GraphQLClient, base_url: str, **server: Any) -> Gateway:
    owner, org = await owner_and_org(client)
    installed = await installed_local(client, owner, org, **server)
    gateway = await make_gateway(client, owner, org, [installed["id"]])
    _, key = await make_api_key(client, org, owner, "WRITE")
    return Gateway(owner, installed, gateway["id"], base_url + gateway["endpointPath"], key)


async def _act(client: GraphQLClient, gateway: Gateway, field: str) -> None:
    await client.mutate(
        field, act(field), {"input": {"id": gateway.server["id"]}}, token=gateway.owner.token
    )


async def test_uninstalling_a_server_stops_the_gateway_s_session(
    client: GraphQLClient, base_url: str
) -> None:
    gateway = await _gateway(client, base_url)
    pid = await gateway.pid()
    assert await gateway.pid() == pid  # one pooled session serves every call
    await _act(client, gateway, "uninstallMcpServer")
    await wait_stopped(pid)


async def test_reinstalling_stops_the_old_session_and_calls_reach_the_new_installation(
    client: GraphQLClient, base_url: str
) -> None:
    gateway = await _gateway(client, base_url)
    pid = await gateway.pid()
    await _act(client, gateway, "reinstallMcpServer")
    await wait_stopped(pid)
    settled = await wait_installed(client, gateway.owner, gateway.server["id"])
    assert settled["installationStatus"] == "INSTALLED"
    assert await gateway.pid() != pid


async def test_changing_how_a_server_runs_restarts_it_and_other_changes_do_not(
    client: GraphQLClient, base_url: str
) -> None:
    gateway = await _gateway(client, base_url, env={"GREETING": "hello"})
    pid = await gateway.pid()

    async def update(**fields: Any) -> None:
        await client.mutate(
            "updateMcpServer",
            UPDATE,
            {"input": {"id": gateway.server["id"], **fields}},
            token=gateway.owner.token,
        )

    await update(description="Only the description changes")
    assert await gateway.pid() == pid
    await update(env={"GREETING": "bonjour"})
    await wait_stopped(pid)
    assert await gateway.call("echo_env", name="GREETING") == "bonjour"


async def test_deleting_a_server_stops_its_session(client: GraphQLClient, base_url: str) -> None:
    gateway = await _gateway(client, base_url)
    pid = await gateway.pid()
    await client.mutate(
        "deleteMcpServer",
        "mutation($input: McpServerIdInput!) { deleteMcpServer(input: $input) "
        "{ deletedId userErrors { field message code } } }",
        {"input": {"id": gateway.server["id"]}},
        token=gateway.owner.token,
    )
    await wait_stopped(pid)


async def test_an_idle_session_is_closed_but_not_under_a_call(
    client: GraphQLClient, base_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pool(), "idle_seconds", 1.0)
    gateway = await _gateway(client, base_url)
    async with gateway.client() as call:
        pid = await call("pid")
        # a call lasting longer than the idle period keeps its session
        assert await call("slow", seconds=2.5) == "slept 2.5"
        assert await call("pid") == pid
    # which closes once it has been idle that long
    await wait_stopped(pid)
    assert gateway.server["id"] not in pool()
    assert await gateway.pid() != pid  # and the next call connects again


async def test_shutting_down_stops_the_servers_and_writes_the_calls_still_queued(
    client: GraphQLClient, base_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    gateway = await _gateway(client, base_url)
    await recorder().flush()
    monkeypatch.setattr(recording, "BATCH_SECONDS", 2.0)  # the calls wait to be written
    pid = await gateway.pid()
    await close_mcp()
    assert not alive(pid) and len(pool()) == 0
    calls = await client.execute(
        "query($id: ID!) { mcpGateway(id: $id) { toolCalls { totalCount } } }",
        {"id": gateway.gateway_id},
        token=gateway.owner.token,
    )
    assert calls.data["mcpGateway"]["toolCalls"]["totalCount"] == 1
