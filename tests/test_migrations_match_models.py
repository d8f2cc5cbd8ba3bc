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


def _not_full_text_search(name: str | None, type_: str, parent_names: object) -> bool:
    """The full-text-search migration's indexes live outside the models on purpose: SQLite's FTS5
    tables (``<table>_fts`` and their ``_fts_*`` shadow tables) and PostgreSQL's GIN
    expression indexes (``ix_<table>_fts``), so the comparison leaves them out."""
    return not (name or "").endswith(
        ("_fts", "_fts_data", "_fts_idx", "_fts_docsize", "_fts_config")
    )


def _differences(url: str) -> list[object]:
    async def compare() -> list[object]:
        engine = create_engine(url)

        def run(connection: Connection) -> list[object]:
            opts = {"compare_type": True, "include_name": _not_full_text_search}
            context = MigrationContext.configure(connection, opts=opts)
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
