"""Remote MCP servers on internal addresses are refused where settings say so (SSRF)."""

from __future__ import annotations

import pytest

from atrium.resolvers.mcp.connections import Endpoint, open_session, refuse_internal


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9/mcp",
        "http://localhost/mcp",
        "http://10.1.2.3/mcp",
        "http://169.254.169.254/latest",
        "http://[::1]:8080/mcp",
    ],
)
async def test_internal_addresses_are_refused(url: str) -> None:
    with pytest.raises(PermissionError, match="internal address"):
        await refuse_internal(url)


async def test_a_public_address_passes() -> None:
    await refuse_internal("http://93.184.216.34/mcp")  # a literal: no DNS needed


async def test_a_session_to_an_internal_url_is_refused_before_connecting() -> None:
    endpoint = Endpoint(
        server_id="mcp_x",
        generation=1,
        local=False,
        url="http://127.0.0.1:9/mcp",
        internal_allowed=False,
    )
    with pytest.raises(PermissionError):
        async with open_session(endpoint):
            pass  # pragma: no cover
