"""GraphQL over WebSocket: graphql-transport-ws, and legacy graphql-ws behind a setting.

Authentication rides in ``connection_init`` (``Authorization``/``authorization``,
``x-api-key`` or ``token`` in its payload, or the upgrade request's headers); without
a valid credential the socket closes with 4403. Subscriptions per connection are capped;
the server pings every ``ws_keepalive_seconds``. Subscriptions run through the
:class:`~atrium.web.fanout.FanoutHub`; queries and mutations run once and complete.

Sending is built for one event going to thousands of sockets. A frame is written at once,
from the caller (the hub's fan-out loop), whenever nothing is queued for the socket: the
ASGI ``send`` is stepped by hand and, with uvicorn, returns without suspending unless the
transport is paused. No task, queue or lock is involved per frame, and an idle connection
keeps no task of its own (init timeout and keep-alive are timer callbacks; a ping goes
out through a short-lived writer task, as timer callbacks run outside any task). Only
when a send does suspend (the client reads too slowly) does the connection start a
writer task, which finishes that send and then the frames queued behind it, in order.
That queue is bounded: when it is full the oldest ``next`` frames are dropped (control
frames never are), so a slow client can neither stall the others nor grow the server's
memory. A send that fails marks the connection closed; an unexpected failure (not a
disconnect) is logged and the socket closed with 1011.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Coroutine
from typing import Any

import orjson
from graphql import GraphQLError, OperationType, parse
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from atrium.core.auth import Principal, bearer_credential
from atrium.core.context import Context
from atrium.core.errors import AtriumError, ErrorCode
from atrium.core.graphql import format_error
from atrium.resolvers.auth.credentials import authenticate
from atrium.web.fanout import SubscriptionRequest
from atrium.web.state import AppState, new_request_id

logger = logging.getLogger("atrium.ws")

TRANSPORT_WS = "graphql-transport-ws"
LEGACY_WS = "graphql-ws"


def _json(message: Any) -> str:
    return orjson.dumps(message).decode()


class Connection:
    def __init__(self, websocket: WebSocket, state: AppState, legacy: bool) -> None:
        self.ws = websocket
        self.state = state
        self.legacy = legacy
        self.settings = state.settings
        self.request_id = new_request_id()
        self.principal: Principal | None = None
        self.init_received = False
        self.subscriptions: set[str] = set()
        self.tasks: dict[str, asyncio.Task[None]] = {}
        self.dropped = 0
        self.closed = False  # the socket is gone: frames are discarded
        # Frames waiting behind a send that suspended; created with the writer task.
        self._frames: deque[tuple[bool, str]] | None = None
        self._writer: asyncio.Task[None] | None = None
        self._timer: asyncio.TimerHandle | None = None  # init timeout, then keep-alive
        self._closing: asyncio.Task[None] | None = None
        self._prefixes: dict[str, str] = {}  # operation id -> start of its `next` frames

    # --- outgoing ------------------------------------------------------------------

    def _enqueue(self, frame: str, droppable: bool = False) -> None:
        """Send ``frame`` now from the calling task; queue it if a send is in progress."""
        if self._frames is not None:
            self._queue(frame, droppable)
            return
        if self.closed:
            return
        sending = self.ws.send({"type": "websocket.send", "text": frame})
        try:
            waiting_on = sending.send(None)  # step the ASGI send by hand: no task
        except StopIteration:
            return  # sent (the usual case)
        except Exception as error:
            self._failed(error)
            return
        # It suspended (the transport is paused): a writer task takes it over.
        self._frames = deque()
        self._writer = asyncio.create_task(self._write(sending, waiting_on))

    def _queue(self, frame: str, droppable: bool) -> None:
        frames = self._frames
        assert frames is not None
        if droppable and len(frames) >= self.settings.ws_queue_size:
            for index, (is_data, _) in enumerate(frames):
                if is_data:
                    del frames[index]
                    self.dropped += 1
                    break
        frames.append((droppable, frame))

    def _send_later(self, frame: str) -> None:
        """Send ``frame`` from a writer task: for timer callbacks, which run outside any
        task (ASGI servers built on anyio can only send from a task)."""
        if self.closed:
            return
        if self._frames is None:
            self._frames = deque()
            self._writer = asyncio.create_task(self._write(None, None))
        self._queue(frame, False)

    async def _write(self, sending: Coroutine[Any, Any, None] | None, waiting_on: Any) -> None:
        """Finish a send that suspended (if any), then the frames queued meanwhile, in order."""
        frames = self._frames
        assert frames is not None
        try:
            if sending is not None:
                await _resume(sending, waiting_on)
            while frames:
                _, frame = frames.popleft()
                await self.ws.send_text(frame)
        except Exception as error:
            self._failed(error)
        finally:
            self._frames = None
            self._writer = None

    def _failed(self, error: Exception) -> None:
        """A send raised: stop sending; serve() cleans up once the socket is closed."""
        self.closed = True
        if not isinstance(error, WebSocketDisconnect | RuntimeError | OSError):
            logger.warning(
                "WebSocket send failed", exc_info=error, extra={"request_id": self.request_id}
            )
            if self._closing is None:
                self._closing = asyncio.create_task(self.close(1011, "Internal error"))

    def send(self, message: dict[str, Any]) -> None:
        self._enqueue(_json(message))

    def send_next(self, operation_id: str, payload: str) -> None:
        """Splice a serialized result into this operation's ``next`` frame: no JSON
        encoding per listener (the hub serializes a result once for its whole group)."""
        prefix = self._prefixes.get(operation_id)
        if prefix is None:
            kind = "data" if self.legacy else "next"
            prefix = f'{{"id":{_json(operation_id)},"type":"{kind}","payload":'
            self._prefixes[operation_id] = prefix
        self._enqueue(prefix + payload + "}", droppable=True)

    def _forget(self, operation_id: str) -> None:
        self.subscriptions.discard(operation_id)
        self._prefixes.pop(operation_id, None)

    def send_error(self, operation_id: str, errors: list[dict[str, Any]]) -> None:
        self._forget(operation_id)
        payload: Any = errors[0] if self.legacy and errors else errors
        self.send({"id": operation_id, "type": "error", "payload": payload})

    def send_complete(self, operation_id: str) -> None:
        self._forget(operation_id)
        self.send({"id": operation_id, "type": "complete"})

    def _schedule(self, delay: float, callback: Any) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._timer = asyncio.get_running_loop().call_later(delay, callback)

    def _keepalive(self) -> None:
        self._send_later(_json({"type": "ka"} if self.legacy else {"type": "ping"}))
        self._schedule(self.settings.ws_keepalive_seconds, self._keepalive)

    def _init_timeout(self) -> None:
        self._timer = None
        if not self.init_received and self._closing is None:
            self._closing = asyncio.create_task(
                self.close(4408, "Connection initialisation timeout")
            )

    async def close(self, code: int, reason: str) -> None:
        if self.ws.application_state != WebSocketState.DISCONNECTED:
            with contextlib.suppress(Exception):
                await self.ws.close(code, reason)

    # --- lifecycle -----------------------------------------------------------------

    async def serve(self) -> None:
        self._schedule(self.settings.ws_init_timeout_seconds, self._init_timeout)
        try:
            while True:
                text = await self.ws.receive_text()
                if not await self._handle(text):
                    break
        except (WebSocketDisconnect, RuntimeError):
            pass
        finally:
            self.closed = True
            if self._timer is not None:
                self._timer.cancel()
            hub = self.state.hub
            for operation_id in list(self.subscriptions):
                hub.leave(self, operation_id)
            for task in [self._writer, self._closing, *self.tasks.values()]:
                if task is not None:
                    task.cancel()

    async def _handle(self, text: str) -> bool:
        """Handle one client message; False once the socket has been closed."""
        try:
            message = orjson.loads(text)
        except orjson.JSONDecodeError:
            message = None
        if not isinstance(message, dict) or not isinstance(message.get("type"), str):
            await self.close(4400, "Invalid message received")
            return False
        kind = message["type"]
        if kind == "connection_init":
            return await self._on_init(message.get("payload"))
        if kind == "ping":
            self.send(
                {
                    "type": "pong",
                    **({"payload": message["payload"]} if "payload" in message else {}),
                }
            )
            return True
        if kind == "pong":
            return True
        if kind in ("subscribe", "start"):
            return await self._on_subscribe(message)
        if kind in ("complete", "stop"):
            self._stop(str(message.get("id")))
            return True
        if kind == "connection_terminate" and self.legacy:
            await self.close(1000, "Terminated")
            return False
        await self.close(4400, f"Unknown message type {kind!r}")
        return False

    async def _on_init(self, payload: Any) -> bool:
        if self.init_received:
            await self.close(4429, "Too many initialisation requests")
            return False
        self.init_received = True
        payload = payload if isinstance(payload, dict) else {}
        lowered = {str(k).lower(): v for k, v in payload.items() if isinstance(v, str)}
        headers = self.ws.headers
        credential = bearer_credential(
            lowered.get("authorization") or headers.get("authorization"),
            lowered.get("x-api-key") or headers.get("x-api-key"),
        ) or lowered.get("token")
        try:
            async with self.state.db.sessionmaker() as session:
                principal = await authenticate(session, self.settings, credential)
                await session.commit()
        except AtriumError:
            principal = None
        if principal is None or not principal.is_authenticated:
            await self.close(4403, "Forbidden")
            return False
        self.principal = principal
        self.send({"type": "connection_ack"})
        if self.legacy:
            self.send({"type": "ka"})
        self._schedule(self.settings.ws_keepalive_seconds, self._keepalive)
        return True

    async def _on_subscribe(self, message: dict[str, Any]) -> bool:
        if self.principal is None:
            await self.close(4401, "Unauthorized")
            return False
        operation_id, payload = message.get("id"), message.get("payload")
        if not isinstance(operation_id, str) or not operation_id or not isinstance(payload, dict):
            await self.close(4400, "Invalid subscribe message")
            return False
        if operation_id in self.subscriptions or operation_id in self.tasks:
            await self.close(4409, f"Subscriber for {operation_id} already exists")
            return False
        query, variables = payload.get("query"), payload.get("variables")
        operation_name = payload.get("operationName")
        if not isinstance(query, str) or (
            variables is not None and not isinstance(variables, dict)
        ):
            await self.close(4400, "Invalid subscribe payload")
            return False
        if len(self.subscriptions) + len(self.tasks) >= self.settings.ws_max_subscriptions:
            self.send_error(
                operation_id,
                [
                    _error(
                        f"At most {self.settings.ws_max_subscriptions} operations per connection",
                        ErrorCode.QUERY_TOO_COMPLEX,
                    )
                ],
            )
            return True
        request = SubscriptionRequest(query, variables, operation_name)
        if _is_subscription(query, operation_name):
            self.subscriptions.add(operation_id)
            self.state.hub.join(self, operation_id, request, self.principal, self.request_id)
        else:
            self.tasks[operation_id] = asyncio.create_task(self._run_once(operation_id, request))
        return True

    def _stop(self, operation_id: str) -> None:
        if operation_id in self.subscriptions:
            self._forget(operation_id)
            self.state.hub.leave(self, operation_id)
        task = self.tasks.pop(operation_id, None)
        if task is not None:
            task.cancel()

    async def _run_once(self, operation_id: str, request: SubscriptionRequest) -> None:
        """A query or mutation over the socket: one result, then complete."""
        assert self.principal is not None
        context = Context(
            db=self.state.db,
            settings=self.settings,
            principal=self.principal,
            request_id=self.request_id,
            services=self.state.services,
        )
        try:
            result = await self.state.schema.execute(
                request.query,
                variable_values=request.variables,
                context_value=context,
                operation_name=request.operation_name,
            )
            await context.commit()
            errors = [format_error(e, self.request_id) for e in (result.errors or [])]
            if result.data is None and errors and all("path" not in e for e in errors):
                self.send_error(operation_id, errors)
                return
            body: dict[str, Any] = {"data": result.data}
            if errors:
                body["errors"] = errors
            self.send_next(operation_id, orjson.dumps(body).decode())
            self.send_complete(operation_id)
        finally:
            await context.close()
            self.tasks.pop(operation_id, None)
            self._prefixes.pop(operation_id, None)


async def _resume(coroutine: Coroutine[Any, Any, None], waiting_on: Any) -> None:
    """Run to its end a coroutine that was started by hand (``coroutine.send(None)``)
    and suspended: ``waiting_on`` is what it gave the event loop, a future or None."""
    while True:
        if waiting_on is None:
            await asyncio.sleep(0)
        else:
            try:
                # Wait for the future without consuming its outcome: the coroutine does.
                await asyncio.wait((waiting_on,))
            except asyncio.CancelledError:
                coroutine.close()
                raise
        try:
            waiting_on = coroutine.send(None)
        except StopIteration:
            return


def _error(message: str, code: ErrorCode) -> dict[str, Any]:
    return {"message": message, "extensions": {"code": code.value}}


def _is_subscription(query: str, operation_name: str | None) -> bool:
    try:
        document = parse(query)
    except GraphQLError:
        return False  # the schema reports the syntax error
    for definition in document.definitions:
        name = getattr(getattr(definition, "name", None), "value", None)
        if getattr(definition, "operation", None) is not None and (
            operation_name is None or name == operation_name
        ):
            return bool(definition.operation == OperationType.SUBSCRIPTION)  # type: ignore[attr-defined]
    return False


async def graphql_ws(websocket: WebSocket) -> None:
    state: AppState = websocket.app.state.atrium
    offered = websocket.scope.get("subprotocols", [])
    if TRANSPORT_WS in offered:
        legacy = False
    elif LEGACY_WS in offered and state.settings.ws_legacy_protocol:
        legacy = True
    else:
        await websocket.close(4406, "Subprotocol not acceptable")
        return
    await websocket.accept(subprotocol=LEGACY_WS if legacy else TRANSPORT_WS)
    await Connection(websocket, state, legacy).serve()
