"""Test fixtures: one migrated database per xdist worker, one app, real HTTP.

The backend follows ``ATRIUM_DATABASE_URL`` (SQLite by default, PostgreSQL in CI's second
run). Tests never clean up: every test makes its own users and organizations, so rows of
other tests never matter and the database is migrated once per worker.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from atrium.core.config import Environment, Settings
from atrium.core.migrate import upgrade
from tests.helpers import GraphQLClient


def _worker() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


async def _recreate_postgres(url: str) -> None:
    parsed = make_url(url)
    admin = create_async_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    async with admin.connect() as connection:
        await connection.execute(text(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)'))
        await connection.execute(text(f'CREATE DATABASE "{parsed.database}"'))
    await admin.dispose()


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    base = os.environ.get("ATRIUM_DATABASE_URL", "")
    if base.startswith("postgresql"):
        parsed = make_url(base)
        url = parsed.set(database=f"{parsed.database}_{_worker()}").render_as_string(
            hide_password=False
        )
        asyncio.run(_recreate_postgres(url))
        upgrade(url)
        yield url
        return
    with tempfile.TemporaryDirectory(prefix="atrium-test-") as directory:
        url = f"sqlite+aiosqlite:///{Path(directory) / 'atrium.db'}"
        upgrade(url)
        yield url


@pytest.fixture(scope="session")
def settings(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return Settings(
        env=Environment.TEST,
        database_url=database_url,
        secret_key="test-secret-key-that-is-long-enough-0123456789",
        redis_url=None,
        rate_limit_anonymous_per_hour=1_000_000,
        rate_limit_free_per_hour=1_000_000,
        log_json=False,
        job_retry_base_seconds=0.05,
        argon2_time_cost=1,
        argon2_memory_kib=1024,
        # clones and worktrees, under pytest's temporary directory (it keeps the last few)
        data_dir=tmp_path_factory.mktemp("atrium-data"),
    )


@pytest.fixture(scope="session")
async def app(settings: Settings) -> AsyncIterator[object]:
    from atrium.app import create_app

    application = create_app(settings)
    await application.state.atrium.services.start()
    yield application
    await application.state.atrium.services.close()


@pytest.fixture
async def client(app: object) -> AsyncIterator[GraphQLClient]:
    async with GraphQLClient.for_app(app) as graphql_client:
        yield graphql_client
