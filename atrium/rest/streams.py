"""The seeds' SSE routes, served from subscriptions by the SSE adapter (``web/sse.py``).

Archon's ``/api/stream/{conversationId}`` names its events ``text``, ``tool_call``,
``tool_result``, ``conversation_lock``, ``error`` and ``heartbeat``; here they are
``threadEvents`` renamed: token deltas become ``text``, the agent's RESPONDING / IDLE
status becomes ``conversation_lock``, and failed replies become ``error``.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import Response

from atrium.web.fanout import SubscriptionRequest
from atrium.web.sse import stream_subscription
from atrium.web.state import AppState

ARCHON_STREAM = """
subscription ArchonStream($id: ID!) {
  threadEvents(threadId: $id) { type messageId delta index status error code }
}
"""


def archon_event(result: dict[str, Any]) -> tuple[str, Any] | None:
    """One subscription result as Archon's (event, data); None for what Archon never sends."""
    if result.get("errors"):
        error = result["errors"][0]
        code = error.get("extensions", {}).get("code")
        return "error", {"message": error.get("message"), "code": code}
    event = (result.get("data") or {}).get("threadEvents") or {}
    kind = event.get("type")
    if kind == "MESSAGE_DELTA":
        return "text", {
            "content": event["delta"],
            "messageId": event["messageId"],
            "index": event["index"],
        }
    if kind == "AGENT_STATUS":
        return "conversation_lock", {"locked": event["status"] == "RESPONDING"}
    if kind == "ERROR":
        return "error", {
            "message": event["error"],
            "code": event["code"],
            "messageId": event["messageId"],
        }
    return None


def mount_streams(app: FastAPI, state: AppState) -> None:
    async def archon_stream(request: Request) -> Response:
        subscription = SubscriptionRequest(
            ARCHON_STREAM, {"id": request.path_params["conversationId"]}, "ArchonStream"
        )
        return await stream_subscription(state, request, subscription, archon_event)

    app.add_api_route(
        "/rest/archon/api/stream/{conversationId}",
        archon_stream,
        methods=["GET"],
        include_in_schema=False,
    )
