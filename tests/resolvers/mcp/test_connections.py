"""The pool of client sessions, against the real test MCP server over stdio."""

from __future__ import annotations

import sys

import pytest

from atrium.resolvers.mcp.connections import ConnectionPool, Endpoint
from tests.schema.mcp.factories import SERVER_SCRIPT, wait_stopped


def _endpoint(*args: str, **env: str) -> Endpoint:
    return Endpoint(
        server_id="mcp_test",
        generation=1,
        local=True,
        command=sys.executable,
        args=(SERVER_SCRIPT, *args),
        env=tuple(env.items()),
    )


async def _pid(pool: ConnectionPool, key: object, endpoint: Endpoint) -> int:
    async with pool.use(endpoint.server_id, key, lambda: endpoint) as session:
        result = await session.call_tool("pid", {})
        return int(result.structured_content["result"])  # type: ignore[index]


async def test_a_session_is_reused_for_its_key_and_replaced_when_the_key_changes() -> None:
    pool = ConnectionPool()
    try:
        first = await _pid(pool, "v1", _endpoint())
        assert await _pid(pool, "v1", _endpoint()) == first
        second = await _pid(pool, "v2", _endpoint())
        assert second != first
        await wait_stopped(first)
        assert len(pool) == 1
    finally:
        await pool.close()
    await wait_stopped(second)
    assert len(pool) == 0


async def test_a_server_that_cannot_start_fails_the_call_and_is_retried_on_the_next() -> None:
    pool = ConnectionPool()
    endpoint = _endpoint("--require-env", "NEEDED")
    made = 0

    def build() -> Endpoint:
        nonlocal made
        made += 1
        return endpoint

    try:
        for attempt in (1, 2):
            with pytest.raises(ConnectionError, match="could not connect"):
                async with pool.use(endpoint.server_id, "k", build):
                    pass  # pragma: no cover
            assert made == attempt and "mcp_test" not in pool
    finally:
        await pool.close()
