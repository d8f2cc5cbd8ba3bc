"""Fixtures of the MCP tests: the app served on a real loopback port."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.support.server import serve


@pytest.fixture
async def base_url(app: object) -> AsyncIterator[str]:
    async with serve(app) as url:
        yield url
