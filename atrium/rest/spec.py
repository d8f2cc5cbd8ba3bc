"""Reading the REST operation files: one ``.graphql`` file per product.

Each operation carries ``@rest(method:, path:, status:, unwrap:, list:, body:, errors:,
merge:)``; ``merge`` flattens a payload whose object and one-time secret a seed returns
as one JSON object (Archestra's new API key is ``{id, name, …, key}``).
At start-up every operation is validated against the live schema with the directive's
definition added; a route whose operation no longer validates is a
:class:`RestSpecError`, which stops the application from starting and fails the tests.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from graphql import (
    REMOVE,
    DirectiveNode,
    DocumentNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLInputType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    Visitor,
    extend_schema,
    parse,
    print_ast,
    type_from_ast,
    validate,
    visit,
)
from graphql.error import GraphQLSyntaxError
from graphql.execution.values import get_argument_values

from atrium.rest.mapping import descend
from atrium.rest.products import PRODUCTS, Product

OPERATIONS_DIR = Path(__file__).resolve().parent / "operations"

DIRECTIVE_SDL = """
enum RestMethod { GET POST PUT PATCH DELETE }
"How a list endpoint pages: limit/offset with a total, or limit with before/after IDs."
enum RestList { OFFSET CURSOR }
"Error body: the seeds' envelope, or RFC 6749 `{error, error_description}`."
enum RestErrors { ENVELOPE OAUTH }
directive @rest(
  method: RestMethod!
  path: String!
  status: Int = 200
  unwrap: String
  list: RestList
  body: String
  errors: RestErrors = ENVELOPE
  "A response key under `unwrap` whose object is lifted beside its siblings."
  merge: String
) on QUERY | MUTATION
"""

_PATH_PARAM = re.compile(r"\{(\w+)\}|:(\w+)")


class RestSpecError(Exception):
    """Some REST operations do not match the schema; the message lists every problem."""


@dataclass(frozen=True)
class RouteSpec:
    product: Product
    name: str
    method: str
    path: str  # FastAPI style: /v1/architectures/{id}
    status: int
    unwrap: tuple[str, ...]
    list_style: str | None  # "OFFSET" | "CURSOR"
    body_variable: str | None  # the whole JSON body becomes this variable
    errors: str  # "ENVELOPE" | "OAUTH"
    merge: str | None  # response key lifted into its parent object
    query: str  # the operation without @rest, as executed
    operation: OperationDefinitionNode
    variables: dict[str, GraphQLInputType]
    path_params: tuple[str, ...]

    @property
    def full_path(self) -> str:
        return self.product.prefix + self.path


class _StripRest(Visitor):
    """Removes ``@rest`` and inlines fragment spreads, so each route's document stands
    alone (no unused fragments) and response shaping sees only inline fragments."""

    def __init__(self, fragments: dict[str, FragmentDefinitionNode]) -> None:
        super().__init__()
        self.fragments = fragments

    def enter_directive(self, node: DirectiveNode, *_: Any) -> Any:
        return REMOVE if node.name.value == "rest" else None

    def enter_fragment_spread(self, node: FragmentSpreadNode, *_: Any) -> Any:
        fragment = self.fragments[node.name.value]
        return InlineFragmentNode(
            type_condition=fragment.type_condition,
            directives=node.directives,
            selection_set=fragment.selection_set,
        )


def _arguments(schema: GraphQLSchema, node: DirectiveNode) -> dict[str, Any]:
    directive = schema.get_directive("rest")
    assert directive is not None
    return get_argument_values(directive, node)


def _with_rest(schema: GraphQLSchema) -> GraphQLSchema:
    """``schema`` knowing ``@rest``, made of the same type objects.

    ``extend_schema`` would rebuild every type, a second schema of 1.7 MB that the specs'
    variable types kept alive; this shares them, so those types are the served schema's
    own."""
    rest = extend_schema(GraphQLSchema(), parse(DIRECTIVE_SDL)).get_directive("rest")
    assert rest is not None
    return GraphQLSchema(
        query=schema.query_type,
        mutation=schema.mutation_type,
        subscription=schema.subscription_type,
        types=tuple(schema.type_map.values()),
        directives=(*schema.directives, rest),
    )


def load_specs(schema: GraphQLSchema, directory: Path = OPERATIONS_DIR) -> list[RouteSpec]:
    extended = _with_rest(schema)
    problems: list[str] = []
    specs: list[RouteSpec] = []
    for file in sorted(directory.glob("*.graphql")):
        # `archestra.graphql`, or one file per domain: `archestra.mcp.graphql`
        name = file.stem.split(".")[0]
        product = PRODUCTS.get(name)
        if product is None:
            problems.append(f"{file.name}: no product named {name!r}")
            continue
        try:
            # no_location: every node's location holds the file's whole token chain (3 MB
            # for all files), and the specs keep their operations for the process's life
            document = parse(file.read_text(), no_location=True)
        except GraphQLSyntaxError as error:
            problems.append(f"{file.name}: {error.message}")
            continue
        errors = validate(extended, document)
        fragments = tuple(d for d in document.definitions if isinstance(d, FragmentDefinitionNode))
        problems += [f"{file.name}: {error.message}" for error in errors]
        if errors:
            continue
        for definition in document.definitions:
            if isinstance(definition, OperationDefinitionNode):
                spec = _spec(extended, product, file.name, definition, fragments, problems)
                if spec is not None:
                    specs.append(spec)
    seen: dict[tuple[str, str], str] = {}
    for spec in specs:
        key = (spec.method, spec.full_path)
        if key in seen:
            problems.append(
                f"{spec.name}: {spec.method} {spec.full_path} also served by {seen[key]}"
            )
        seen[key] = spec.name
    if problems:
        raise RestSpecError("REST operations do not match the schema:\n  " + "\n  ".join(problems))
    return specs


def _spec(
    schema: GraphQLSchema,
    product: Product,
    filename: str,
    operation: OperationDefinitionNode,
    fragments: tuple[FragmentDefinitionNode, ...],
    problems: list[str],
) -> RouteSpec | None:
    name = operation.name.value if operation.name else "<anonymous>"
    where = f"{filename}: {name}"
    directives = [d for d in operation.directives or () if d.name.value == "rest"]
    if len(directives) != 1 or operation.name is None:
        problems.append(f"{where}: every operation needs a name and exactly one @rest")
        return None
    args = _arguments(schema, directives[0])
    method = str(args["method"])
    path = _PATH_PARAM.sub(lambda m: "{" + (m.group(1) or m.group(2)) + "}", args["path"])
    variables: dict[str, GraphQLInputType] = {}
    for definition in operation.variable_definitions or ():
        variable_type = type_from_ast(schema, definition.type)
        assert variable_type is not None  # validated
        variables[definition.variable.name.value] = variable_type  # type: ignore[assignment]
    path_params = tuple(m.group(1) for m in re.finditer(r"\{(\w+)\}", path))
    for param in path_params:
        if param not in variables:
            problems.append(f"{where}: path parameter {{{param}}} is not a variable")
    kind = operation.operation.value
    if method == "GET" and kind != "query":
        problems.append(f"{where}: GET must serve a query")
    if kind == "subscription":
        problems.append(f"{where}: subscriptions are served by the SSE adapter, not @rest")
    list_style = args.get("list")
    if list_style is not None and not {"first", "after"} <= set(variables):
        problems.append(f"{where}: a list operation declares $first and $after")
    body_variable = args.get("body")
    if body_variable is not None and body_variable not in variables:
        problems.append(f"{where}: body variable ${body_variable} is not declared")
    by_name = {fragment.name.value: fragment for fragment in fragments}
    stripped: DocumentNode = visit(DocumentNode(definitions=(operation,)), _StripRest(by_name))
    operation = stripped.definitions[0]  # type: ignore[assignment]
    unwrap = tuple(args["unwrap"].split(".")) if args.get("unwrap") else ()
    merge = args.get("merge")
    if merge is not None:
        root = schema.get_root_type(operation.operation)
        assert root is not None
        try:
            descend(schema, {}, operation.selection_set, root, (*unwrap, merge))
        except KeyError:
            problems.append(f"{where}: merge {merge!r} is not selected under the unwrapped value")
    return RouteSpec(
        product=product,
        name=name,
        method=method,
        path=path,
        status=int(args["status"]),
        unwrap=unwrap,
        list_style=str(list_style) if list_style else None,
        body_variable=body_variable,
        errors=str(args["errors"]),
        merge=merge,
        query=print_ast(stripped),
        operation=operation,
        variables=variables,
        path_params=path_params,
    )
