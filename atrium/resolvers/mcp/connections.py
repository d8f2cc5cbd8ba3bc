"""Speaking MCP to registered servers with the ``mcp`` SDK's client.

A LOCAL server is a process started over stdio (its command, args, env and the values of
its auth fields as environment variables); a REMOTE or BUILT_IN one is reached over
streamable HTTP at its URL (auth field values sent as request headers of the same name).

Gateways keep one live session per server and process (:class:`ConnectionPool`): a
stdio server costs a process start and an ``initialize`` round trip, far too much per
tool call. A session is keyed by the server's ``generation``, which every install bumps,
so a reinstalled or reconfigured server is reconnected on its next call; a session whose
transport died is dropped and reopened once.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import os
import weakref
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlparse

import httpx2
from mcp import ClientSession, StdioServerParameters, stdio_client
from mcp.client.stdio import get_default_environment
from mcp.client.streamable_http import streamable_http_client

CONNECT_TIMEOUT_SECONDS = 30.0


@dataclass(frozen=True)
class Endpoint:
    """Everything needed to reach one server (plain data, secrets decrypted)."""

    server_id: str
    generation: int
    local: bool
    command: str | None = None
    args: tuple[str, ...] = ()
    env: tuple[tuple[str, str], ...] = ()
    url: str | None = None
    headers: tuple[tuple[str, str], ...] = ()
    cwd: str | None = None
    internal_allowed: bool = True  # settings.mcp_internal_urls_allowed


async def refuse_internal(url: str) -> None:
    """Refuse a URL whose host resolves to a loopback, private, link-local or otherwise
    non-public address: a registry entry must not make Atrium reach into its own network
    (SSRF). Checked when connecting, not only when saving, since DNS answers change."""
    host = urlparse(url).hostname or ""
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, None)
    except OSError as error:
        raise ConnectionError(f"cannot resolve {host}: {error}") from None
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%")[0])
        if not address.is_global:
            raise PermissionError(
                f"{host} resolves to {address}, an internal address: remote MCP servers must "
                "be public here (ATRIUM_MCP_INTERNAL_URLS)"
            )


@contextlib.asynccontextmanager
async def open_session(endpoint: Endpoint) -> AsyncIterator[ClientSession]:
    """An initialized client session to ``endpoint``, closed (process stopped) on exit."""
    if endpoint.local:
        if not endpoint.command:
            raise ValueError("a local server needs a command")
        params = StdioServerParameters(
            command=endpoint.command,
            args=list(endpoint.args),
            env={**get_default_environment(), **_path_env(), **dict(endpoint.env)},
            cwd=endpoint.cwd,
        )
        async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
            with _connect_deadline():
                await session.initialize()
            yield session
        return
    if not endpoint.url:
        raise ValueError("a remote server needs a URL")
    if not endpoint.internal_allowed:
        await refuse_internal(endpoint.url)
    timeout = httpx2.Timeout(CONNECT_TIMEOUT_SECONDS, read=None)
    async with (
        httpx2.AsyncClient(headers=dict(endpoint.headers), timeout=timeout) as http,
        streamable_http_client(endpoint.url, http_client=http) as (read, write),
        ClientSession(read, write) as session,
    ):
        with _connect_deadline():
            await session.initialize()
        yield session


def _path_env() -> dict[str, str]:
    # the SDK passes only a few safe variables; PATH decides which `python`/`npx` starts
    return {"PATH": os.environ.get("PATH", "")}


@contextlib.contextmanager
def _connect_deadline() -> Any:
    import anyio

    with anyio.fail_after(CONNECT_TIMEOUT_SECONDS):
        yield


async def list_tools(endpoint: Endpoint) -> list[dict[str, Any]]:
    """The server's tools (every page), as plain JSON: name, description, inputSchema."""
    tools: list[dict[str, Any]] = []
    async with open_session(endpoint) as session:
        cursor: str | None = None
        for _ in range(100):
            from mcp.types import PaginatedRequestParams

            params = PaginatedRequestParams(cursor=cursor) if cursor else None
            result = await session.list_tools(params=params)
            tools.extend(
                {
                    "name": tool.name,
                    "description": tool.description or "",
                    "inputSchema": tool.input_schema,
                }
                for tool in result.tools
            )
            cursor = result.next_cursor
            if not cursor:
                break
    return tools


@dataclass
class _Connection:
    endpoint: Endpoint
    ready: asyncio.Event = field(default_factory=asyncio.Event)
    stop: asyncio.Event = field(default_factory=asyncio.Event)
    session: ClientSession | None = None
    error: BaseException | None = None
    task: asyncio.Task[None] | None = None

    async def run(self) -> None:
        try:
            async with open_session(self.endpoint) as session:
                self.session = session
                self.ready.set()
                await self.stop.wait()
        except BaseException as error:  # surfaced to whoever waits for it
            self.error = error
        finally:
            self.session = None
            self.ready.set()


class ConnectionPool:
    """One live session per server, shared by every call in this process and loop."""

    def __init__(self) -> None:
        self._connections: dict[str, _Connection] = {}
        self._lock = asyncio.Lock()

    async def session(self, endpoint: Endpoint) -> ClientSession:
        connection = self._connections.get(endpoint.server_id)
        if connection is None or connection.endpoint != endpoint or connection.stop.is_set():
            async with self._lock:
                connection = self._connections.get(endpoint.server_id)
                if connection is None or connection.endpoint != endpoint:
                    if connection is not None:
                        connection.stop.set()
                    connection = _Connection(endpoint)
                    connection.task = asyncio.create_task(connection.run())
                    self._connections[endpoint.server_id] = connection
        await connection.ready.wait()
        if connection.session is None:
            self.discard(endpoint.server_id, connection)
            error = connection.error
            raise ConnectionError(f"could not connect: {error}") from error
        return connection.session

    def discard(self, server_id: str, connection: Any = None) -> None:
        """Forget (and close) a server's session, e.g. after its transport failed."""
        current = self._connections.get(server_id)
        if current is not None and (connection is None or current is connection):
            current.stop.set()
            del self._connections[server_id]

    async def close(self) -> None:
        connections, self._connections = list(self._connections.values()), {}
        for connection in connections:
            connection.stop.set()
        tasks = [c.task for c in connections if c.task is not None]
        if tasks:
            await asyncio.wait(tasks, timeout=10)


_POOLS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, ConnectionPool] = (
    weakref.WeakKeyDictionary()
)


def pool() -> ConnectionPool:
    """This event loop's pool (tests and servers run one loop; bench runs may run several)."""
    loop = asyncio.get_running_loop()
    found = _POOLS.get(loop)
    if found is None:
        found = _POOLS[loop] = ConnectionPool()
    return found
