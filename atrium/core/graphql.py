"""Strawberry glue that every operation goes through: protection and error formatting.

:class:`ProtectionExtension` runs after parsing and validation, before any resolver: it
checks the credential's scope for the operation type, prices the query, refuses it above
the node cap and charges the hourly budget. :func:`format_error` gives every error an
``extensions.code`` and masks unexpected exceptions (logged with the request id).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Any

from graphql import FragmentDefinitionNode, GraphQLError, OperationDefinitionNode
from graphql.error import GraphQLSyntaxError
from strawberry.extensions import SchemaExtension

from atrium.core.context import Context
from atrium.core.errors import AtriumError, ErrorCode
from atrium.core.limits import RateLimitState, query_cost, too_complex
from atrium.core.policy import scope_at_least, scope_for_operation

logger = logging.getLogger("atrium.graphql")


def _operation(document: Any, name: str | None) -> OperationDefinitionNode | None:
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if name is None:
        return operations[0] if len(operations) == 1 else None
    return next((o for o in operations if o.name and o.name.value == name), None)


class ProtectionExtension(SchemaExtension):
    """Scope check, query cost and rate limit, before execution."""

    async def on_execute(self) -> AsyncIterator[None]:
        execution = self.execution_context
        context: Context = execution.context
        document = execution.graphql_document
        operation = _operation(document, execution.operation_name) if document else None
        if operation is not None:
            await self._protect(context, operation, document, execution.variables)
        yield

    async def _protect(
        self, context: Context, operation: OperationDefinitionNode, document: Any, variables: Any
    ) -> None:
        principal = context.principal
        kind = operation.operation.value
        if principal.is_authenticated and not scope_at_least(
            principal.scope, scope_for_operation(kind)
        ):
            raise GraphQLError(
                f"The credential's {principal.scope.value} scope does not allow a {kind}",
                extensions={"code": ErrorCode.FORBIDDEN.value},
            )
        fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        cost = query_cost(self.execution_context.schema._schema, operation, fragments, variables)
        settings = context.settings
        if cost.nodes > settings.max_query_nodes:
            raise too_complex(
                f"This query could return {cost.nodes} nodes; the maximum is "
                f"{settings.max_query_nodes}. Ask for smaller pages.",
                nodes=cost.nodes,
            )
        state = await context.services.consume_rate_limit(context, cost.points)
        context.rate_limit = state
        if not state.allowed:
            raise GraphQLError(
                f"Rate limit of {state.limit} points per hour exceeded; resets at {state.reset_at}",
                extensions={"code": ErrorCode.RATE_LIMITED.value, "resetAt": state.reset_at},
            )

    def get_results(self) -> dict[str, Any]:
        state: RateLimitState | None = getattr(self.execution_context.context, "rate_limit", None)
        return {"rateLimit": state.as_extension()} if state is not None else {}


def format_error(error: GraphQLError, request_id: str) -> dict[str, Any]:
    """The wire form of an error, always with ``extensions.code``; internals masked."""
    original = error.original_error
    while isinstance(original, GraphQLError):  # variable coercion wraps GraphQLErrors
        original = original.original_error
    if isinstance(original, AtriumError):
        extensions = original.extensions
    elif original is not None:
        logger.error(
            "internal error in %s: %r",
            ".".join(map(str, error.path or [])) or "operation",
            original,
            exc_info=original,
            extra={"request_id": request_id},
        )
        error = GraphQLError("Internal server error", path=error.path, nodes=error.nodes)
        extensions = {"code": ErrorCode.INTERNAL_SERVER_ERROR.value, "requestId": request_id}
    else:
        extensions = dict(error.extensions or {})
        if "code" not in extensions:
            if isinstance(error, GraphQLSyntaxError) and "tokens" in error.message:
                extensions["code"] = ErrorCode.QUERY_TOO_COMPLEX.value
            else:
                extensions["code"] = ErrorCode.BAD_USER_INPUT.value
    formatted = error.formatted
    formatted["extensions"] = extensions
    return dict(formatted)
