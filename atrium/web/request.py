"""The per-request context every HTTP transport (GraphQL, REST, SSE) starts from."""

from __future__ import annotations

from functools import partial

from starlette.requests import HTTPConnection

from atrium.core.auth import bearer_credential
from atrium.core.context import Context
from atrium.resolvers.auth.credentials import authenticate
from atrium.web.state import AppState


def credential_of(connection: HTTPConnection) -> str | None:
    """``Authorization: Bearer …`` or ``x-api-key``, as every transport accepts them."""
    return bearer_credential(
        connection.headers.get("authorization"), connection.headers.get("x-api-key")
    )


async def request_context(
    state: AppState, connection: HTTPConnection, request_id: str, *, read_only: bool = False
) -> Context:
    """A context for this request with its caller authenticated.

    ``read_only`` for an operation that only reads (a query): see ``Database``. Raises
    :class:`~atrium.core.errors.AtriumError` (UNAUTHENTICATED) for a credential that is
    present but invalid; the caller closes the context.
    """
    context = Context(
        db=state.db,
        settings=state.settings,
        request_id=request_id,
        services=state.services,
        client_ip=connection.client.host if connection.client else None,
        read_only=read_only,
    )
    try:
        async with context.session() as session:
            context.principal = await authenticate(
                session,
                state.settings,
                credential_of(connection),
                write=partial(context.write_soon, session),
            )
    except BaseException:
        await context.close()
        raise
    return context
