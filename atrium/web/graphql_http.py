"""GraphQL over HTTP (the GraphQL-over-HTTP spec) as a plain Starlette endpoint.

Why our own endpoint rather than Strawberry's view: the spec's
``application/graphql-response+json`` (4xx and no ``data`` for request errors), CSRF
rules, rate-limit headers and our error format all live at this layer, and a plain route
is also the faster path (DESIGN.md, speed notes). Conformance is checked by the
``graphql-http`` audit suite (tests/web/test_graphql_http_audit.py).

Status codes, in one place (:func:`_status`): a request that is not well-formed
GraphQL-over-HTTP (bad JSON, bad parameters) is 400 whatever the media type; a GraphQL
request error (parse, validation, variable coercion: no ``data``) is 200 with
``application/json`` (the spec's legacy behaviour) and 4xx with
``application/graphql-response+json``; a bad credential is 401 and a spent budget 429
with either.
"""

from __future__ import annotations

import re
import time
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.types.graphql import OperationType

from atrium.core.errors import AtriumError, ErrorCode
from atrium.core.graphql import format_error
from atrium.core.logging import request_id_var
from atrium.core.metrics import record_operation
from atrium.web.request import request_context
from atrium.web.state import AppState, new_request_id

JSON = "application/json"
GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"
PREFLIGHT_HEADERS = ("graphql-preflight", "x-atrium-preflight", "apollo-require-preflight")
# Content types a browser may POST cross-site without a CORS preflight.
CSRF_CONTENT_TYPES = ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data")
_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
_QUALITY = re.compile(r"(?:^|;)\s*q=([01](?:\.[0-9]{0,3})?)\s*(?:;|$)")
_STATUS_BY_CODE = {
    ErrorCode.UNAUTHENTICATED.value: 401,
    ErrorCode.FORBIDDEN.value: 403,
    ErrorCode.RATE_LIMITED.value: 429,
    ErrorCode.INTERNAL_SERVER_ERROR.value: 500,
}


class RequestError(Exception):
    """Not a well-formed GraphQL-over-HTTP request: 4xx with either media type, no ``data``."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


def negotiate(accept: str | None) -> str | None:
    """The response media type for an ``Accept`` header, or None (406) when neither fits.

    Highest quality wins; on a tie an exact type beats a wildcard, then the client's order.
    No header means ``application/json``, as the spec asks for legacy clients.
    """
    if not accept or not accept.strip():
        return JSON
    best: tuple[float, int, str] = (0.0, 0, "")
    for part in accept.lower().split(","):
        media, _, params = (p.strip() for p in part.partition(";"))
        quality = float(q[1]) if (q := _QUALITY.search(params)) else 1.0
        exact = media in (GRAPHQL_RESPONSE_JSON, JSON)
        wildcard = media in ("*/*", "application/*")
        if (exact or wildcard) and quality > 0 and (quality, exact) > best[:2]:
            best = (quality, exact, media if exact else JSON)
    return best[2] or None


def _from_fields(fields: Any) -> dict[str, Any]:
    """Parameters from URL-encoded fields (a GET query string or a form), where
    ``variables`` and ``extensions`` travel as JSON text."""
    params = {"query": fields.get("query"), "operationName": fields.get("operationName") or None}
    for name in ("variables", "extensions"):
        try:
            params[name] = orjson.loads(fields[name]) if fields.get(name) else None
        except orjson.JSONDecodeError:
            raise RequestError(f"`{name}` is not valid JSON") from None
    return params


async def _from_post(request: Request) -> dict[str, Any]:
    """The parameters of a POST, refusing what a cross-site form could send unannounced.

    A browser sends the CSRF content types cross-site without a preflight, so they are
    accepted only with a header that forces one (any custom header does).
    """
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type in CSRF_CONTENT_TYPES:
        if not any(request.headers.get(h) for h in PREFLIGHT_HEADERS):
            raise RequestError(
                f"A {content_type} POST could be a cross-site request forgery: send "
                "`Content-Type: application/json`, or add a `GraphQL-Preflight: 1` header"
            )
        if content_type != "text/plain":
            form = await request.form()
            if any(not isinstance(value, str) for value in form.values()):
                raise RequestError("File uploads are not supported")
            return _from_fields(form)
    elif content_type != JSON:
        raise RequestError("Send the operation as `Content-Type: application/json`", 415)
    body = await request.body()
    if not body.strip():
        raise RequestError("The request body is empty")
    try:
        params = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise RequestError("The request body is not valid JSON") from None
    if not isinstance(params, dict):
        raise RequestError("The request body must be a JSON object (batching is not supported)")
    return params


def _parameters(params: dict[str, Any]) -> tuple[str, dict[str, Any] | None, str | None]:
    """``query``, ``variables`` and ``operationName``, checked as the spec types them."""
    query = params.get("query")
    if not isinstance(query, str) or not query.strip():
        raise RequestError("`query` must be a non-empty string")
    for name in ("variables", "extensions"):
        if params.get(name) is not None and not isinstance(params[name], dict):
            raise RequestError(f"`{name}` must be an object")
    operation_name = params.get("operationName")
    if operation_name is not None and not isinstance(operation_name, str):
        raise RequestError("`operationName` must be a string")
    return query, params.get("variables"), operation_name


def _status(media_type: str, has_data: bool, codes: list[str]) -> int:
    """The HTTP status of an executed (or refused) operation; see the module docstring."""
    if ErrorCode.RATE_LIMITED.value in codes:
        return 429
    if has_data or media_type == JSON:
        return 200
    return next((_STATUS_BY_CODE[c] for c in codes if c in _STATUS_BY_CODE), 400)


def _respond(
    body: dict[str, Any], status: int, media_type: str, headers: dict[str, str]
) -> Response:
    return Response(
        orjson.dumps(body, option=orjson.OPT_NON_STR_KEYS),
        status_code=status,
        media_type=f"{media_type}; charset=utf-8",
        headers=headers,
    )


def _fail(
    message: str, status: int, media_type: str, headers: dict[str, str], **extensions: Any
) -> Response:
    """An ``errors``-only answer; BAD_USER_INPUT unless the error says otherwise."""
    extensions = {"code": ErrorCode.BAD_USER_INPUT.value, **extensions}
    return _respond(
        {"errors": [{"message": message, "extensions": extensions}]}, status, media_type, headers
    )


async def graphql_http(request: Request) -> Response:
    """Serve one operation: queries over GET or POST, mutations over POST only (a GET must
    stay safe to repeat and to prefetch)."""
    state: AppState = request.app.state.atrium
    request_id = request.headers.get("x-request-id", "")
    if not _REQUEST_ID.fullmatch(request_id):  # never echo arbitrary text into headers/logs
        request_id = new_request_id()
    headers = {"X-Request-Id": request_id}
    media_type = negotiate(request.headers.get("accept"))
    if media_type is None:
        return _fail(f"Accept {GRAPHQL_RESPONSE_JSON} or {JSON}", 406, JSON, headers)
    try:
        if request.method == "POST":
            params = await _from_post(request)
        else:
            params = _from_fields(request.query_params)
        query, variables, operation_name = _parameters(params)
    except RequestError as error:
        return _fail(error.message, error.status, media_type, headers)

    started = time.perf_counter()
    kind, name = _operation(query, operation_name)
    token = request_id_var.set(request_id)
    try:
        # A query reads through a read-only session; were the scan wrong, the first
        # mutation field would move the context to a write session (Context.transaction).
        context = await request_context(state, request, request_id, read_only=kind == "query")
    except AtriumError as error:
        request_id_var.reset(token)
        headers["WWW-Authenticate"] = 'Bearer realm="atrium"'
        return _fail(error.message, 401, media_type, headers, **error.extensions)
    try:
        allowed = {OperationType.QUERY}
        if request.method == "POST":
            allowed.add(OperationType.MUTATION)
        try:
            result = await state.schema.execute(
                query,
                variable_values=variables,
                context_value=context,
                operation_name=operation_name,
                allowed_operation_types=allowed,
            )
        except InvalidOperationTypeError as error:
            if error.operation_type is OperationType.MUTATION:
                headers["Allow"] = "POST"
                return _fail("Mutations are served over POST only", 405, media_type, headers)
            message = "Subscriptions are served over WebSocket (graphql-transport-ws), not HTTP"
            return _fail(message, _status(media_type, False, []), media_type, headers)
        except CannotGetOperationTypeError:
            message = (
                f'Unknown operation named "{operation_name}"'
                if operation_name
                else "The document has several operations: choose one with `operationName`"
            )
            return _fail(message, _status(media_type, False, []), media_type, headers)
        await context.commit()
    finally:
        await context.close()
        request_id_var.reset(token)

    errors = [format_error(e, request_id) for e in result.errors or []]
    codes = [e["extensions"]["code"] for e in errors]
    # No ``data`` entry when nothing executed: parse, validation and variable errors, or a
    # refusal before execution (scope, cost, budget). Only field errors carry a path.
    has_data = result.data is not None or any(e.path for e in result.errors or [])
    body: dict[str, Any] = {"data": result.data} if has_data else {}
    if errors:
        body["errors"] = errors
    if result.extensions:
        body["extensions"] = result.extensions
    if context.rate_limit is not None:
        headers.update(context.rate_limit.headers())
    record_operation(name, kind, time.perf_counter() - started, codes)
    return _respond(body, _status(media_type, has_data, codes), media_type, headers)


# An operation keyword opening a line: documents put definitions there in practice.
_OPERATION = re.compile(r"^\s*(query|mutation|subscription)\b\s*(\w*)", re.MULTILINE)


def _operation(query: str, operation_name: str | None) -> tuple[str, str]:
    """The operation's type and name, for metrics and as a hint of whether it only reads:
    a cheap scan, not a second parse."""
    for match in _OPERATION.finditer(query):
        if operation_name is None or match.group(2) == operation_name:
            return match.group(1), match.group(2) or operation_name or ""
    return "query", operation_name or ""
