"""create_app(): the FastAPI application with /graphql, /health and /metrics."""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import Response
from starlette.staticfiles import StaticFiles

from atrium.core.config import Settings, get_settings
from atrium.core.db import Database
from atrium.core.malloc import configure_malloc
from atrium.core.security import configure_password_hashing
from atrium.core.services import Services
from atrium.resolvers.health import (
    assessments,  # registers health.assess
    code_architecture,  # registers health.architecture_review
    pull_requests,  # registers health.pull_request
    triggers,  # registers health.schedule (periodic) and PUSH assessments on re-sync
)
from atrium.resolvers.knowledge import bases as knowledge  # knowledge.sync and .tick
from atrium.resolvers.repositories import repositories  # registers repository.sync
from atrium.resolvers.threads import replies  # registers the thread.reply job
from atrium.resolvers.webhooks import delivery as webhooks
from atrium.resolvers.workflows import execution as workflow_execution  # workflow.* jobs
from atrium.resolvers.workflows import routines  # routine.tick (periodic) and routine.fire
from atrium.rest.router import mount_rest
from atrium.schema import create_schema
from atrium.web.graphiql import STATIC_DIR, graphiql, wants_html
from atrium.web.graphql_http import graphql_http
from atrium.web.health import health, metrics, ready
from atrium.web.llm_proxy import chat_completions
from atrium.web.mcp_gateway import close_mcp, mount_mcp_gateway  # also registers mcp.install
from atrium.web.sse import graphql_sse
from atrium.web.state import AppState
from atrium.web.ws import graphql_ws

logger = logging.getLogger("atrium")


def create_app(settings: Settings | None = None, *, services: Services | None = None) -> FastAPI:
    settings = settings or get_settings()
    # before create_app's database and worker threads start (arenas made earlier stay)
    tuned = configure_malloc(settings.malloc_arena_max)
    logger.debug("malloc settings made by the process: %s", ", ".join(tuned) or "none")
    configure_password_hashing(settings.argon2_time_cost, settings.argon2_memory_kib)
    db = services.db if services else Database(settings.database_url)
    services = services or Services(settings, db)
    # job handlers register on import
    assert replies.REPLY_JOB and repositories.SYNC_JOB and assessments.ASSESS_JOB
    assert pull_requests.PR_JOB and code_architecture.REVIEW_JOB and triggers.SCHEDULE_JOB
    assert workflow_execution.NODE_JOB and routines.TICK_JOB and knowledge.SYNC_JOB
    for hook in (webhooks.on_event, routines.on_event):
        if hook not in services.event_hooks:
            services.event_hooks.append(hook)
    state = AppState(settings=settings, db=db, services=services, schema=create_schema(settings))

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await services.start()
        # What start-up built (modules, the schema, SQLAlchemy's mappers) lives as long as
        # the process: keep it out of the garbage collector's full passes, which otherwise
        # walk all of it every few requests (about a fifth of a nested read's CPU).
        gc.collect()
        gc.freeze()
        logger.info("atrium started", extra={"env": settings.env.value})
        yield
        logger.info("atrium stopping: draining connections")
        await close_mcp()  # the servers gateways started; tool-call records still queued
        await services.close()

    app = FastAPI(
        title="Atrium",
        description="One GraphQL API over five developer platforms.",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.atrium = state

    async def graphql_endpoint(request: Request) -> Response:
        """One route for GET and POST, so any other method gets 405 with ``Allow: GET, POST``."""
        if request.method == "GET" and settings.ide_enabled and wants_html(request):
            return await graphiql(request)
        return await graphql_http(request)

    app.add_api_route(
        "/graphql", graphql_endpoint, methods=["GET", "POST"], include_in_schema=False
    )
    app.add_api_websocket_route("/graphql", graphql_ws)
    app.add_api_route(
        "/graphql/stream", graphql_sse, methods=["GET", "POST"], include_in_schema=False
    )
    app.add_api_route("/health", health, methods=["GET"], include_in_schema=False)
    app.add_api_route("/health/ready", ready, methods=["GET"], include_in_schema=False)
    app.add_api_route("/metrics", metrics, methods=["GET"], include_in_schema=False)
    app.add_api_route(  # OpenAI-compatible LLM proxy (not GraphQL: SDK clients)
        "/llm/{proxy_id}/v1/chat/completions",
        chat_completions,
        methods=["POST"],
        include_in_schema=False,
    )

    mount_mcp_gateway(app)  # /mcp/{gatewayId}
    mount_rest(app, state)
    if STATIC_DIR.exists():
        app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    return app
