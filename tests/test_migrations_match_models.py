"""The Alembic migrations build exactly the schema the models describe, and go both ways."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import Connection, make_url

from atrium.core.db import create_engine
from atrium.core.migrate import alembic_config, upgrade
from atrium.models import Base
from tests.conftest import _recreate_postgres


@pytest.fixture
def fresh_url(tmp_path: Path) -> str:
    base = os.environ.get("ATRIUM_DATABASE_URL", "")
    if base.startswith("postgresql"):
        parsed = make_url(base)
        worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
        url = parsed.set(database=f"{parsed.database}_migrations_{worker}").render_as_string(
            hide_password=False
        )
        asyncio.run(_recreate_postgres(url))
        return url
    return f"sqlite+aiosqlite:///{tmp_path / 'migrations.db'}"


def _differences(url: str) -> list[object]:
    async def compare() -> list[object]:
        engine = create_engine(url)

        def run(connection: Connection) -> list[object]:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            return list(compare_metadata(context, Base.metadata))

        async with engine.connect() as connection:
            result = await connection.run_sync(run)
        await engine.dispose()
        return result

    return asyncio.run(compare())


def test_migrations_at_head_match_the_models(fresh_url: str) -> None:
    upgrade(fresh_url)
    assert _differences(fresh_url) == []


def test_migrations_downgrade_to_base_and_upgrade_again(fresh_url: str) -> None:
    upgrade(fresh_url)
    command.downgrade(alembic_config(fresh_url), "base")
    upgrade(fresh_url)
    assert _differences(fresh_url) == []
