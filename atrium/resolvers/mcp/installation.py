"""Installing registry entries: a durable job connects to the server and lists its tools.

``installMcpServer`` (and ``reinstallMcpServer``) set the entry INSTALLING and enqueue
``mcp.install`` in the same transaction; the job starts a LOCAL server over stdio (or
reaches a REMOTE one over streamable HTTP), lists its tools and leaves the entry
INSTALLED with them, or ERROR with what went wrong. Each install bumps the entry's
``generation``: a job that finds a newer one has been superseded and does nothing, and
gateways reconnect to the new installation. Starting a LOCAL server runs a command on
Atrium's host, so only the organization's owners and admins may install one.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import anyio
from sqlalchemy.ext.asyncio import AsyncSession

from atrium.core.context import Context
from atrium.core.errors import UserErrorCode, UserErrors
from atrium.core.jobs import JobContext, job_handler
from atrium.core.policy import Role
from atrium.models.mcp import McpInstallStatus, McpServer, McpServerType
from atrium.resolvers.mcp import secrets
from atrium.resolvers.mcp.connections import Endpoint, disconnect_after_commit, list_tools
from atrium.resolvers.mcp.servers import fields_status_reset, get_manageable

logger = logging.getLogger("atrium.mcp")

INSTALL_JOB = "mcp.install"
INSTALL_TIMEOUT_SECONDS = 60.0
MAX_ERROR_LENGTH = 2000


@dataclass(frozen=True)
class StoredEndpoint:
    """A server's connection settings as stored, secrets still encrypted: read with every
    gateway request (cheap), decrypted into an :class:`Endpoint` only to connect. A pooled
    session is kept for one of these; a changed one reconnects."""

    server_id: str
    generation: int
    server_type: McpServerType
    command: str | None
    args: tuple[str, ...]
    env: tuple[tuple[str, str], ...]
    url: str | None
    secrets: str | None

    @classmethod
    def of(cls, server: Any) -> StoredEndpoint:
        """From an ``McpServer`` or a row with its columns of the same names."""
        return cls(
            server_id=server.id,
            generation=server.generation,
            server_type=McpServerType(server.server_type),
            command=server.command,
            args=tuple(str(a) for a in server.args or ()),
            env=tuple(sorted((str(k), str(v)) for k, v in (server.env or {}).items())),
            url=server.url,
            secrets=server.secrets,
        )

    def endpoint(self, secret_key: str, *, internal_allowed: bool) -> Endpoint:
        values = secrets.decrypt(secret_key, self.secrets)
        if self.server_type is McpServerType.LOCAL:
            return Endpoint(
                server_id=self.server_id,
                generation=self.generation,
                local=True,
                command=self.command,
                args=self.args,
                env=tuple(sorted({**dict(self.env), **values}.items())),
            )
        return Endpoint(
            server_id=self.server_id,
            generation=self.generation,
            local=False,
            url=self.url,
            headers=tuple(sorted(values.items())),
            internal_allowed=internal_allowed,
        )


async def install_server(
    context: Context, session: AsyncSession, server_id: str, *, reinstall: bool = False
) -> McpServer:
    server = await get_manageable(context, session, server_id)
    if reinstall and server.status is McpInstallStatus.NOT_INSTALLED:
        raise UserErrors.single(
            "The server is not installed; install it first",
            UserErrorCode.INVALID_TRANSITION,
            ("id",),
        )
    if server.server_type is McpServerType.LOCAL and context.principal.role_in(
        server.organization_id
    ) not in (Role.OWNER, Role.ADMIN):
        raise UserErrors.single(
            "Only owners and admins install local servers (they run on Atrium's host)",
            UserErrorCode.FORBIDDEN,
            ("id",),
        )
    missing = [
        f["name"]
        for f in server.auth_fields or []
        if f.get("required") and f["name"] not in (server.secret_names or [])
    ]
    if missing:
        raise UserErrors.single(
            f"Give values for the required auth fields: {', '.join(missing)}",
            UserErrorCode.REQUIRED,
            ("secrets",),
        )
    server.status = McpInstallStatus.INSTALLING
    server.status_error = None
    server.generation += 1
    await session.flush()
    disconnect_after_commit(context, server.id)  # the old installation's session, if any
    await context.enqueue(
        session,
        INSTALL_JOB,
        {"server_id": server.id, "generation": server.generation},
        organization_id=server.organization_id,
        max_attempts=2,
    )
    return server


async def uninstall_server(context: Context, session: AsyncSession, server_id: str) -> McpServer:
    server = await get_manageable(context, session, server_id)
    fields_status_reset(server)
    await session.flush()
    disconnect_after_commit(context, server.id)
    return server


@job_handler(INSTALL_JOB)
async def run_install(job: JobContext, payload: dict[str, Any]) -> dict[str, Any]:
    secret_key = job.services.settings.secret_key
    async with job.db.sessionmaker() as session:
        server = await session.get(McpServer, payload["server_id"])
        if server is None or server.generation != payload["generation"]:
            return {"skipped": "superseded"}
        endpoint = StoredEndpoint.of(server).endpoint(
            secret_key, internal_allowed=job.services.settings.mcp_internal_urls_allowed
        )
    tools: list[dict[str, Any]] = []
    error: str | None = None
    try:
        with anyio.fail_after(INSTALL_TIMEOUT_SECONDS):
            tools = await list_tools(endpoint)
    except Exception as failure:
        error = _describe(failure)
        logger.info("mcp install failed", extra={"server_id": endpoint.server_id})
    async with job.db.sessionmaker() as session:
        server = await session.get(McpServer, payload["server_id"])
        if server is None or server.generation != payload["generation"]:
            return {"skipped": "superseded"}
        if error is None:
            server.status = McpInstallStatus.INSTALLED
            server.tools = tools
            server.status_error = None
            server.installed_at = datetime.now(UTC)
        else:
            server.status = McpInstallStatus.ERROR
            server.tools = []
            server.status_error = error
        await session.commit()
    return {"tools": len(tools), "error": error}


def _describe(failure: BaseException) -> str:
    """The innermost useful message (the SDK wraps failures in exception groups)."""
    while isinstance(failure, BaseExceptionGroup) and failure.exceptions:
        failure = failure.exceptions[0]
    if isinstance(failure, TimeoutError):
        return f"The server did not answer within {INSTALL_TIMEOUT_SECONDS:g}s"
    text = str(failure) or type(failure).__name__
    return f"{type(failure).__name__}: {text}"[:MAX_ERROR_LENGTH]
