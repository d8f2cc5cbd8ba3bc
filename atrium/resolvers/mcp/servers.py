"""The MCP registry: catalog entries, who sees them, and changing them.

Scope works as for agents: PERSONAL entries are their author's, TEAM entries their
team's (and the organization's admins'), ORG entries every member's. Auth field values
are encrypted on the way in and only their names come back out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

from sqlalchemy import and_, exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from atrium.core.context import Context
from atrium.core.errors import UserError, UserErrorCode, UserErrors
from atrium.core.policy import Action, Role
from atrium.models.identity import Team, TeamMembership
from atrium.models.mcp import McpInstallStatus, McpServer, McpServerScope, McpServerType
from atrium.resolvers.access import default_organization, not_found, require
from atrium.resolvers.loading import visible_org_ids
from atrium.resolvers.mcp import secrets
from atrium.resolvers.mcp.connections import disconnect_after_commit

ADMIN_ROLES = (Role.OWNER, Role.ADMIN)
MAX_ARGS = 100
MAX_AUTH_FIELDS = 50


def visible_servers(context: Context) -> Any:
    """A SQL condition: the entries the caller sees (lists, loaders and counts agree)."""
    principal = context.principal
    user_id = principal.user_id
    admin_orgs = [org for org, role in principal.roles.items() if role in ADMIN_ROLES]
    if principal.service_account_id is not None:
        admin_orgs = list(principal.roles)
    team_rule: list[Any] = [McpServer.organization_id.in_(admin_orgs)]
    if user_id:
        team_rule.append(
            exists().where(
                TeamMembership.team_id == McpServer.team_id, TeamMembership.user_id == user_id
            )
        )
    rules = [
        McpServer.scope == McpServerScope.ORG,
        and_(McpServer.scope == McpServerScope.TEAM, or_(*team_rule)),
    ]
    if user_id:
        rules.append(
            and_(McpServer.scope == McpServerScope.PERSONAL, McpServer.author_id == user_id)
        )
    return and_(McpServer.organization_id.in_(visible_org_ids(context)), or_(*rules))


@dataclass(frozen=True)
class ServerFields:
    """What a create or update may set; None leaves a field as it is."""

    name: str | None = None
    version: str | None = None
    description: str | None = None
    server_type: McpServerType | None = None
    scope: McpServerScope | None = None
    team_id: str | None = None
    command: str | None = None
    args: list[str] | None = None
    env: dict[str, str] | None = None
    url: str | None = None
    docs_url: str | None = None
    auth_fields: list[dict[str, Any]] | None = None
    secrets: dict[str, str] | None = None
    timeout_seconds: float | None = None


def _validate(fields: ServerFields, creating: bool) -> list[UserError]:
    errors: list[UserError] = []

    def add(message: str, code: UserErrorCode, field: str) -> None:
        errors.append(UserError(message, code, (field,)))

    if creating and not (fields.name or "").strip():
        add("Name can't be blank", UserErrorCode.REQUIRED, "name")
    for attr, field, limit in (
        ("name", "name", 200),
        ("version", "version", 50),
        ("description", "description", 20_000),
        ("command", "command", 500),
        ("url", "url", 2000),
        ("docs_url", "docsUrl", 2000),
    ):
        value = getattr(fields, attr)
        if value is not None and len(value) > limit:
            add(f"At most {limit} characters", UserErrorCode.TOO_LONG, field)
    if fields.args is not None and len(fields.args) > MAX_ARGS:
        add(f"At most {MAX_ARGS} arguments", UserErrorCode.TOO_LONG, "args")
    if fields.auth_fields is not None and len(fields.auth_fields) > MAX_AUTH_FIELDS:
        add(f"At most {MAX_AUTH_FIELDS} auth fields", UserErrorCode.TOO_LONG, "authFields")
    for attr, field in (("url", "url"), ("docs_url", "docsUrl")):
        value = getattr(fields, attr)
        parsed = urlparse(value) if value else None
        if parsed is not None and (parsed.scheme not in ("http", "https") or not parsed.hostname):
            add("Must be an absolute http(s) URL", UserErrorCode.INVALID, field)
    if fields.timeout_seconds is not None and not 0 < fields.timeout_seconds <= 600:
        add("Between 0 and 600 seconds", UserErrorCode.INVALID, "timeoutSeconds")
    return errors


def _check_complete(server: McpServer) -> None:
    """A LOCAL entry has a command; a REMOTE or BUILT_IN one a URL; TEAM has a team."""
    if server.server_type is McpServerType.LOCAL and not server.command:
        raise UserErrors.single(
            "A local server needs a command", UserErrorCode.REQUIRED, ("command",)
        )
    if server.server_type is not McpServerType.LOCAL and not server.url:
        raise UserErrors.single("A remote server needs a URL", UserErrorCode.REQUIRED, ("url",))
    if server.scope is McpServerScope.TEAM and not server.team_id:
        raise UserErrors.single("A team entry needs a team", UserErrorCode.REQUIRED, ("teamId",))


async def _apply(
    context: Context, session: AsyncSession, server: McpServer, fields: ServerFields
) -> None:
    for attr in ("version", "description", "server_type", "scope", "timeout_seconds"):
        value = getattr(fields, attr)
        if value is not None:
            setattr(server, attr, value)
    if fields.name is not None:
        server.name = fields.name.strip()
    for attr in ("command", "url", "docs_url"):
        value = getattr(fields, attr)
        if value is not None:
            setattr(server, attr, value or None)
    if fields.args is not None:
        server.args = list(fields.args)
    if fields.env is not None:
        server.env = dict(fields.env)
    if fields.auth_fields is not None:
        server.auth_fields = [
            {
                "name": str(f["name"]),
                "description": str(f.get("description") or ""),
                "required": bool(f.get("required", True)),
            }
            for f in fields.auth_fields
        ]
    if fields.team_id is not None:
        team = await session.scalar(
            select(Team.id).where(
                Team.id == fields.team_id, Team.organization_id == server.organization_id
            )
        )
        if team is None:
            raise not_found("Team", fields.team_id, ("teamId",))
        server.team_id = fields.team_id
    if server.scope is not McpServerScope.TEAM:
        server.team_id = None
    if fields.secrets is not None:
        known = secrets.decrypt(context.settings.secret_key, server.secrets)
        merged = {k: v for k, v in {**known, **fields.secrets}.items() if v}
        server.secrets = secrets.encrypt(context.settings.secret_key, merged)
        server.secret_names = sorted(merged)
    _check_complete(server)
    await session.flush()


async def create_server(
    context: Context, session: AsyncSession, *, organization_id: str | None, fields: ServerFields
) -> McpServer:
    organization_id = default_organization(context, organization_id)
    require(context, organization_id, Action.WRITE, field=("organizationId",))
    errors = _validate(fields, creating=True)
    if fields.scope is McpServerScope.PERSONAL and context.principal.user_id is None:
        errors.append(
            UserError(
                "Service accounts have no personal entries", UserErrorCode.INVALID, ("scope",)
            )
        )
    if errors:
        raise UserErrors(errors)
    server = McpServer(
        organization_id=organization_id,
        name="",
        author_id=context.principal.user_id,
        server_type=fields.server_type or McpServerType.LOCAL,
        scope=fields.scope or McpServerScope.ORG,
        args=[],
        env={},
        auth_fields=[],
        secret_names=[],
        tools=[],
    )
    session.add(server)
    await _apply(context, session, server, fields)
    return server


async def get_visible(
    context: Context, session: AsyncSession, server_id: str, field: tuple[str, ...] = ("id",)
) -> McpServer:
    server = await session.scalar(
        select(McpServer).where(McpServer.id == server_id, visible_servers(context))
    )
    if server is None:
        raise not_found("McpServer", server_id, field)
    return server


async def get_manageable(
    context: Context, session: AsyncSession, server_id: str, field: tuple[str, ...] = ("id",)
) -> McpServer:
    """A visible entry the caller may change: its author, or WRITE for TEAM/ORG ones."""
    server = await get_visible(context, session, server_id, field)
    require(context, server.organization_id, Action.WRITE, field=field)
    if server.scope is McpServerScope.PERSONAL and server.author_id != context.principal.user_id:
        raise not_found("McpServer", server_id, field)
    return server


async def update_server(
    context: Context, session: AsyncSession, *, server_id: str, fields: ServerFields
) -> McpServer:
    server = await get_manageable(context, session, server_id)
    errors = _validate(fields, creating=False)
    if fields.scope is McpServerScope.PERSONAL and server.author_id != context.principal.user_id:
        errors.append(
            UserError(
                "Only its author may make an entry personal", UserErrorCode.INVALID, ("scope",)
            )
        )
    if errors:
        raise UserErrors(errors)
    before = _connection_settings(server)
    await _apply(context, session, server, fields)
    if _connection_settings(server) != before:
        disconnect_after_commit(context, server.id)  # gateways reconnect with the new ones
    return server


def _connection_settings(server: McpServer) -> tuple[Any, ...]:
    return (
        server.server_type,
        server.command,
        list(server.args or ()),
        dict(server.env or {}),
        server.url,
        server.secrets,
    )


async def delete_server(context: Context, session: AsyncSession, server_id: str) -> str:
    server = await get_manageable(context, session, server_id)
    await session.delete(server)
    await session.flush()
    disconnect_after_commit(context, server_id)
    return server_id


def fields_status_reset(server: McpServer) -> None:
    server.status = McpInstallStatus.NOT_INSTALLED
    server.status_error = None
    server.tools = []
    server.installed_at = None
    server.generation += 1
