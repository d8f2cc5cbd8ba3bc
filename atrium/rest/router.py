"""The generated REST routes: one per ``@rest`` operation, under ``/rest/<product>``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qs

import orjson
from fastapi import FastAPI
from graphql import GraphQLSchema, OperationType
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from atrium.core.pagination import MAX_PAGE_SIZE, encode_cursor, encode_offset_cursor
from atrium.rest.mapping import InputError, coerce_input, descend, lift, render
from atrium.rest.openapi import openapi_document, swagger_page
from atrium.rest.products import Product
from atrium.rest.spec import RouteSpec, load_specs
from atrium.rest.streams import mount_streams
from atrium.web.state import AppState

JSON_TYPE = "application/json"
FORM_TYPE = "application/x-www-form-urlencoded"
# RFC 6749 §5.2 / RFC 8628 §3.5 error words for Atrium's codes (the rest: lower case).
OAUTH_WORDS = {
    "INVALID": "invalid_grant",
    "INVALID_CREDENTIALS": "invalid_grant",
    "NOT_FOUND": "invalid_grant",
    "REQUIRED": "invalid_request",
    "BAD_USER_INPUT": "invalid_request",
}
_PAGING_PARAMS = {"limit", "offset", "before_cursor", "after_cursor", "before"}
MAX_OFFSET = 1_000_000  # deeper pages are a scan, not a page: use cursors
Handler = Callable[[Request], Awaitable[Response]]


def _json(body: Any, status: int, headers: dict[str, str]) -> Response:
    if status == 204:
        return Response(status_code=204, headers=headers)
    return Response(orjson.dumps(body), status_code=status, media_type=JSON_TYPE, headers=headers)


def error_response(
    spec: RouteSpec, code: str, message: str, details: dict[str, Any], headers: dict[str, str]
) -> Response:
    product: Product = spec.product
    status = product.status_for(code)
    if spec.errors == "OAUTH":
        status = 429 if code == "RATE_LIMITED" else 401 if code == "UNAUTHENTICATED" else 400
        word = OAUTH_WORDS.get(code, code.lower())
        return _json({"error": word, "error_description": message}, status, headers)
    body = {"error": {"code": product.word_for(code), "message": message, "details": details}}
    return _json(body, status, headers)


class RequestError(Exception):
    def __init__(self, message: str, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or {}


async def _variables(spec: RouteSpec, request: Request) -> dict[str, Any]:
    variables: dict[str, Any] = {}
    types = spec.variables
    for name in spec.path_params:
        variables[name] = coerce_input(
            request.path_params[name], types[name], from_text=True, where=name
        )
    query = dict(request.query_params)
    if spec.list_style is not None:
        variables.update(_paging(spec, query))
    if spec.method in ("GET", "DELETE"):
        for key, value in query.items():
            if key in _PAGING_PARAMS and spec.list_style is not None:
                continue
            if key not in types or key in spec.path_params:
                raise RequestError(f"Unknown parameter `{key}`", {"parameter": key})
            variables[key] = coerce_input(value, types[key], from_text=True, where=key)
        return variables
    raw = await request.body()
    from_text = request.headers.get("content-type", "").startswith(FORM_TYPE)
    if from_text:  # OAuth clients post forms (RFC 6749 §4.1.3, RFC 8628 §3.4)
        body: Any = {k: v[-1] for k, v in parse_qs(raw.decode(errors="replace")).items()}
    else:
        try:
            body = orjson.loads(raw) if raw.strip() else {}
        except orjson.JSONDecodeError:
            raise RequestError("The request body is not valid JSON") from None
    if not isinstance(body, dict):
        raise RequestError("The request body must be a JSON object")
    if spec.body_variable is not None:
        name = spec.body_variable
        variables[name] = coerce_input(body, types[name], from_text=from_text, where="body")
        return variables
    for key, value in body.items():
        if key not in types or key in spec.path_params:
            raise RequestError(f"Unknown field `{key}`", {"field": key})
        variables[key] = coerce_input(value, types[key], from_text=from_text, where=key)
    return variables


def _int_param(query: dict[str, str], name: str, default: int, maximum: int | None) -> int:
    raw = query.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise RequestError(f"`{name}` must be an integer", {"parameter": name}) from None
    if value < 0 or (maximum is not None and value > maximum):
        bound = f"between 0 and {maximum}" if maximum is not None else "at least 0"
        raise RequestError(f"`{name}` must be {bound}", {"parameter": name})
    return value


def _paging(spec: RouteSpec, query: dict[str, str]) -> dict[str, Any]:
    limit = _int_param(query, "limit", 20, MAX_PAGE_SIZE)
    if spec.list_style == "OFFSET":
        offset = _int_param(query, "offset", 0, MAX_OFFSET)
        return {"first": limit, "after": encode_offset_cursor(offset - 1) if offset else None}
    # Archon calls it `before`; ArchAstro `before_cursor`: both are a message ID.
    before = query.get("before_cursor") or query.get("before")
    after = query.get("after_cursor")
    if before and "last" in spec.variables and "before" in spec.variables:
        return {"last": limit, "before": encode_cursor(before)}
    return {"first": limit, "after": encode_cursor(after) if after else None}


def _shape(
    schema: GraphQLSchema, spec: RouteSpec, data: dict[str, Any], query: dict[str, str]
) -> Any:
    root = schema.get_root_type(spec.operation.operation)
    assert root is not None
    value, type_, selection = descend(schema, data, spec.operation.selection_set, root, spec.unwrap)
    if spec.list_style is None or not isinstance(value, dict):
        rendered = render(schema, value, type_, selection, spec.product)
        if spec.merge is not None:
            return lift(schema, rendered, type_, selection, spec.merge, spec.product)
        return rendered
    items = render(schema, value, type_, selection, spec.product)
    product = spec.product
    nodes_key = next((k for k in ("nodes", "edges") if k in items), "nodes")
    body: dict[str, Any] = {product.list_key: items.get(nodes_key, [])}
    for key in ("total_count", "totalCount"):
        if key in items:
            body[product.total_key] = items[key]
    page_info = items.get("page_info") or items.get("pageInfo") or {}
    has_more = page_info.get("has_next_page", page_info.get("hasNextPage"))
    if spec.list_style == "CURSOR" and (query.get("before_cursor") or query.get("before")):
        # paging back: "more" are the older items still before this page
        has_more = page_info.get("has_previous_page", page_info.get("hasPreviousPage"))
    if spec.list_style == "OFFSET":
        body["limit"] = _int_param(query, "limit", 20, MAX_PAGE_SIZE)
        body["offset"] = _int_param(query, "offset", 0, MAX_OFFSET)
    if has_more is not None:
        body["has_more"] = has_more
    return body


def _user_errors(data: dict[str, Any], spec: RouteSpec) -> list[dict[str, Any]]:
    if not spec.unwrap:
        return []
    payload = data.get(spec.unwrap[0])
    if isinstance(payload, dict):
        errors = payload.get("userErrors") or payload.get("user_errors")
        if isinstance(errors, list):
            return errors
    return []


def _route(path: str, by_method: dict[str, Handler]) -> Route:
    """One route for a path, whichever operations serve it: a method none of them serves
    is a 405 whose ``Allow`` names every one that does (with a route per operation, the
    first route's 405 named only its own method).

    Starlette's route, not FastAPI's: the handlers take the request and have no
    dependencies to solve, and FastAPI's route costs about 4 kB more each."""

    async def endpoint(request: Request) -> Response:
        return await by_method[request.method](request)

    route = Route(path, endpoint)
    # Not Starlette's HEAD beside GET: it would run the operation (and spend rate limit)
    # for a response without a body.
    route.methods = set(by_method)
    return route


def route_handler(state: AppState, spec: RouteSpec) -> Handler:
    from atrium.rest.execute import execute

    schema = state.schema._schema
    read_only = spec.operation.operation is OperationType.QUERY

    async def handle(request: Request) -> Response:
        try:
            variables = await _variables(spec, request)
        except (RequestError, InputError) as error:
            details = getattr(error, "details", {})
            return error_response(spec, "BAD_USER_INPUT", str(error), details, {})
        outcome = await execute(
            state, request, spec.query, variables, spec.name, read_only=read_only
        )
        if outcome.errors and (
            outcome.unauthenticated or outcome.data is None or _unwrapped_is_null(outcome, spec)
        ):
            first = outcome.errors[0]
            code = first.get("extensions", {}).get("code", "BAD_USER_INPUT")
            details = first.get("extensions", {}).get("details", {})
            return error_response(spec, code, first["message"], details, outcome.headers)
        assert outcome.data is not None
        user_errors = _user_errors(outcome.data, spec)
        if user_errors:
            first = user_errors[0]
            details = {"field": first.get("field"), "errors": user_errors}
            return error_response(spec, first["code"], first["message"], details, outcome.headers)
        if _absent(spec, outcome.data):
            ids = {name: request.path_params[name] for name in spec.path_params}
            message = f"Not found: {', '.join(ids.values())}" if ids else "Not found"
            return error_response(spec, "NOT_FOUND", message, ids, outcome.headers)
        body = _shape(schema, spec, outcome.data, dict(request.query_params))
        if isinstance(body, dict):
            body.pop("user_errors", None)
            body.pop("userErrors", None)
        return _json(body, spec.status, outcome.headers)

    handle.__name__ = spec.name
    return handle


def _absent(spec: RouteSpec, data: dict[str, Any]) -> bool:
    """Nothing at ``unwrap``: a null, or an object of another type than the route serves
    (``node(id:)`` given a team's ID on a user route selects no field: ``{}``)."""
    if not spec.unwrap:
        return False
    value: Any = data
    for key in spec.unwrap:
        if not isinstance(value, dict) or not value:
            return True
        value = value.get(key)
    return value is None or value == {}


def _unwrapped_is_null(outcome: Any, spec: RouteSpec) -> bool:
    value: Any = outcome.data
    for key in spec.unwrap[:1]:
        value = value.get(key) if isinstance(value, dict) else None
    return value is None


def mount_rest(app: FastAPI, state: AppState) -> list[RouteSpec]:
    """Validate every operation file and add its routes, the OpenAPI document and docs."""
    specs = load_specs(state.schema._schema)
    handlers: dict[str, dict[str, Handler]] = {}
    for spec in specs:
        handlers.setdefault(spec.full_path, {})[spec.method] = route_handler(state, spec)
    app.router.routes.extend(_route(path, by_method) for path, by_method in handlers.items())
    # kept serialised: the document as dicts is about 2 MB, as JSON a fifth of that
    document = orjson.dumps(openapi_document(state.schema._schema, specs))

    async def openapi(_: Request) -> Response:
        return Response(document, media_type=JSON_TYPE)

    async def docs(_: Request) -> Response:
        return Response(swagger_page("/rest/openapi.json"), media_type="text/html")

    mount_streams(app, state)
    app.add_api_route("/rest/openapi.json", openapi, methods=["GET"], include_in_schema=False)
    app.add_api_route("/rest/docs", docs, methods=["GET"], include_in_schema=False)
    return specs
