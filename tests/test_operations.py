"""Operating Atrium: health, readiness, metrics, JSON logs, production settings."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Any

import httpx
import orjson
import pytest
from pydantic import ValidationError

from atrium.app import create_app
from atrium.core.config import DEFAULT_SECRET, Environment, Settings
from atrium.core.logging import JSONFormatter
from tests.helpers import GraphQLClient


async def _client(app: Any) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://ops.test")


async def test_health_and_readiness(client: GraphQLClient) -> None:
    assert (await client.http.get("/health")).json() == {"status": "ok"}
    ready = await client.http.get("/health/ready")
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"database": "ok", "bus": "ok"}


async def test_not_ready_when_the_database_is_unreachable(
    settings: Settings, tmp_path: Any
) -> None:
    broken = settings.model_copy(
        update={"database_url": f"sqlite+aiosqlite:///{tmp_path}/missing/dir/x.db"}
    )
    app = create_app(broken)
    await app.state.atrium.services.start(with_worker=False)
    try:
        async with await _client(app) as http:
            response = await http.get("/health/ready")
    finally:
        await app.state.atrium.services.close()
    assert response.status_code == 503
    assert response.json()["checks"]["database"].startswith("error")


async def test_metrics_count_operations_by_name_and_errors_by_code(client: GraphQLClient) -> None:
    await client.execute("query WhoAmI { viewer { scope } }")  # UNAUTHENTICATED
    text = (await client.http.get("/metrics")).text
    assert 'atrium_graphql_operations_total{operation="WhoAmI"' in text
    assert 'atrium_graphql_errors_total{code="UNAUTHENTICATED"' in text
    assert "atrium_graphql_operation_seconds_bucket" in text


def test_json_log_lines_carry_the_request_id() -> None:
    record = logging.LogRecord("atrium.test", logging.INFO, __file__, 1, "hello %s", ("you",), None)
    record.request_id = "req_123"
    line = orjson.loads(JSONFormatter().format(record))
    assert line["message"] == "hello you" and line["request_id"] == "req_123"
    assert line["level"] == "INFO" and "time" in line


@pytest.mark.parametrize("secret", [DEFAULT_SECRET, "short"])
def test_production_refuses_a_default_or_short_secret(secret: str) -> None:
    with pytest.raises(ValidationError, match="SECRET_KEY"):
        Settings(env=Environment.PRODUCTION, secret_key=secret)


@pytest.fixture
async def production(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings.model_copy(update={"env": Environment.PRODUCTION}))
    async with await _client(app) as http:
        yield http
    await app.state.atrium.services.close()


async def test_production_turns_off_ide_introspection_and_suggestions(
    production: httpx.AsyncClient,
) -> None:
    page = await production.get("/graphql", headers={"Accept": "text/html"})
    assert "GraphiQL" not in page.text
    introspection = await production.post(
        "/graphql", json={"query": "{ __schema { types { name } } }"}
    )
    assert introspection.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    typo = await production.post("/graphql", json={"query": "{ viewr { scope } }"})
    assert "Did you mean" not in typo.json()["errors"][0]["message"]


def test_settings_come_from_atrium_prefixed_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ATRIUM_MAX_QUERY_DEPTH", "7")
    monkeypatch.setenv("MAX_QUERY_DEPTH", "99")
    assert Settings().max_query_depth == 7
