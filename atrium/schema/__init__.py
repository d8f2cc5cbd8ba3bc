"""The one schema: root types assembled from per-domain mixins (NetBox style)."""

from __future__ import annotations

from typing import Any

import strawberry
from graphql import ASTValidationRule, GraphQLError
from strawberry.extensions import AddValidationRules, MaxTokensLimiter
from strawberry.schema.config import StrawberryConfig

from atrium.core.config import Settings
from atrium.core.execution import FastSchema
from atrium.core.graphql import ProtectionExtension
from atrium.core.ids import register_prefix
from atrium.core.limits import alias_limit_rule, depth_limit_rule
from atrium.schema.agents import NODE_TYPES as AGENT_NODES
from atrium.schema.agents import AgentMutation, AgentQuery
from atrium.schema.architecture import NODE_TYPES as ARCHITECTURE_NODES
from atrium.schema.architecture.mutations import ArchitectureMutation
from atrium.schema.architecture.queries import ArchitectureQuery
from atrium.schema.auth import AuthMutation
from atrium.schema.auth_flows import AuthFlowMutation
from atrium.schema.health.code_architecture import NODE_TYPES as CODE_ARCHITECTURE_NODES
from atrium.schema.health.code_architecture import (
    CodeArchitectureMutation,
    CodeArchitectureQuery,
)
from atrium.schema.health.operations import NODE_TYPES as HEALTH_NODES
from atrium.schema.health.operations import HealthMutation, HealthQuery
from atrium.schema.health.pull_requests import NODE_TYPES as PULL_REQUEST_NODES
from atrium.schema.health.pull_requests import PullRequestMutation, PullRequestQuery
from atrium.schema.identity.mutations import IdentityMutation
from atrium.schema.identity.profile import ProfileMutation
from atrium.schema.identity.queries import IdentityQuery
from atrium.schema.identity.types import NODE_TYPES as IDENTITY_NODES
from atrium.schema.jobs import NODE_TYPES as JOB_NODES
from atrium.schema.knowledge import NODE_TYPES as KNOWLEDGE_NODES
from atrium.schema.knowledge import KnowledgeMutation, KnowledgeQuery
from atrium.schema.llm.operations import NODE_TYPES as LLM_NODES
from atrium.schema.llm.operations import LlmMutation, LlmQuery
from atrium.schema.llm.statistics import StatisticsQuery
from atrium.schema.mcp import NODE_TYPES as MCP_NODES
from atrium.schema.mcp import McpMutation, McpQuery
from atrium.schema.node import node_query
from atrium.schema.projects import NODE_TYPES as PROJECT_NODES
from atrium.schema.projects import ProjectMutation, ProjectQuery
from atrium.schema.repositories import NODE_TYPES as REPOSITORY_NODES
from atrium.schema.repositories import RepositoryMutation, RepositoryQuery
from atrium.schema.search import SearchQuery
from atrium.schema.threads.operations import ThreadMutation, ThreadQuery
from atrium.schema.threads.types import NODE_TYPES as THREAD_NODES
from atrium.schema.webhooks import NODE_TYPES as WEBHOOK_NODES
from atrium.schema.webhooks import WebhookMutation
from atrium.schema.workflows.operations import NODE_TYPES as WORKFLOW_NODES
from atrium.schema.workflows.operations import WorkflowMutation, WorkflowQuery
from atrium.schema.workflows.routines import NODE_TYPES as ROUTINE_NODES
from atrium.schema.workflows.routines import RoutineMutation, RoutineQuery
from atrium.schema.workspace import NODE_TYPES as WORKSPACE_NODES
from atrium.schema.workspace import WorkspaceMutation, WorkspaceQuery
from atrium.subscriptions.architecture import ArchitectureSubscription
from atrium.subscriptions.identity import IdentitySubscription
from atrium.subscriptions.projects import ProjectSubscription
from atrium.subscriptions.threads import ThreadSubscription
from atrium.subscriptions.workflows import WorkflowSubscription

NODE_RESOLVERS = {
    **IDENTITY_NODES,
    **WEBHOOK_NODES,
    **JOB_NODES,
    **ARCHITECTURE_NODES,
    **AGENT_NODES,
    **THREAD_NODES,
    **WORKSPACE_NODES,
    **REPOSITORY_NODES,
    **PROJECT_NODES,
    **HEALTH_NODES,
    **PULL_REQUEST_NODES,
    **CODE_ARCHITECTURE_NODES,
    **WORKFLOW_NODES,
    **ROUTINE_NODES,
    **MCP_NODES,
    **KNOWLEDGE_NODES,
    **LLM_NODES,
}

for _prefix, (_, _convert) in NODE_RESOLVERS.items():
    register_prefix(_prefix, _convert.__self__.__name__)

NodeQuery = node_query(NODE_RESOLVERS)


@strawberry.type(description="The query root: every object of Atrium's graph starts here.")
class Query(
    NodeQuery,  # type: ignore[misc,valid-type]
    IdentityQuery,
    ArchitectureQuery,
    AgentQuery,
    ThreadQuery,
    WorkspaceQuery,
    SearchQuery,
    RepositoryQuery,
    ProjectQuery,
    HealthQuery,
    PullRequestQuery,
    CodeArchitectureQuery,
    WorkflowQuery,
    RoutineQuery,
    McpQuery,
    KnowledgeQuery,
    LlmQuery,
    StatisticsQuery,
):
    pass


@strawberry.type(
    description="The mutation root: each field takes one `input` and returns a payload."
)
class Mutation(
    AuthMutation,
    AuthFlowMutation,
    IdentityMutation,
    ProfileMutation,
    WebhookMutation,
    ArchitectureMutation,
    AgentMutation,
    ThreadMutation,
    WorkspaceMutation,
    RepositoryMutation,
    ProjectMutation,
    HealthMutation,
    PullRequestMutation,
    CodeArchitectureMutation,
    WorkflowMutation,
    RoutineMutation,
    McpMutation,
    KnowledgeMutation,
    LlmMutation,
):
    pass


@strawberry.type(
    description="The subscription root: live events over WebSocket (graphql-transport-ws)."
)
class Subscription(
    IdentitySubscription,
    ArchitectureSubscription,
    ThreadSubscription,
    ProjectSubscription,
    WorkflowSubscription,
):
    pass


class AtriumSchema(FastSchema):
    def process_errors(self, errors: list[GraphQLError], execution_context: Any = None) -> None:
        """Errors are logged once, when formatted (``core.graphql.format_error``): expected
        ones (codes) are not logged at all, unexpected ones with their request id."""


def create_schema(settings: Settings) -> strawberry.Schema:
    """The schema with the protections the settings ask for."""
    from graphql.validation import NoSchemaIntrospectionCustomRule

    rules: list[type[ASTValidationRule]] = [
        depth_limit_rule(settings.max_query_depth),
        alias_limit_rule(settings.max_aliases),
    ]
    if not settings.introspection_enabled:
        rules.append(NoSchemaIntrospectionCustomRule)
    return AtriumSchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        config=StrawberryConfig(disable_field_suggestions=not settings.suggestions_enabled),
        extensions=[
            lambda: MaxTokensLimiter(max_token_count=settings.max_tokens),
            lambda: AddValidationRules(rules),
            ProtectionExtension,
        ],
    )


def sdl() -> str:
    """The exported SDL, independent of runtime settings."""
    return create_schema(Settings()).as_str() + "\n"
