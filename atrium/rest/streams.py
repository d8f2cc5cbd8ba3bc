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


DASHBOARD_STREAM = """
subscription ArchonDashboard {
  dashboardEvents { type runId workflowName status nodeId data occurredAt }
}
"""

_NODE_STATUS = {
    "NODE_STARTED": "running",
    "NODE_COMPLETED": "completed",
    "NODE_FAILED": "failed",
    "NODE_SKIPPED": "skipped",
    "NODE_CANCELLED": "cancelled",
}


def dashboard_event(result: dict[str, Any]) -> tuple[str, Any] | None:
    """``dashboardEvents`` as Archon's ``workflow_status`` and ``dag_node`` events."""
    if result.get("errors"):
        error = result["errors"][0]
        return "error", {
            "message": error.get("message"),
            "code": error.get("extensions", {}).get("code"),
        }
    event = (result.get("data") or {}).get("dashboardEvents") or {}
    kind = event.get("type")
    base = {"runId": event.get("runId"), "workflowName": event.get("workflowName")}
    data = event.get("data") or {}
    if kind == "WORKFLOW_STATUS":
        return "workflow_status", {
            **base,
            "status": str(event.get("status", "")).lower(),
            "error": data.get("error"),
            "timestamp": event.get("occurredAt"),
        }
    if kind in _NODE_STATUS:
        return "dag_node", {
            **base,
            "nodeId": event.get("nodeId"),
            "status": _NODE_STATUS[kind],
            "reason": data.get("reason"),
            "error": data.get("error"),
            "timestamp": event.get("occurredAt"),
        }
    return None


def mount_streams(app: FastAPI, state: AppState) -> None:
    async def archon_dashboard(request: Request) -> Response:
        subscription = SubscriptionRequest(DASHBOARD_STREAM, {}, "ArchonDashboard")
        return await stream_subscription(state, request, subscription, dashboard_event)

    # before /api/stream/{conversationId}, which would take "__dashboard__" for an id
    app.add_api_route(
        "/rest/archon/api/stream/__dashboard__",
        archon_dashboard,
        methods=["GET"],
        include_in_schema=False,
    )

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
