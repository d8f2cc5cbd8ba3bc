"""The agents every organization has from its first moment (scope BUILT_IN)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from atrium.models.agents import Agent, AgentScope, AgentType

ASSISTANT_KEY = "assistant"
ASSISTANT_PROMPT = (
    "You are Atrium's assistant for this organization. Answer clearly and briefly; "
    "say when you are unsure."
)


async def create_built_in_agents(session: AsyncSession, organization_id: str) -> None:
    """Called when an organization is created (migration 0006 did it for older ones)."""
    session.add(
        Agent(
            organization_id=organization_id,
            name="Assistant",
            description="The organization's general assistant.",
            type=AgentType.AGENT,
            scope=AgentScope.BUILT_IN,
            system_prompt=ASSISTANT_PROMPT,
            is_default_assistant=True,
            built_in_key=ASSISTANT_KEY,
        )
    )
    await session.flush()
