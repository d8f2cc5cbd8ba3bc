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


def record_operation(
    operation: str, kind: str, seconds: float, codes: list[str], transport: str = "http"
) -> None:
    OPERATIONS.labels(operation or "anonymous", kind or "unknown", transport).inc()
    LATENCY.labels(operation or "anonymous", transport).observe(seconds)
    for code in codes:
        ERRORS.labels(code, transport).inc()
