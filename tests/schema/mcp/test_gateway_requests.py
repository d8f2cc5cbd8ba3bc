"""What one request to /mcp/{gatewayId} costs: one statement for the gateway and its
servers whatever their number, no read of its teams without a TEAM limit, secrets
decrypted only for the server a call connects to; and a call's record survives the
deletion of its server."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

import pytest

from atrium.resolvers.mcp import recording, secrets
from atrium.resolvers.mcp.recording import recorder
from tests.helpers import GraphQLClient, TestUser, count_statements, make_api_key, make_team
from tests.schema.mcp.factories import (
    installed_local,
    make_gateway,
    mcp_client,
    owner_and_org,
)

TEXT = {"text": "hi"}
HEADERS = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}


def _secret_server(name: str) -> dict[str, Any]:
    return {
        "authFields": [{"name": name, "required": False}],
        "secrets": [{"name": name, "value": f"value of {name}"}],
    }


async def _servers(client: GraphQLClient, count: int) -> tuple[TestUser, str, list[str]]:
    """``count`` installed stdio servers of a new organization, each with a secret."""
    owner, org = await owner_and_org(client)
    servers = await asyncio.gather(
        *(installed_local(client, owner, org, **_secret_server(f"TOKEN_{i}")) for i in range(count))
    )
    return owner, org, [server["id"] for server in servers]


async def _gateway(
    client: GraphQLClient, owner: TestUser, org: str, ids: list[str], **gateway: Any
) -> tuple[dict[str, Any], str, list[str]]:
    """A gateway over these servers; its WRITE key; its servers' tool prefixes, in order."""
    made = await make_gateway(client, owner, org, ids, **gateway)
    _, key = await make_api_key(client, org, owner, "WRITE")
    prefixes = list(dict.fromkeys(t["name"].split("__")[0] for t in made["tools"]))
    return made, key, prefixes


async def _rpc(
    client: GraphQLClient, app: Any, gateway: dict[str, Any], key: str, method: str, **params: Any
) -> tuple[dict[str, Any], list[str]]:
    """One JSON-RPC request over the app's in-process transport, and its SQL statements."""
    body = {"jsonrpc": "2.0", "id": 1, "method": method, "params": params}
    headers = {**HEADERS, "Authorization": f"Bearer {key}"}
    await recorder().flush()  # earlier calls' records are not this request's statements
    with count_statements(app) as statements:
        response = await client.http.post(gateway["endpointPath"], json=body, headers=headers)
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    assert "error" not in answer, answer
    return answer["result"], [" ".join(s.split()) for s in statements]


def _ours(statements: list[str]) -> list[str]:
    """The statements of the gateway (not the credential check nor the limit cache)."""
    return [s for s in statements if "mcp_" in s or s.startswith("SELECT agent_teams")]


def _read(statements: list[str]) -> list[str]:
    """Without transaction control, nor the limits' definitions (cached for a few seconds,
    which a slow machine may see lapse)."""
    return [s for s in statements if not s.startswith("BEGIN") and "usage_limits" not in s]


async def test_a_request_reads_the_gateway_and_all_its_servers_in_one_statement(
    client: GraphQLClient, app: Any
) -> None:
    owner, org, ids = await _servers(client, 3)
    team = {"teamIds": [(await make_team(client, org, owner))["id"]]}
    small, small_key, _ = await _gateway(client, owner, org, ids[:1], **team)
    large, large_key, large_prefixes = await _gateway(client, owner, org, ids, **team)
    # warm up: the pooled sessions, the recorder's writer task, the limits cache, the keys
    await _rpc(client, app, small, small_key, "tools/list")
    for prefix in large_prefixes:
        await _rpc(
            client, app, large, large_key, "tools/call", name=f"{prefix}__echo", arguments=TEXT
        )

    listed, small_list = await _rpc(client, app, small, small_key, "tools/list")
    assert len(listed["tools"]) == 6
    listed, large_list = await _rpc(client, app, large, large_key, "tools/list")
    assert len(listed["tools"]) == 18
    called, large_call = await _rpc(
        client,
        app,
        large,
        large_key,
        "tools/call",
        name=f"{large_prefixes[2]}__echo_env",
        arguments={"name": "TOKEN_2"},
    )
    assert called["content"][0]["text"] == "value of TOKEN_2"
    # one statement of ours, whatever the number of servers, listing or calling; the
    # gateway's teams are not read (no TEAM limit on tool calls)
    for statements in (small_list, large_list, large_call):
        assert len(_ours(statements)) == 1, statements
    assert len(small_list) == len(large_list), (small_list, large_list)
    assert len(_read(large_call)) == len(_read(large_list)), large_call


async def test_secrets_are_decrypted_only_to_connect_to_the_server_called(
    client: GraphQLClient, base_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    gateway, key, prefixes = await _gateway(client, *await _servers(client, 2))
    decrypt = secrets.decrypt
    decrypted: Counter[str] = Counter()

    def counting(secret_key: str, token: str | None) -> dict[str, str]:
        values = decrypt(secret_key, token)
        decrypted.update(values.keys())
        return values

    monkeypatch.setattr(secrets, "decrypt", counting)
    async with mcp_client(base_url + gateway["endpointPath"], key) as session:
        assert len((await session.list_tools()).tools) == 12
        assert decrypted == Counter()  # listing tools decrypts nothing
        for _ in range(3):
            echoed = await session.call_tool(f"{prefixes[1]}__echo_env", {"name": "TOKEN_1"})
            assert echoed.content[0].text == "value of TOKEN_1"  # type: ignore[union-attr]
        assert decrypted == Counter({"TOKEN_1": 1})  # the one server called, to connect
        await session.call_tool(f"{prefixes[0]}__echo", {"text": "x"})
        assert decrypted == Counter({"TOKEN_1": 1, "TOKEN_0": 1})


async def test_a_call_whose_server_is_deleted_before_its_record_is_written_is_kept(
    client: GraphQLClient, base_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    owner, org = await owner_and_org(client)
    server = await installed_local(client, owner, org)
    gateway = await make_gateway(client, owner, org, [server["id"]])
    _, key = await make_api_key(client, org, owner, "WRITE")
    prefix = gateway["tools"][0]["name"].split("__")[0]
    await recorder().flush()
    monkeypatch.setattr(recording, "BATCH_SECONDS", 600.0)  # the record waits for flush()
    async with mcp_client(base_url + gateway["endpointPath"], key) as session:
        await session.call_tool(f"{prefix}__echo", {"text": "last words"})
    unwritten = await client.execute(
        "query($id: ID!) { mcpGateway(id: $id) { toolCalls { totalCount } } }",
        {"id": gateway["id"]},
        token=owner.token,
    )
    assert unwritten.data["mcpGateway"]["toolCalls"]["totalCount"] == 0  # still queued
    await client.mutate(
        "deleteMcpServer",
        "mutation($input: McpServerIdInput!) { deleteMcpServer(input: $input) "
        "{ deletedId userErrors { field message code } } }",
        {"input": {"id": server["id"]}},
        token=owner.token,
    )
    await recorder().flush()
    calls = await client.execute(
        "query($id: ID!) { mcpGateway(id: $id) { toolCalls(first: 5) { totalCount "
        "nodes { toolName outcome server { id } caller { id } } } } }",
        {"id": gateway["id"]},
        token=owner.token,
    )
    recorded = calls.data["mcpGateway"]["toolCalls"]
    assert recorded["totalCount"] == 1
    assert recorded["nodes"][0] == {
        "toolName": f"{prefix}__echo",
        "outcome": "SUCCESS",
        "server": None,
        "caller": {"id": owner.id},
    }


async def test_a_request_only_reads_and_notes_the_key_s_last_use_afterwards(
    client: GraphQLClient, app: Any
) -> None:
    owner, org = await owner_and_org(client)
    gateway, key, _ = await _gateway(client, owner, org, [])
    sqlite = app.state.atrium.db.is_sqlite
    listed, first = await _rpc(client, app, gateway, key, "tools/list")
    assert listed["tools"] == []
    # the key, the gateway and its servers are read in a read-only transaction (on SQLite
    # a deferred one, which waits for no writer); the key's first use is written after it
    updates = [s for s in first if s.startswith("UPDATE")]
    assert len(updates) == 1 and updates[0].startswith("UPDATE api_keys"), first
    if sqlite:
        assert first[0] == "BEGIN" and first.index("BEGIN IMMEDIATE") > 2, first
    _, second = await _rpc(client, app, gateway, key, "tools/list")
    assert not [s for s in second if s.startswith(("UPDATE", "BEGIN IMMEDIATE"))], second
    keys = await client.execute(
        "query($id: ID!) { organization(id: $id) { apiKeys { nodes { lastUsedAt } } } }",
        {"id": org},
        token=owner.token,
    )
    (stamped,) = keys.data["organization"]["apiKeys"]["nodes"]
    assert stamped["lastUsedAt"] is not None
