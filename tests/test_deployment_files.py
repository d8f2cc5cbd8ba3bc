"""The production description: a multi-stage non-root image and the compose topology.

Docker does not run on this machine, so these check what can be checked without it:
the files parse, name what exists, and describe the topology the README promises.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def test_dockerfile_is_multi_stage_non_root_and_copies_what_exists() -> None:
    text = (ROOT / "Dockerfile").read_text()
    assert len(re.findall(r"^FROM ", text, re.M)) >= 2
    assert re.search(r"^USER atrium$", text, re.M)
    assert "HEALTHCHECK" in text and "/health" in text
    for source in re.findall(r"^COPY (?!--from)(\S+)", text, re.M):
        assert (ROOT / source).exists(), source


def test_compose_runs_postgres_redis_two_apis_a_worker_and_a_migration() -> None:
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    assert {"postgres", "redis", "migrate", "api", "worker"} <= set(services)
    assert services["api"]["deploy"]["replicas"] == 2
    assert services["worker"]["command"] == ["atrium", "worker"]
    assert services["migrate"]["command"] == ["atrium", "migrate"]
    for name in ("api", "worker"):
        environment = services[name]["environment"]
        assert environment["ATRIUM_ENV"] == "production"
        assert environment["ATRIUM_BROADCAST_URL"].startswith("redis://")
        assert environment["ATRIUM_RUN_WORKER"] == "false"
    assert "healthcheck" in services["postgres"] and "healthcheck" in services["redis"]
