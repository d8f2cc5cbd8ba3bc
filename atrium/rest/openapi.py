"""The OpenAPI 3.1 document of the REST layer, generated from the operations' types.

Parameters and request bodies come from each operation's variables; responses from its
selection (at ``unwrap``), written in the product's casing — the same walk the router
uses to shape responses, so the document cannot drift from what is served.
"""

from __future__ import annotations

from typing import Any

from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLScalarType,
    GraphQLSchema,
    SelectionSetNode,
    get_named_type,
)

from atrium.rest.mapping import _fields, descend, output_key, to_snake
from atrium.rest.products import Casing, Product
from atrium.rest.spec import RouteSpec

_SCALARS: dict[str, dict[str, Any]] = {
    "String": {"type": "string"},
    "ID": {"type": "string"},
    "Int": {"type": "integer"},
    "Float": {"type": "number"},
    "Boolean": {"type": "boolean"},
    "DateTime": {"type": "string", "format": "date-time"},
    "Date": {"type": "string", "format": "date"},
    "JSON": {},
}
_PAGING = {
    "OFFSET": [("limit", "Items per page (max 100)"), ("offset", "Items to skip")],
    "CURSOR": [
        ("limit", "Items per page (max 100)"),
        ("before_cursor", "Return items before this ID"),
        ("after_cursor", "Return items after this ID"),
    ],
}


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    if "type" in schema and isinstance(schema["type"], str):
        return {**schema, "type": [schema["type"], "null"]}
    return {"anyOf": [schema, {"type": "null"}]} if schema else schema


def _enum(type_: GraphQLEnumType, product: Product) -> dict[str, Any]:
    lower = product.casing is Casing.SNAKE
    return {"type": "string", "enum": [v.lower() if lower else v for v in type_.values]}


def input_schema(type_: Any, product: Product, depth: int = 0) -> dict[str, Any]:
    if isinstance(type_, GraphQLNonNull):
        return input_schema(type_.of_type, product, depth)
    if isinstance(type_, GraphQLList):
        return _nullable({"type": "array", "items": input_schema(type_.of_type, product, depth)})
    if isinstance(type_, GraphQLEnumType):
        return _nullable(_enum(type_, product))
    if isinstance(type_, GraphQLInputObjectType):
        if depth > 6:
            return {"type": "object"}
        properties, required = {}, []
        for name, field in type_.fields.items():
            key = to_snake(name) if product.casing is Casing.SNAKE else name
            properties[key] = {
                **input_schema(field.type, product, depth + 1),
                "description": field.description or "",
            }
            if isinstance(field.type, GraphQLNonNull) and field.default_value is None:
                required.append(key)
        schema: dict[str, Any] = {"type": "object", "properties": properties}
        if required:
            schema["required"] = required
        return _nullable(schema)
    if isinstance(type_, GraphQLScalarType):
        return _nullable(dict(_SCALARS.get(type_.name, {"type": "string"})))
    return {}


def output_schema(
    schema: GraphQLSchema, type_: Any, selection: SelectionSetNode | None, product: Product
) -> dict[str, Any]:
    if isinstance(type_, GraphQLNonNull):
        inner = output_schema(schema, type_.of_type, selection, product)
        if isinstance(inner.get("type"), list):
            inner["type"] = inner["type"][0]
        return inner.get("anyOf", [inner])[0] if "anyOf" in inner else inner
    if isinstance(type_, GraphQLList):
        return _nullable(
            {"type": "array", "items": output_schema(schema, type_.of_type, selection, product)}
        )
    named = get_named_type(type_)
    if isinstance(named, GraphQLEnumType):
        return _nullable(_enum(named, product))
    if isinstance(named, GraphQLScalarType):
        return _nullable(dict(_SCALARS.get(named.name, {"type": "string"})))
    properties = {
        output_key(node, product): output_schema(schema, field_type, node.selection_set, product)
        for node, field_type in _fields(schema, selection, named)
    }
    return _nullable({"type": "object", "properties": properties})


def _merged(
    schema: GraphQLSchema,
    result: dict[str, Any],
    type_: Any,
    selection: SelectionSetNode | None,
    key: str,
    product: Product,
) -> dict[str, Any]:
    """The response schema of a ``merge`` route: the lifted object's properties inline."""
    properties = dict(result.get("properties", {}))
    for node, _ in _fields(schema, selection, get_named_type(type_)):
        if (node.alias.value if node.alias else node.name.value) == key:
            inner = properties.pop(output_key(node, product), {})
            properties = {**inner.get("properties", {}), **properties}
    return {**result, "properties": properties}


def _error_schema(spec: RouteSpec) -> dict[str, Any]:
    if spec.errors == "OAUTH":
        return {
            "type": "object",
            "properties": {"error": {"type": "string"}, "error_description": {"type": "string"}},
            "required": ["error"],
        }
    return {"$ref": "#/components/schemas/Error"}


def _operation(schema: GraphQLSchema, spec: RouteSpec) -> dict[str, Any]:
    product = spec.product
    parameters: list[dict[str, Any]] = []
    for name in spec.path_params:
        parameters.append(
            {
                "name": name,
                "in": "path",
                "required": True,
                "schema": input_schema(spec.variables[name], product),
            }
        )
    for name, description in _PAGING.get(spec.list_style or "", []):
        kind: dict[str, Any] = {"type": "string"}
        if name in ("limit", "offset"):
            kind = {"type": "integer", "minimum": 0}
        if name == "limit":
            kind["maximum"] = 100
        parameters.append({"name": name, "in": "query", "description": description, "schema": kind})
    paging_vars = {"first", "after", "last", "before"} if spec.list_style else set()
    rest = {
        name: type_
        for name, type_ in spec.variables.items()
        if name not in spec.path_params and name not in paging_vars
    }
    operation: dict[str, Any] = {
        "operationId": f"{product.name}_{spec.name}",
        "tags": [product.name],
        "summary": spec.name,
    }
    if spec.method in ("GET", "DELETE"):
        for name, type_ in rest.items():
            parameters.append(
                {
                    "name": name,
                    "in": "query",
                    "required": isinstance(type_, GraphQLNonNull),
                    "schema": input_schema(type_, product),
                }
            )
    elif spec.body_variable is not None:
        body = input_schema(spec.variables[spec.body_variable], product)
        operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": body}},
        }
    elif rest:
        required = [n for n, t in rest.items() if isinstance(t, GraphQLNonNull)]
        body = {
            "type": "object",
            "properties": {n: input_schema(t, product) for n, t in rest.items()},
        }
        if required:
            body["required"] = required
        operation["requestBody"] = {
            "required": bool(required),
            "content": {"application/json": {"schema": body}},
        }
    if parameters:
        operation["parameters"] = parameters
    root = schema.get_root_type(spec.operation.operation)
    assert root is not None
    _, type_, selection = descend(schema, {}, spec.operation.selection_set, root, spec.unwrap)
    result = output_schema(schema, type_, selection, product)
    if spec.merge is not None:
        result = _merged(schema, result, type_, selection, spec.merge, product)
    if spec.list_style is not None:
        nodes = result.get("properties", {}).get("nodes", {"type": "array"})
        result = {
            "type": "object",
            "properties": {
                product.list_key: nodes,
                product.total_key: {"type": "integer"},
                "has_more": {"type": "boolean"},
            },
        }
    success: dict[str, Any] = {"description": "Success"}
    if spec.status != 204:
        success["content"] = {"application/json": {"schema": result}}
    responses: dict[str, Any] = {str(spec.status): success}
    for status, meaning in (
        (400, "Invalid request"),
        (401, "Authentication required"),
        (403, "Forbidden"),
        (404, "Not found"),
        (409, "Conflict"),
        (422, "Validation failed"),
        (429, "Rate limited"),
    ):
        responses[str(status)] = {
            "description": meaning,
            "content": {"application/json": {"schema": _error_schema(spec)}},
        }
    operation["responses"] = responses
    return operation


def openapi_document(schema: GraphQLSchema, specs: list[RouteSpec]) -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    for spec in specs:
        paths.setdefault(spec.full_path, {})[spec.method.lower()] = _operation(schema, spec)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Atrium REST compatibility layer",
            "version": "1.0.0",
            "description": "The seeds' REST routes, generated from GraphQL operations. "
            "Authenticate with `Authorization: Bearer <token or key>` or `x-api-key`.",
        },
        "paths": paths,
        "components": {
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "apiKey": {"type": "apiKey", "in": "header", "name": "x-api-key"},
            },
            "schemas": {
                "Error": {
                    "type": "object",
                    "properties": {
                        "error": {
                            "type": "object",
                            "properties": {
                                "code": {"type": "string"},
                                "message": {"type": "string"},
                                "details": {"type": "object"},
                            },
                            "required": ["code", "message"],
                        }
                    },
                    "required": ["error"],
                }
            },
        },
        "security": [{"bearer": []}, {"apiKey": []}],
    }


def swagger_page(spec_url: str) -> str:
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Atrium REST</title>
<link rel="stylesheet" href="/static/swagger-ui/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="/static/swagger-ui/swagger-ui-bundle.js"></script>
<script>window.ui = SwaggerUIBundle({{url: "{spec_url}", dom_id: "#swagger-ui"}});</script>
</body></html>"""
