"""Speaking MCP to registered servers with the ``mcp`` SDK's client.

A LOCAL server is a process started over stdio (its command, args, env and the values of
its auth fields as environment variables); a REMOTE or BUILT_IN one is reached over
streamable HTTP at its URL (auth field values sent as request headers of the same name).

Gateways keep one live session per server and process (:class:`ConnectionPool`): a
stdio server costs a process start and an ``initialize`` round trip, far too much per
tool call. A session is kept for the server's stored connection settings (its ``key``:
generation, command, URL, encrypted secrets…), so a reinstalled or reconfigured server is
reconnected on its next call; its secrets are decrypted only when a session is opened. A
session is closed when its server is uninstalled, reinstalled, changed or deleted (in
this process; other processes reconnect on their next call, the key having changed),
after ``IDLE_SECONDS`` without a call, and at shutdown (:func:`close_connections`); one
whose transport died is dropped and reopened on the next call.

The SDK (and the HTTP client it uses) is imported only when a session is opened: a
server that never speaks MCP does not pay for it in memory.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import os
import time
import weakref
from collections.abc import AsyncIterator, Callable, Hashable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

if TYPE_CHECKING:
    from mcp import ClientSession

    from atrium.core.context import Context

CONNECT_TIMEOUT_SECONDS = 30.0
IDLE_SECONDS = 300.0  # a pooled session unused this long is closed (a stdio server stops)
CLOSE_TIMEOUT_SECONDS = 10.0


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
    from mcp import ClientSession, StdioServerParameters, stdio_client

    if endpoint.local:
        from mcp.client.stdio import get_default_environment

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
    import httpx2
    from mcp.client.streamable_http import streamable_http_client

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
    from mcp.types import PaginatedRequestParams

    tools: list[dict[str, Any]] = []
    async with open_session(endpoint) as session:
        cursor: str | None = None
        for _ in range(100):
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


@dataclass(eq=False)
class _Connection:
    """One pooled session, run by its own task (the SDK's transports are task-bound)."""

    pool: ConnectionPool
    server_id: str
    key: Hashable
    ready: asyncio.Event = field(default_factory=asyncio.Event)
    stop: asyncio.Event = field(default_factory=asyncio.Event)
    session: ClientSession | None = None
    error: BaseException | None = None
    task: asyncio.Task[None] | None = None
    busy: int = 0  # calls under way on it
    last_used: float = field(default_factory=time.monotonic)

    @property
    def closed(self) -> bool:
        return self.stop.is_set() or (self.task is not None and self.task.done())

    async def run(self, endpoint: Endpoint) -> None:
        try:
            async with open_session(endpoint) as session:
                self.session = session
                self.ready.set()
                await self._until_stopped_or_idle()
        except BaseException as error:  # surfaced to whoever waits for it
            self.error = error
        finally:
            self.session = None
            self.ready.set()
            self.pool.forget(self)

    async def _until_stopped_or_idle(self) -> None:
        while not self.stop.is_set():
            idle = self.pool.idle_seconds
            left = idle - (time.monotonic() - self.last_used)
            if self.busy == 0 and left <= 0:
                self.pool.forget(self)  # at once: no call may pick it up while it closes
                return
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.stop.wait(), left if left > 0 else idle)


class ConnectionPool:
    """One live session per server, shared by every call in this process and loop."""

    def __init__(self, idle_seconds: float = IDLE_SECONDS) -> None:
        self.idle_seconds = idle_seconds
        self._connections: dict[str, _Connection] = {}
        self._closing: set[asyncio.Task[None]] = set()
        self._lock = asyncio.Lock()

    def __len__(self) -> int:
        return len(self._connections)

    def __contains__(self, server_id: object) -> bool:
        return server_id in self._connections

    @contextlib.asynccontextmanager
    async def use(
        self, server_id: str, key: Hashable, endpoint: Callable[[], Endpoint]
    ) -> AsyncIterator[ClientSession]:
        """The server's session, opened for ``key`` if it has none (``endpoint()`` builds
        what to connect to, secrets decrypted, only then); held busy inside the block so
        the idle timer does not close it under a call."""
        connection = self._connections.get(server_id)
        if connection is None or connection.key != key or connection.closed:
            async with self._lock:
                connection = self._connections.get(server_id)
                if connection is None or connection.key != key or connection.closed:
                    target = endpoint()
                    if connection is not None:
                        self._stop(connection)
                    connection = _Connection(self, server_id, key)
                    self._connections[server_id] = connection
                    connection.task = asyncio.create_task(connection.run(target))
        connection.busy += 1
        try:
            await connection.ready.wait()
            if connection.session is None:
                error = connection.error
                raise ConnectionError(f"could not connect: {error}") from error
            yield connection.session
        finally:
            connection.busy -= 1
            connection.last_used = time.monotonic()

    def forget(self, connection: _Connection) -> None:
        if self._connections.get(connection.server_id) is connection:
            del self._connections[connection.server_id]

    def _stop(self, connection: _Connection) -> None:
        self.forget(connection)
        connection.stop.set()
        task = connection.task
        if task is not None and not task.done():
            if not connection.ready.is_set():
                task.cancel()  # still connecting: do not wait for it to finish
            self._closing.add(task)
            task.add_done_callback(self._closing.discard)

    def discard(self, server_id: str) -> None:
        """Close a server's session (it changed, was uninstalled, or its transport died)."""
        connection = self._connections.get(server_id)
        if connection is not None:
            self._stop(connection)

    async def close(self) -> None:
        """Close every session and wait (a while) for them to end."""
        for connection in list(self._connections.values()):
            self._stop(connection)
        if self._closing:
            await asyncio.wait(list(self._closing), timeout=CLOSE_TIMEOUT_SECONDS)


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


def disconnect_after_commit(context: Context, server_id: str) -> None:
    """Close the server's pooled session once the change to it has committed."""

    async def disconnect() -> None:
        pool().discard(server_id)

    context.after_commit(disconnect)


async def close_connections() -> None:
    """Close this event loop's pooled sessions (stopping stdio servers): at shutdown."""
    found = _POOLS.get(asyncio.get_running_loop())
    if found is not None:
        await found.close()
