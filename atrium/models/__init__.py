"""SQLAlchemy models, one module per domain. Importing this package registers them all."""

from atrium.models import (
    agents,
    architecture,
    auth,
    events,
    health,
    identity,
    jobs,
    knowledge,
    llm,
    mcp,
    projects,
    repositories,
    threads,
    webhooks,
    workflows,
    workspace,
)
from atrium.models.base import Base

__all__ = [
    "Base",
    "agents",
    "architecture",
    "auth",
    "events",
    "health",
    "identity",
    "jobs",
    "knowledge",
    "llm",
    "mcp",
    "projects",
    "repositories",
    "threads",
    "webhooks",
    "workflows",
    "workspace",
]
