"""Creating, changing, deleting, exporting and importing agents.

Who may change an agent: its author for a PERSONAL one; for TEAM agents members of its
teams and admins; for ORG agents anyone with WRITE. BUILT_IN agents can be renamed and
re-prompted by admins but never deleted or re-scoped: every organization keeps them.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from atrium.core.context import Context
from atrium.core.errors import UserError, UserErrorCode, UserErrors
from atrium.core.policy import Action, Role
from atrium.models.agents import Agent, AgentLabel, AgentScope, AgentTeam, AgentType
from atrium.models.identity import Team, TeamMembership
from atrium.resolvers.access import default_organization, get_for_action, not_found, require

PROVIDERS = ("offline", "openai")
EXPORT_FORMAT = "atrium.agent/v1"
MAX_LABELS = 50


@dataclass(frozen=True)
class AgentFields:
    """What a create, update or import may set; None leaves a field as it is."""

    name: str | None = None
    description: str | None = None
    type: AgentType | None = None
    scope: AgentScope | None = None
    labels: dict[str, str] | None = None
    team_ids: list[str] | None = None
    model: str | None = None
    system_prompt: str | None = None
    provider: str | None = None
    provider_base_url: str | None = None
    provider_api_key: str | None = None


def _errors(fields: AgentFields, creating: bool) -> list[UserError]:
    errors = []
    if creating and not (fields.name or "").strip():
        errors.append(UserError("Name can't be blank", UserErrorCode.REQUIRED, ("name",)))
    if fields.name is not None and len(fields.name) > 200:
        errors.append(UserError("At most 200 characters", UserErrorCode.TOO_LONG, ("name",)))
    if fields.scope is AgentScope.BUILT_IN:
        errors.append(
            UserError(
                "Built-in agents come with the organization", UserErrorCode.INVALID, ("scope",)
            )
        )
    if fields.labels is not None:
        if len(fields.labels) > MAX_LABELS:
            errors.append(UserError("Too many labels", UserErrorCode.TOO_LONG, ("labels",)))
        if any(not k.strip() or len(k) > 100 or len(v) > 200 for k, v in fields.labels.items()):
            errors.append(
                UserError(
                    "Label keys are 1-100, values 0-200 characters",
                    UserErrorCode.INVALID,
                    ("labels",),
                )
            )
    for name, field, limit in (
        ("model", "model", 200),
        ("provider_base_url", "providerBaseUrl", 2000),
        ("provider_api_key", "providerApiKey", 500),
        ("description", "description", 20_000),
        ("system_prompt", "systemPrompt", 100_000),
    ):
        value = getattr(fields, name)
        if value is not None and (not isinstance(value, str) or len(value) > limit):
            errors.append(
                UserError(
                    f"A string of at most {limit} characters", UserErrorCode.INVALID, (field,)
                )
            )
    if fields.provider is not None and fields.provider not in PROVIDERS:
        errors.append(
            UserError(
                f"Provider is one of {', '.join(PROVIDERS)}", UserErrorCode.INVALID, ("provider",)
            )
        )
    url = fields.provider_base_url if isinstance(fields.provider_base_url, str) else None
    if url and (urlparse(url).scheme not in ("http", "https") or not urlparse(url).hostname):
        errors.append(
            UserError(
                "Must be an absolute http(s) URL", UserErrorCode.INVALID, ("providerBaseUrl",)
            )
        )
    return errors


async def _check_teams(session: AsyncSession, organization_id: str, team_ids: list[str]) -> None:
    found = set(
        (
            await session.scalars(
                select(Team.id).where(
                    Team.id.in_(team_ids), Team.organization_id == organization_id
                )
            )
        ).all()
    )
    for i, team_id in enumerate(team_ids):
        if team_id not in found:
            raise not_found("Team", team_id, ("teamIds", str(i)))


async def _may_manage(context: Context, session: AsyncSession, agent: Agent) -> bool:
    principal = context.principal
    role = principal.role_in(agent.organization_id)
    if agent.scope is AgentScope.PERSONAL:
        return agent.author_id == principal.user_id
    if role in (Role.OWNER, Role.ADMIN):
        return True
    if agent.scope is AgentScope.BUILT_IN:
        return False
    if agent.scope is AgentScope.TEAM:
        mine = await session.scalar(
            select(AgentTeam.id)
            .join(TeamMembership, TeamMembership.team_id == AgentTeam.team_id)
            .where(AgentTeam.agent_id == agent.id, TeamMembership.user_id == principal.user_id)
            .limit(1)
        )
        return mine is not None
    return True


async def _apply(session: AsyncSession, agent: Agent, fields: AgentFields) -> None:
    for name in ("description", "type", "scope", "model", "system_prompt", "provider"):
        value = getattr(fields, name)
        if value is not None:
            setattr(agent, name, value)
    if fields.name is not None:
        agent.name = fields.name.strip()
    if fields.provider_base_url is not None:
        agent.provider_base_url = fields.provider_base_url or None
    if fields.provider_api_key is not None:
        agent.provider_api_key = fields.provider_api_key or None
    await session.flush()
    if fields.labels is not None:
        await session.execute(delete(AgentLabel).where(AgentLabel.agent_id == agent.id))
        session.add_all(
            AgentLabel(organization_id=agent.organization_id, agent_id=agent.id, key=k, value=v)
            for k, v in sorted(fields.labels.items())
        )
    if fields.team_ids is not None:
        await _check_teams(session, agent.organization_id, fields.team_ids)
        await session.execute(delete(AgentTeam).where(AgentTeam.agent_id == agent.id))
        session.add_all(
            AgentTeam(organization_id=agent.organization_id, agent_id=agent.id, team_id=t)
            for t in dict.fromkeys(fields.team_ids)
        )
    await session.flush()


async def create_agent(
    context: Context, session: AsyncSession, *, organization_id: str | None, fields: AgentFields
) -> Agent:
    organization_id = default_organization(context, organization_id)
    require(context, organization_id, Action.WRITE, field=("organizationId",))
    errors = _errors(fields, creating=True)
    scope = fields.scope or AgentScope.ORG
    if scope is AgentScope.PERSONAL and context.principal.user_id is None:
        errors.append(
            UserError("Service accounts have no personal agents", UserErrorCode.INVALID, ("scope",))
        )
    if scope is AgentScope.TEAM and not fields.team_ids:
        errors.append(UserError("A team agent needs teams", UserErrorCode.REQUIRED, ("teamIds",)))
    if errors:
        raise UserErrors(errors)
    agent = Agent(
        organization_id=organization_id,
        name=(fields.name or "").strip(),
        author_id=context.principal.user_id,
        type=fields.type or AgentType.AGENT,
        scope=scope,
    )
    session.add(agent)
    await _apply(session, agent, fields)
    return agent


async def get_manageable(context: Context, session: AsyncSession, agent_id: str) -> Agent:
    agent = await get_for_action(context, session, Agent, agent_id, Action.READ)
    from atrium.resolvers.agents.loaders import is_visible

    if not await is_visible(context, session, agent.id):
        raise not_found("Agent", agent_id, ("id",))
    require(context, agent.organization_id, Action.WRITE, field=("id",))
    if not await _may_manage(context, session, agent):
        raise UserErrors.single(
            "Only the agent's author, its teams or an admin may change it",
            UserErrorCode.FORBIDDEN,
            ("id",),
        )
    return agent


async def update_agent(
    context: Context, session: AsyncSession, *, agent_id: str, fields: AgentFields
) -> Agent:
    agent = await get_manageable(context, session, agent_id)
    errors = _errors(fields, creating=False)
    principal = context.principal
    is_admin = principal.role_in(agent.organization_id) in (Role.OWNER, Role.ADMIN)
    is_author = agent.author_id is not None and agent.author_id == principal.user_id
    if fields.scope is not None and fields.scope is not agent.scope:
        if agent.scope is AgentScope.BUILT_IN:
            errors.append(
                UserError("A built-in agent keeps its scope", UserErrorCode.INVALID, ("scope",))
            )
        elif not (is_admin or is_author):
            errors.append(
                UserError(
                    "Only the author or an admin may change who sees an agent",
                    UserErrorCode.FORBIDDEN,
                    ("scope",),
                )
            )
        elif fields.scope is AgentScope.PERSONAL and not is_author:
            errors.append(
                UserError(
                    "Only its author may make an agent personal", UserErrorCode.INVALID, ("scope",)
                )
            )
    becomes_team = fields.scope is AgentScope.TEAM and agent.scope is not AgentScope.TEAM
    stays_team = (fields.scope or agent.scope) is AgentScope.TEAM
    if (becomes_team and not fields.team_ids) or (stays_team and fields.team_ids == []):
        errors.append(UserError("A team agent needs teams", UserErrorCode.REQUIRED, ("teamIds",)))
    endpoint_changes = fields.provider_base_url is not None or fields.provider is not None
    if endpoint_changes and not (is_admin or (agent.scope is AgentScope.PERSONAL and is_author)):
        errors.append(
            UserError(
                "Only admins change where an agent's requests go",
                UserErrorCode.FORBIDDEN,
                ("providerBaseUrl",),
            )
        )
    if errors:
        raise UserErrors(errors)
    moved = (
        fields.provider_base_url is not None
        and (fields.provider_base_url or None) != agent.provider_base_url
    )
    if moved and fields.provider_api_key is None:
        # a key was given for one endpoint: it must not follow the agent to another
        fields = dataclasses.replace(fields, provider_api_key="")
    await _apply(session, agent, fields)
    return agent


async def delete_agent(context: Context, session: AsyncSession, agent_id: str) -> str:
    agent = await get_manageable(context, session, agent_id)
    if agent.scope is AgentScope.BUILT_IN:
        raise UserErrors.single(
            "Built-in agents cannot be deleted", UserErrorCode.FORBIDDEN, ("id",)
        )
    await session.delete(agent)
    await session.flush()
    return agent_id


def export_configuration(
    agent: Agent, labels: dict[str, str], team_ids: list[str]
) -> dict[str, Any]:
    """A portable JSON description: no IDs of this organization, no secrets."""
    return {
        "format": EXPORT_FORMAT,
        "name": agent.name,
        "description": agent.description,
        "type": agent.type.value,
        "scope": agent.scope.value if agent.scope is not AgentScope.BUILT_IN else "ORG",
        "labels": labels,
        "model": agent.model,
        "system_prompt": agent.system_prompt,
        "provider": agent.provider,
        "provider_base_url": agent.provider_base_url,
    }


def fields_from_configuration(config: Any) -> AgentFields:
    """The inverse of :func:`export_configuration`, validating as it goes."""
    field = ("configuration",)
    if not isinstance(config, dict) or config.get("format") != EXPORT_FORMAT:
        raise UserErrors.single(
            f"Expected an exported agent (format {EXPORT_FORMAT})", UserErrorCode.INVALID, field
        )
    try:
        labels = {str(k): str(v) for k, v in (config.get("labels") or {}).items()}
        return AgentFields(
            name=str(config["name"]),
            description=str(config.get("description") or ""),
            type=AgentType(config.get("type", "AGENT")),
            scope=AgentScope(config.get("scope", "ORG")),
            labels=labels,
            model=_optional_str(config.get("model")),
            system_prompt=str(config.get("system_prompt") or ""),
            provider=_optional_str(config.get("provider")),
            provider_base_url=_optional_str(config.get("provider_base_url")),
        )
    except (KeyError, ValueError, AttributeError, TypeError) as error:
        raise UserErrors.single(
            f"Not a valid agent configuration: {error}", UserErrorCode.INVALID, field
        ) from None


def _optional_str(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    raise ValueError(f"expected a string, got {type(value).__name__}")
