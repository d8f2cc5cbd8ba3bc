"""Liveness, readiness and metrics endpoints for orchestrators and Prometheus."""

from __future__ import annotations

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from atrium.core.metrics import REGISTRY
from atrium.web.state import AppState


async def health(_: Request) -> Response:
    """The process is up. Says nothing about its dependencies (that is readiness)."""
    return JSONResponse({"status": "ok"})


async def ready(request: Request) -> Response:
    """Ready to serve: the database answers (and, once it exists, the event bus)."""
    state: AppState = request.app.state.atrium
    checks: dict[str, str] = {}
    try:
        async with state.db.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as error:  # any failure means not ready
        checks["database"] = f"error: {type(error).__name__}"
    for name, check in state.services.readiness_checks().items():
        try:
            await check()
            checks[name] = "ok"
        except Exception as error:
            checks[name] = f"error: {type(error).__name__}"
    ok = all(value == "ok" for value in checks.values())
    return JSONResponse(
        {"status": "ok" if ok else "unavailable", "checks": checks}, 200 if ok else 503
    )


async def metrics(_: Request) -> Response:
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)
