"""GraphQL over HTTP, per the GraphQL-over-HTTP spec, as a plain Starlette endpoint.

Why our own endpoint rather than Strawberry's view: the spec's
``application/graphql-response+json`` (400 and no ``data`` for request errors), CSRF
rules, rate-limit headers and our error format all live at this layer, and a plain
route is also the faster path (DESIGN.md, speed notes).
"""

from __future__ import annotations

import logging
import time
from typing import Any
from urllib.parse import parse_qs

import orjson
from starlette.requests import Request
from starlette.responses import Response
from strawberry.exceptions import MissingQueryError
from strawberry.schema.exceptions import InvalidOperationTypeError
from strawberry.types.execution import PreExecutionError
from strawberry.types.graphql import OperationType

from atrium.core.auth import bearer_credential
from atrium.core.context import Context
from atrium.core.errors import AtriumError, ErrorCode
from atrium.core.graphql import format_error
from atrium.core.metrics import record_operation
from atrium.resolvers.auth.credentials import authenticate
from atrium.web.state import AppState, new_request_id

logger = logging.getLogger("atrium.http")

JSON = "application/json"
GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"
CSRF_SAFE_HEADERS = ("x-atrium-preflight", "apollo-require-preflight", "graphql-preflight")
_SIMPLE_CONTENT_TYPES = ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data")


class RequestError(Exception):
    """A malformed GraphQL-over-HTTP request; becomes ``errors`` with no ``data``."""

    def __init__(self, message: str, status: int = 400, *, json_ok: bool = True) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.json_ok = json_ok  # with application/json, the spec wants 200 for these


def _media_type(request: Request) -> str | None:
    """The response type the client accepts, or None when it accepts neither."""
    accept = request.headers.get("accept")
    if not accept:
        return JSON
    best: tuple[float, str] | None = None
    for index, part in enumerate(accept.split(",")):
        media, *params = (p.strip() for p in part.split(";"))
        quality = 1.0
        for param in params:
            if param.startswith("q="):
                try:
                    quality = float(param[2:])
                except ValueError:
                    quality = 0.0
        if media in (GRAPHQL_RESPONSE_JSON, JSON, "*/*", "application/*"):
            chosen = JSON if media in ("*/*", "application/*") else media
            rank = (quality, chosen)
            if quality > 0 and (best is None or rank[0] > best[0]):
                best = rank
        del index
    return best[1] if best else None


def _params_from_get(request: Request) -> dict[str, Any]:
    raw = parse_qs(request.url.query, keep_blank_values=True)
    params: dict[str, Any] = {k: v[-1] for k, v in raw.items()}
    for name in ("variables", "extensions"):
        if params.get(name):
            try:
                params[name] = orjson.loads(params[name])
            except orjson.JSONDecodeError:
                raise RequestError(f"`{name}` is not valid JSON") from None
        else:
            params.pop(name, None)
    return params


async def _params_from_post(request: Request) -> dict[str, Any]:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type.startswith(_SIMPLE_CONTENT_TYPES) and not any(
        h in request.headers for h in CSRF_SAFE_HEADERS
    ):
        raise RequestError(
            "This request could be a cross-site request forgery: send `Content-Type: "
            "application/json` (or a `GraphQL-Preflight: 1` header)",
            json_ok=False,
        )
    if content_type != JSON:
        raise RequestError("Send the operation as `Content-Type: application/json`", status=415)
    body = await request.body()
    if not body:
        raise RequestError("The request body is empty", json_ok=False)
    try:
        params = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise RequestError("The request body is not valid JSON", json_ok=False) from None
    if not isinstance(params, dict):
        raise RequestError("The request body must be a JSON object")
    return params


def _validate(params: dict[str, Any]) -> tuple[str, dict[str, Any] | None, str | None]:
    query, variables = params.get("query"), params.get("variables")
    operation_name = params.get("operationName")
    if not isinstance(query, str) or not query:
        raise RequestError("`query` must be a non-empty string")
    if variables is not None and not isinstance(variables, dict):
        raise RequestError("`variables` must be an object")
    if operation_name is not None and not isinstance(operation_name, str):
        raise RequestError("`operationName` must be a string")
    extensions = params.get("extensions")
    if extensions is not None and not isinstance(extensions, dict):
        raise RequestError("`extensions` must be an object")
    return query, variables, operation_name


def _encode(payload: dict[str, Any]) -> bytes:
    return orjson.dumps(payload, option=orjson.OPT_NON_STR_KEYS)


def _response(
    payload: dict[str, Any], status: int, media_type: str, headers: dict[str, str]
) -> Response:
    return Response(
        _encode(payload),
        status_code=status,
        media_type=f"{media_type}; charset=utf-8",
        headers=headers,
    )


def _is_request_error(result: Any) -> bool:
    """Parse, validation and variable errors: nothing executed, so there is no ``data``."""
    if isinstance(result, PreExecutionError):
        return True
    return result.data is None and bool(result.errors) and all(not e.path for e in result.errors)


def _error_response(
    message: str, status: int, media_type: str, headers: dict[str, str], **extensions: Any
) -> Response:
    extensions.setdefault("code", ErrorCode.BAD_USER_INPUT.value)
    return _response(
        {"errors": [{"message": message, "extensions": extensions}]}, status, media_type, headers
    )


async def graphql_http(request: Request) -> Response:
    state: AppState = request.app.state.atrium
    request_id = request.headers.get("x-request-id") or new_request_id()
    headers = {"X-Request-Id": request_id}
    media_type = _media_type(request)
    if media_type is None:
        return Response(
            "Accept application/graphql-response+json or application/json",
            status_code=406,
            headers=headers,
        )
    started = time.perf_counter()
    try:
        if request.method == "GET":
            params = _params_from_get(request)
        else:
            params = await _params_from_post(request)
        query, variables, operation_name = _validate(params)
    except RequestError as error:
        status = error.status
        if media_type == JSON and status == 400 and _json_body_ok(error):
            status = 200
        return _error_response(error.message, status, media_type, headers)

    context = Context(
        db=state.db,
        settings=state.settings,
        request_id=request_id,
        services=state.services,
        client_ip=request.client.host if request.client else None,
    )
    try:
        return await _execute(
            request, state, context, query, variables, operation_name, headers, media_type, started
        )
    finally:
        await context.close()


async def _execute(
    request: Request,
    state: AppState,
    context: Context,
    query: str,
    variables: dict[str, Any] | None,
    operation_name: str | None,
    headers: dict[str, str],
    media_type: str,
    started: float,
) -> Response:
    credential = bearer_credential(
        request.headers.get("authorization"), request.headers.get("x-api-key")
    )
    try:
        async with context.session() as session:
            context.principal = await authenticate(session, state.settings, credential)
    except AtriumError as error:
        headers["WWW-Authenticate"] = 'Bearer realm="atrium"'
        return _error_response(error.message, 401, media_type, headers, **error.extensions)

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
        await context.commit()
    except InvalidOperationTypeError as error:
        headers["Allow"] = "POST"
        kind = error.operation_type.value.capitalize()
        message = f"{kind} operations are not allowed over {request.method}"
        return _error_response(message, 405, media_type, headers)
    except MissingQueryError:
        return _error_response("No query", 400 if media_type != JSON else 200, media_type, headers)

    errors = [format_error(e, context.request_id) for e in (result.errors or [])]
    codes = [e["extensions"]["code"] for e in errors]
    body: dict[str, Any] = {}
    status = 200
    if _is_request_error(result):
        status = 400 if media_type == GRAPHQL_RESPONSE_JSON else 200
    else:
        body["data"] = result.data
    if ErrorCode.RATE_LIMITED.value in codes:
        status = 429
    if errors:
        body["errors"] = errors
    if result.extensions:
        body["extensions"] = result.extensions
    if context.rate_limit is not None:
        headers.update(context.rate_limit.headers())
    kind = _operation_kind(query)
    record_operation(operation_name or "", kind, time.perf_counter() - started, codes)
    return _response(body, status, media_type, headers)


def _json_body_ok(error: RequestError) -> bool:
    """With ``application/json`` a parameter error is a 200 (spec); unparsable JSON stays 400."""
    return (
        "not valid JSON" not in error.message
        and "empty" not in error.message
        and "forgery" not in error.message
    )


def _operation_kind(query: str) -> str:
    stripped = query.lstrip()
    for kind in ("mutation", "subscription"):
        if stripped.startswith(kind):
            return kind
    return "query"
