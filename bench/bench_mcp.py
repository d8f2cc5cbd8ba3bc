"""MCP gateway overhead per tool call, against calling the MCP server directly.

The server is the test MCP server (``tests/support/mcp_server.py``, the SDK's MCPServer),
its ``echo`` tool answering at once, so the time is transport and gateway. Both sides use
the ``mcp`` SDK's client with one session kept open, calling ``echo`` N times:

* direct: the client speaks to the server itself — over stdio (a process it starts), and
  over streamable HTTP (the server started on a loopback port);
* gateway: the client speaks streamable HTTP to ``/mcp/{gatewayId}`` of an Atrium app
  (uvicorn on loopback, temporary SQLite database, API key auth), which forwards to the
  same kind of server registered LOCAL (stdio) or REMOTE (HTTP) and records each call.

Direct and gateway calls alternate in blocks so that drift of the machine hits both. The
overhead is the gateway's median minus the direct median, per call; the ratio is
gateway / direct. For scale, the run also times the cheapest authenticated Atrium request
(GraphQL ``{ __typename }`` with the same key): a gateway call pays that credential check
and its read-only transaction too. Temporary folders and server processes are removed.

    python -m bench.bench_mcp [--calls 300] [--block 25] [--transports stdio,http]
        [--database-url postgresql+asyncpg://u:p@host/db]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import socket
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

SERVER_SCRIPT = str(Path(__file__).resolve().parents[1] / "tests" / "support" / "mcp_server.py")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.asynccontextmanager
async def _http_server() -> AsyncIterator[str]:
    port = _free_port()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        SERVER_SCRIPT,
        "--http",
        str(port),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                _, writer = await asyncio.open_connection("127.0.0.1", port)
                writer.close()
                break
            except OSError:
                assert time.monotonic() < deadline, "MCP server did not start"
                await asyncio.sleep(0.05)
        yield f"http://127.0.0.1:{port}/mcp"
    finally:
        process.terminate()
        await process.wait()


@contextlib.asynccontextmanager
async def _session(*, url: str | None = None, key: str | None = None) -> AsyncIterator[Any]:
    import httpx2
    from mcp import ClientSession, StdioServerParameters, stdio_client
    from mcp.client.streamable_http import streamable_http_client

    if url is None:
        params = StdioServerParameters(command=sys.executable, args=[SERVER_SCRIPT])
        async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
            await session.initialize()
            yield session
        return
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    async with (
        httpx2.AsyncClient(headers=headers, timeout=30) as http,
        streamable_http_client(url, http_client=http) as (read, write),
        ClientSession(read, write) as session,
    ):
        await session.initialize()
        yield session


@contextlib.asynccontextmanager
async def _atrium(url: str) -> AsyncIterator[tuple[str, Callable[..., Awaitable[Any]]]]:
    """An Atrium app on loopback over the database ``url``; yields its base URL and a
    GraphQL caller. Its data folder is removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="atrium-bench-mcp-") as folder:
        async with _atrium_in(url, Path(folder)) as served:
            yield served


@contextlib.asynccontextmanager
async def _atrium_in(
    url: str, folder: Path
) -> AsyncIterator[tuple[str, Callable[..., Awaitable[Any]]]]:
    import httpx
    import uvicorn

    from atrium.app import create_app
    from atrium.core.config import Environment, Settings
    from atrium.web.mcp_gateway import close_mcp

    settings = Settings(
        env=Environment.TEST,
        database_url=url,
        secret_key="bench-secret-key-that-is-long-enough-0123456789",
        redis_url=None,
        rate_limit_free_per_hour=1_000_000,
        argon2_time_cost=1,
        argon2_memory_kib=1024,
        log_json=False,
        log_level="WARNING",
        data_dir=folder / "data",
    )
    app = create_app(settings)
    await app.state.atrium.services.start()
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    task = asyncio.create_task(server.serve())
    base = f"http://127.0.0.1:{port}"
    try:
        while not server.started:
            assert not task.done(), "Atrium did not start"
            await asyncio.sleep(0.01)
        async with httpx.AsyncClient(base_url=base, timeout=30) as http:

            async def gql(query: str, variables: dict[str, Any], token: str = "") -> Any:
                headers = {"Authorization": f"Bearer {token}"} if token else {}
                response = await http.post(
                    "/graphql", json={"query": query, "variables": variables}, headers=headers
                )
                body = response.json()
                assert "errors" not in body, body
                return body["data"]

            yield base, gql
    finally:
        server.should_exit = True
        await task
        await close_mcp()  # as the app's shutdown does: stop the servers the gateway started
        await app.state.atrium.services.close()


async def _gateway(
    gql: Callable[..., Awaitable[Any]], transports: list[str], http_url: str
) -> tuple[str, dict[str, str]]:
    """A user, organization, key, one server per transport installed, one gateway each."""
    token = (
        await gql(
            "mutation($e: String!) { register(input: {email: $e, password: "
            '"long-password-1"}) { accessToken } }',
            {"e": "bench@example.com"},
        )
    )["register"]["accessToken"]
    org = (
        await gql(
            'mutation { createOrganization(input: {name: "Bench"}) { organization { id } } }',
            {},
            token,
        )
    )["createOrganization"]["organization"]["id"]
    key = (
        await gql(
            "mutation($i: CreateApiKeyInput!) { createApiKey(input: $i) { secret } }",
            {"i": {"organizationId": org, "name": "bench", "scope": "WRITE"}},
            token,
        )
    )["createApiKey"]["secret"]
    gateways: dict[str, str] = {}
    for transport in transports:
        spec: dict[str, Any] = (
            {"serverType": "LOCAL", "command": sys.executable, "args": [SERVER_SCRIPT]}
            if transport == "stdio"
            else {"serverType": "REMOTE", "url": http_url}
        )
        server = (
            await gql(
                "mutation($i: CreateMcpServerInput!) { createMcpServer(input: $i) "
                "{ mcpServer { id } userErrors { message } } }",
                {"i": {"organizationId": org, "name": f"{transport} tools", **spec}},
                token,
            )
        )["createMcpServer"]["mcpServer"]["id"]
        await gql(
            "mutation($i: McpServerIdInput!) { installMcpServer(input: $i) "
            "{ userErrors { message } } }",
            {"i": {"id": server}},
            token,
        )
        deadline = time.monotonic() + 60
        while True:
            status = (
                await gql(
                    "query($id: ID!) { mcpServer(id: $id) { installationStatus installationError } }",
                    {"id": server},
                    token,
                )
            )["mcpServer"]
            if status["installationStatus"] in ("INSTALLED", "ERROR"):
                assert status["installationStatus"] == "INSTALLED", status
                break
            assert time.monotonic() < deadline, status
            await asyncio.sleep(0.05)
        agent = (
            await gql(
                "mutation($i: CreateAgentInput!) { createAgent(input: $i) { agent { id } } }",
                {
                    "i": {
                        "organizationId": org,
                        "name": f"{transport} gateway",
                        "type": "MCP_GATEWAY",
                    }
                },
                token,
            )
        )["createAgent"]["agent"]["id"]
        await gql(
            "mutation($i: SetMcpGatewayServersInput!) { setMcpGatewayServers(input: $i) "
            "{ userErrors { message } } }",
            {"i": {"gatewayId": agent, "serverIds": [server]}},
            token,
        )
        gateways[transport] = agent
    return key, gateways


async def _time_calls(session: Any, tool: str, count: int, into: list[float]) -> None:
    for i in range(count):
        started = time.perf_counter()
        result = await session.call_tool(tool, {"text": f"ping {i}"})
        into.append(time.perf_counter() - started)
        assert not result.is_error, result


async def _graphql_reference(base: str, key: str, count: int) -> dict[str, float]:
    """For scale: the cheapest authenticated Atrium request (GraphQL ``{ __typename }``
    with the same key, over HTTP/1.1 keep-alive), which pays the same credential check
    and transaction as a gateway call."""
    import httpx

    samples: list[float] = []
    headers = {"Authorization": f"Bearer {key}"}
    async with httpx.AsyncClient(base_url=base, headers=headers) as http:
        for i in range(count + 5):
            started = time.perf_counter()
            response = await http.post("/graphql", json={"query": "{ __typename }"})
            if i >= 5:
                samples.append(time.perf_counter() - started)
            assert response.status_code == 200, response.text
    return _stats(samples)


def _stats(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "p50_ms": statistics.median(ordered) * 1000,
        "p99_ms": ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000,
        "mean_ms": statistics.fmean(ordered) * 1000,
    }


async def run(url: str, calls: int, block: int, transports: list[str]) -> dict[str, Any]:
    figures: dict[str, Any] = {}
    async with _http_server() as http_url, _atrium(url) as (base, gql):
        key, gateways = await _gateway(gql, transports, http_url)
        figures["graphql"] = await _graphql_reference(base, key, calls)
        for transport in transports:
            direct_url = None if transport == "stdio" else http_url
            gateway_url = f"{base}/mcp/{gateways[transport]}"
            async with (
                _session(url=direct_url) as direct,
                _session(url=gateway_url, key=key) as gateway,
            ):
                names = [t.name for t in (await gateway.list_tools()).tools]
                tool = next(n for n in names if n.endswith("__echo"))
                # warm both paths (connections, the gateway's pooled session)
                await _time_calls(direct, "echo", 5, [])
                await _time_calls(gateway, tool, 5, [])
                direct_times: list[float] = []
                gateway_times: list[float] = []
                done = 0
                while done < calls:
                    n = min(block, calls - done)
                    await _time_calls(direct, "echo", n, direct_times)
                    await _time_calls(gateway, tool, n, gateway_times)
                    done += n
            d, g = _stats(direct_times), _stats(gateway_times)
            figures[transport] = {
                "direct": d,
                "gateway": g,
                "overhead_ms": g["p50_ms"] - d["p50_ms"],
                "ratio": g["p50_ms"] / d["p50_ms"],
            }
    return figures


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=300, help="tool calls per side")
    parser.add_argument("--block", type=int, default=25, help="calls per alternating block")
    parser.add_argument("--transports", default="stdio,http", help="stdio, http or both")
    parser.add_argument(
        "--database-url",
        help="a PostgreSQL server (a scratch database is created there and dropped); "
        "a temporary SQLite file when omitted",
    )
    args = parser.parse_args(argv if argv is not None else [])
    transports = [t.strip() for t in args.transports.split(",") if t.strip()]
    os.environ.setdefault("ATRIUM_LOG_LEVEL", "WARNING")
    from bench.bench_nested_read import _database

    with _database(args.database_url) as url:
        figures = asyncio.run(run(url, args.calls, args.block, transports))
    backend = "PostgreSQL" if url.startswith("postgresql") else "SQLite"
    print(
        f"MCP tools/call of `echo`, {args.calls} calls per side, alternating blocks of "
        f"{args.block}; Atrium on {backend}"
    )
    reference = figures.pop("graphql")
    print(
        f"for scale: an authenticated GraphQL `{{ __typename }}` p50 {reference['p50_ms']:7.3f} ms"
        f"  p99 {reference['p99_ms']:7.3f} ms (the credential check every gateway call pays)"
    )
    for transport, f in figures.items():
        d, g = f["direct"], f["gateway"]
        print(
            f"{transport:<5} direct   p50 {d['p50_ms']:7.3f} ms  p99 {d['p99_ms']:7.3f} ms  "
            f"mean {d['mean_ms']:7.3f} ms"
        )
        print(
            f"{transport:<5} gateway  p50 {g['p50_ms']:7.3f} ms  p99 {g['p99_ms']:7.3f} ms  "
            f"mean {g['mean_ms']:7.3f} ms   overhead {f['overhead_ms']:+.3f} ms/call  "
            f"ratio to direct {f['ratio']:.2f}x"
        )


if __name__ == "__main__":
    main(sys.argv[1:])
