"""REST ⇄ GraphQL value mapping: request parts to variables, results to seed-shaped JSON.

Inputs: path and query-string values are coerced by the variable's GraphQL type; JSON
object keys may be snake_case or camelCase (GraphQL's); enum values match in any case
(``"aws"`` is ``AWS``). Outputs: every key is written in the product's casing unless the
operation aliased it, and enum values become lower case for snake_case products, as the
seeds write them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from graphql import (
    FieldNode,
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLScalarType,
    GraphQLSchema,
    InlineFragmentNode,
    SelectionSetNode,
    get_named_type,
    is_abstract_type,
)

from atrium.rest.products import Casing, Product

_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z0-9])([A-Z])")


class InputError(ValueError):
    """A request value that cannot be what the operation's variable needs."""


def to_snake(name: str) -> str:
    return _CAMEL_BOUNDARY.sub(r"_\1", name).lower()


def to_camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def coerce_input(value: Any, type_: GraphQLInputType, *, from_text: bool, where: str) -> Any:
    """Turn a REST value into what the GraphQL variable of ``type_`` expects."""
    if isinstance(type_, GraphQLNonNull):
        if value is None:
            raise InputError(f"`{where}` is required")
        return coerce_input(value, type_.of_type, from_text=from_text, where=where)
    if value is None:
        return None
    if isinstance(type_, GraphQLList):
        items = value.split(",") if from_text and isinstance(value, str) else value
        if not isinstance(items, list):
            items = [items]
        return [coerce_input(v, type_.of_type, from_text=from_text, where=where) for v in items]
    if isinstance(type_, GraphQLInputObjectType):
        if not isinstance(value, dict):
            raise InputError(f"`{where}` must be an object")
        fields = type_.fields
        result: dict[str, Any] = {}
        for key, item in value.items():
            name = key if key in fields else to_camel(key)
            if name not in fields:
                raise InputError(f"`{where}.{key}` is not a known field")
            result[name] = coerce_input(
                item, fields[name].type, from_text=from_text, where=f"{where}.{key}"
            )
        return result
    if isinstance(type_, GraphQLEnumType):
        if not isinstance(value, str):
            raise InputError(f"`{where}` must be one of {', '.join(type_.values)}")
        for name in (value, value.upper()):
            if name in type_.values:
                return name
        raise InputError(f"`{where}` must be one of {', '.join(v.lower() for v in type_.values)}")
    if from_text and isinstance(type_, GraphQLScalarType):
        return _scalar_from_text(value, type_.name, where)
    return value


def _scalar_from_text(value: str, scalar: str, where: str) -> Any:
    try:
        if scalar == "Int":
            return int(value)
        if scalar == "Float":
            return float(value)
    except ValueError:
        raise InputError(f"`{where}` must be a number") from None
    if scalar == "Boolean":
        if value.lower() in ("true", "1", "yes"):
            return True
        if value.lower() in ("false", "0", "no"):
            return False
        raise InputError(f"`{where}` must be true or false")
    return value


def _fields(
    schema: GraphQLSchema, selection_set: SelectionSetNode | None, parent: Any
) -> Iterator[tuple[FieldNode, Any]]:
    """Fields of a selection with their definitions (inline fragments flattened)."""
    if selection_set is None:
        return
    for selection in selection_set.selections:
        if isinstance(selection, InlineFragmentNode):
            condition = selection.type_condition
            target = schema.get_type(condition.name.value) if condition else parent
            yield from _fields(schema, selection.selection_set, target)
        elif isinstance(selection, FieldNode):
            yield selection, _field_type(schema, parent, selection.name.value)


def _field_type(schema: GraphQLSchema, parent: Any, name: str) -> Any:
    if name == "__typename":
        return None
    candidates = schema.get_possible_types(parent) if is_abstract_type(parent) else [parent]
    for candidate in [parent, *candidates]:
        fields = getattr(candidate, "fields", None) or {}
        if name in fields:
            return fields[name].type
    return None


def output_key(node: FieldNode, product: Product) -> str:
    if node.alias is not None:
        return node.alias.value
    name = node.name.value
    return to_snake(name) if product.casing is Casing.SNAKE else name


def render(
    schema: GraphQLSchema,
    value: Any,
    type_: GraphQLOutputType | None,
    selection_set: SelectionSetNode | None,
    product: Product,
) -> Any:
    """``value`` (GraphQL result data) in the product's shape."""
    if value is None or type_ is None:
        return value
    if isinstance(type_, GraphQLNonNull):
        return render(schema, value, type_.of_type, selection_set, product)
    if isinstance(type_, GraphQLList):
        return [render(schema, v, type_.of_type, selection_set, product) for v in value]
    named = get_named_type(type_)
    if isinstance(named, GraphQLEnumType):
        return value.lower() if product.lower_enums and isinstance(value, str) else value
    if isinstance(named, GraphQLScalarType):
        return value  # a JSON scalar's object is data, not a selection: keep it whole
    if isinstance(value, dict):
        result: dict[str, Any] = {}
        for node, field_type in _fields(schema, selection_set, named):
            response_key = node.alias.value if node.alias else node.name.value
            if response_key in value:
                result[output_key(node, product)] = render(
                    schema, value[response_key], field_type, node.selection_set, product
                )
        return result
    return value


def descend(
    schema: GraphQLSchema,
    data: Any,
    selection_set: SelectionSetNode,
    root: GraphQLObjectType,
    path: tuple[str, ...],
) -> tuple[Any, Any, SelectionSetNode | None]:
    """Follow ``unwrap`` (response keys) into the result, with the type and selection there."""
    value: Any = data
    type_: Any = root
    selection: SelectionSetNode | None = selection_set
    for key in path:
        match = next(
            (
                (node, field_type)
                for node, field_type in _fields(schema, selection, get_named_type(type_))
                if (node.alias.value if node.alias else node.name.value) == key
            ),
            None,
        )
        if match is None:
            raise KeyError(key)
        node, field_type = match
        value = value.get(key) if isinstance(value, dict) else None
        type_, selection = field_type, node.selection_set
    return value, type_, selection


def lift(
    schema: GraphQLSchema,
    rendered: Any,
    type_: Any,
    selection: SelectionSetNode | None,
    key: str,
    product: Product,
) -> Any:
    """``rendered`` with the object at response key ``key`` merged into it (``@rest(merge:)``).

    Works on rendered JSON and on OpenAPI ``properties`` alike: the key is found by its
    output name, so aliases and casing apply as everywhere else.
    """
    if not isinstance(rendered, dict):
        return rendered
    for node, _ in _fields(schema, selection, get_named_type(type_)):
        if (node.alias.value if node.alias else node.name.value) == key:
            inner = rendered.pop(output_key(node, product), None)
            return {**inner, **rendered} if isinstance(inner, dict) else rendered
    return rendered
