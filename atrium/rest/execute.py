"""Run one GraphQL operation for a non-GraphQL transport (REST, SSE) with GraphQL's rules.

The same authentication, scopes, cost and rate limit, error formatting and commit as
``/graphql``: the REST layer adds no rules of its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request

from atrium.core.errors import AtriumError
from atrium.core.graphql import format_error
from atrium.web.request import request_context
from atrium.web.state import AppState, new_request_id


@dataclass
class Outcome:
    data: dict[str, Any] | None
    errors: list[dict[str, Any]]
    headers: dict[str, str] = field(default_factory=dict)
    unauthenticated: bool = False

    @property
    def codes(self) -> list[str]:
        return [e.get("extensions", {}).get("code", "BAD_USER_INPUT") for e in self.errors]


async def execute(
    state: AppState,
    request: Request,
    query: str,
    variables: dict[str, Any],
    operation_name: str | None = None,
    *,
    read_only: bool = False,
) -> Outcome:
    """``read_only`` for a query (see ``Database``)."""
    request_id = request.headers.get("x-request-id") or new_request_id()
    headers = {"X-Request-Id": request_id}
    try:
        context = await request_context(state, request, request_id, read_only=read_only)
    except AtriumError as error:
        errors = [{"message": error.message, "extensions": error.extensions}]
        return Outcome(None, errors, headers, unauthenticated=True)
    try:
        result = await state.schema.execute(
            query, variable_values=variables, context_value=context, operation_name=operation_name
        )
        await context.commit()
    finally:
        await context.close()
    if context.rate_limit is not None:
        headers.update(context.rate_limit.headers())
    errors = [format_error(e, request_id) for e in (result.errors or [])]
    return Outcome(result.data, errors, headers)
