"""The `atrium` command line, run as a user runs it: as a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from atrium.app import create_app
from atrium.core.config import Settings
from atrium.core.migrate import upgrade

ROOT = Path(__file__).resolve().parents[1]


def _atrium(*args: str, database_url: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ATRIUM_ARGON2_TIME_COST": "1", "ATRIUM_ARGON2_MEMORY_KIB": "1024"}
    if database_url:
        env["ATRIUM_DATABASE_URL"] = database_url
    return subprocess.run(
        [sys.executable, "-m", "atrium.cli", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
def database_file(tmp_path: Path) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
    upgrade(url)
    return url


async def _viewer(url: str, key: str) -> dict[str, object]:
    app = create_app(Settings(database_url=url, argon2_time_cost=1, argon2_memory_kib=1024))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://cli.test") as http:
        response = await http.post(
            "/graphql",
            json={"query": "{ viewer { scope organizations { nodes { name viewerRole } } } }"},
            headers={"Authorization": f"Bearer {key}"},
        )
    await app.state.atrium.services.close()
    return response.json()["data"]["viewer"]


def test_export_schema_prints_the_sdl() -> None:
    result = _atrium("export-schema", "-o", "-")
    assert result.returncode == 0
    assert result.stdout == (ROOT / "schema.graphql").read_text()


async def test_bootstrap_prints_an_admin_key_that_works(database_file: str) -> None:
    result = _atrium(
        "bootstrap", "--email", "ops@example.test", "--org", "Ops", database_url=database_file
    )
    assert result.returncode == 0, result.stderr
    key = result.stdout.strip()
    assert key.startswith("sk_live_")
    viewer = await _viewer(database_file, key)
    assert viewer == {
        "scope": "ADMIN",
        "organizations": {"nodes": [{"name": "Ops", "viewerRole": "OWNER"}]},
    }


def test_bootstrap_refuses_a_bad_email(database_file: str) -> None:
    result = _atrium(
        "bootstrap", "--email", "not-an-email", "--org", "Ops", database_url=database_file
    )
    assert result.returncode == 1
    assert "not a valid email" in result.stderr


async def test_seed_demo_is_idempotent_and_its_key_works(database_file: str) -> None:
    first = _atrium("seed-demo", database_url=database_file)
    assert first.returncode == 0, first.stderr
    key = next(word for word in first.stdout.split() if word.startswith("sk_live_"))
    second = _atrium("seed-demo", database_url=database_file)
    assert second.returncode == 0 and "already present" in second.stdout
    viewer = await _viewer(database_file, key)
    assert viewer["organizations"] == {
        "nodes": [{"name": "Demo Organization", "viewerRole": "OWNER"}]
    }


def test_migrate_creates_the_schema(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'fresh.db'}"
    result = _atrium("migrate", database_url=url)
    assert result.returncode == 0 and "migrated" in result.stdout
