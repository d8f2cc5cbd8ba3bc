"""Subscriptions as Server-Sent Events, for clients that cannot speak WebSocket.

``GET|POST /graphql/stream`` follows the GraphQL-over-SSE "distinct connections" mode:
each ``next`` event carries an execution result, ``complete`` ends the stream. The same
adapter, with a ``transform``, serves the seeds' own SSE routes (Archon's
``/api/stream/{conversationId}``), which name their events differently. Streams join the
subscription :class:`~atrium.web.fanout.FanoutHub` like WebSocket operations do, and
send a ``heartbeat`` event while idle so proxies keep the connection open.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections import deque
from collections.abc import AsyncIterator, Callable
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from atrium.core.errors import AtriumError
from atrium.resolvers.auth.credentials import authenticate
from atrium.web.fanout import SubscriptionRequest
from atrium.web.request import credential_of
from atrium.web.state import AppState, new_request_id

# (event name, data) for one GraphQL result; None drops the result.
Transform = Callable[[dict[str, Any]], tuple[str, Any] | None]
_ids = itertools.count(1)


def _frame(event: str, data: str) -> bytes:
    return f"event: {event}\ndata: {data}\n\n".encode()


class SSEMember:
    """A hub member writing to one event stream; oldest frames dropped when full."""

    def __init__(self, size: int) -> None:
        self.frames: deque[tuple[str, str]] = deque(maxlen=size)
        self.ready = asyncio.Event()
        self.done = False

    def send_next(self, operation_id: str, payload: str) -> None:
        self.frames.append(("next", payload))
        self.ready.set()

    def send_error(self, operation_id: str, errors: list[dict[str, Any]]) -> None:
        self.frames.append(("error", orjson.dumps({"errors": errors}).decode()))
        self.done = True
        self.ready.set()

    def send_complete(self, operation_id: str) -> None:
        self.frames.append(("complete", ""))
        self.done = True
        self.ready.set()


async def stream_subscription(
    state: AppState,
    request: Request,
    subscription: SubscriptionRequest,
    transform: Transform | None = None,
) -> Response:
    """Authenticate like ``/graphql``, then stream the subscription's results as SSE."""
    credential = credential_of(request) or request.query_params.get("access_token")
    try:
        async with state.db.sessionmaker() as session:
            principal = await authenticate(session, state.settings, credential)
            await session.commit()
    except AtriumError as error:
        body = {"errors": [{"message": error.message, "extensions": error.extensions}]}
        return Response(orjson.dumps(body), 401, media_type="application/json")
    if not principal.is_authenticated:
        body = {
            "errors": [
                {"message": "Authentication required", "extensions": {"code": "UNAUTHENTICATED"}}
            ]
        }
        return Response(orjson.dumps(body), 401, media_type="application/json")
    member = SSEMember(state.settings.ws_queue_size)
    operation_id = f"sse{next(_ids)}"
    state.hub.join(member, operation_id, subscription, principal, new_request_id())
    heartbeat = state.settings.sse_heartbeat_seconds

    async def events() -> AsyncIterator[bytes]:
        try:
            while True:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(member.ready.wait(), heartbeat)
                member.ready.clear()
                if not member.frames and not member.done:
                    yield _frame("heartbeat", "{}")
                while member.frames:
                    kind, data = member.frames.popleft()
                    if kind == "next" and transform is not None:
                        shaped = transform(orjson.loads(data))
                        if shaped is None:
                            continue
                        name, value = shaped
                        yield _frame(name, orjson.dumps(value).decode())
                    else:
                        yield _frame(kind, data)
                if member.done and not member.frames:
                    return
        finally:
            state.hub.leave(member, operation_id)

    return StreamingResponse(
        events(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


async def graphql_sse(request: Request) -> Response:
    """``/graphql/stream``: a subscription given as GET parameters or a JSON body."""
    state: AppState = request.app.state.atrium
    if request.method == "GET":
        params: dict[str, Any] = dict(request.query_params)
        if "variables" in params:
            try:
                params["variables"] = orjson.loads(params["variables"])
            except orjson.JSONDecodeError:
                params["variables"] = None
    else:
        try:
            params = orjson.loads(await request.body())
        except orjson.JSONDecodeError:
            params = {}
    query, variables = params.get("query"), params.get("variables")
    if not isinstance(query, str) or not isinstance(variables, dict | None):
        body = {
            "errors": [
                {
                    "message": "Send `query` (and optional `variables` object)",
                    "extensions": {"code": "BAD_USER_INPUT"},
                }
            ]
        }
        return Response(orjson.dumps(body), 400, media_type="application/json")
    request_ = SubscriptionRequest(query, variables, params.get("operationName"))
    return await stream_subscription(state, request, request_)
