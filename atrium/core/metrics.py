"""Prometheus metrics: GraphQL operations by name, their latency, errors by code."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram

REGISTRY = CollectorRegistry(auto_describe=True)

OPERATIONS = Counter(
    "atrium_graphql_operations_total",
    "GraphQL operations served, by operation name and type.",
    ["operation", "type", "transport"],
    registry=REGISTRY,
)
LATENCY = Histogram(
    "atrium_graphql_operation_seconds",
    "Time to serve a GraphQL operation, by operation name.",
    ["operation", "transport"],
    registry=REGISTRY,
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
ERRORS = Counter(
    "atrium_graphql_errors_total",
    "GraphQL errors returned, by extensions.code.",
    ["code", "transport"],
    registry=REGISTRY,
)
HTTP_REQUESTS = Counter(
    "atrium_http_requests_total",
    "HTTP requests by route and status.",
    ["route", "method", "status"],
    registry=REGISTRY,
)
# Archestra's name (seed 002), without our prefix, so its dashboards work unchanged.
MCP_TOOL_CALLS = Counter(
    "mcp_tool_calls",
    "Tool calls through MCP gateways, by gateway, server, tool and outcome.",
    ["gateway", "server", "tool", "outcome"],
    registry=REGISTRY,
)


def record_operation(
    operation: str, kind: str, seconds: float, codes: list[str], transport: str = "http"
) -> None:
    OPERATIONS.labels(operation or "anonymous", kind or "unknown", transport).inc()
    LATENCY.labels(operation or "anonymous", transport).observe(seconds)
    for code in codes:
        ERRORS.labels(code, transport).inc()


# --- LLM proxy (Archestra's names: llm_tokens_total, llm_cost_total) -------------------
LLM_TOKENS = Counter(
    "llm_tokens_total",
    "Tokens through LLM proxies, by proxy, model and type (input or output).",
    ["agent_id", "model", "type"],
    registry=REGISTRY,
)
LLM_COST = Counter(
    "llm_cost_total",
    "Cost in USD of calls through LLM proxies, by proxy and model.",
    ["agent_id", "model"],
    registry=REGISTRY,
)
LLM_REQUESTS = Counter(
    "llm_requests_total",
    "Calls through LLM proxies, by proxy, model and HTTP status.",
    ["agent_id", "model", "status"],
    registry=REGISTRY,
)
LLM_REQUEST_DURATION = Histogram(
    "llm_request_duration_seconds",
    "Time to serve a call through an LLM proxy, upstream included, by proxy and model.",
    ["agent_id", "model", "streamed"],
    registry=REGISTRY,
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
)


def record_llm_call(
    agent_id: str,
    model: str,
    status: int,
    streamed: bool,
    seconds: float,
    input_tokens: int,
    output_tokens: int,
    cost: float,
) -> None:
    LLM_REQUESTS.labels(agent_id, model, str(status)).inc()
    LLM_REQUEST_DURATION.labels(agent_id, model, "true" if streamed else "false").observe(seconds)
    if input_tokens:
        LLM_TOKENS.labels(agent_id, model, "input").inc(input_tokens)
    if output_tokens:
        LLM_TOKENS.labels(agent_id, model, "output").inc(output_tokens)
    if cost:
        LLM_COST.labels(agent_id, model).inc(cost)
