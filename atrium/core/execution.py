"""How Atrium executes operations: Strawberry's executor minus per-field overhead where a
field is a plain attribute or a plain method.

A nested read spends most of its time in the executor rather than in SQL: 50 threads x
20 messages x ``{ id content createdAt author { id name } }`` is about 5,000 scalar
fields, and graphql-core handles each one alike, whatever it is: a ``Path`` entry, a
``GraphQLResolveInfo`` of 16 items, the field's resolver (Strawberry's
``_get_basic_result``, which calls ``getattr``), then ``complete_value`` twice (non-null,
then leaf) to serialise the value. About 5 µs a field, most of a request's CPU
(bench/bench_nested_read.py).

:class:`AtriumExecutionContext` answers a *basic* field (a Strawberry field without a
resolver or field extensions, i.e. an attribute) of a scalar or enum type by reading the
attribute and serialising it in one step. The result is the same; anything out of the
ordinary (an exception, ``None`` for a non-null field, a value the scalar refuses, an
awaitable, middleware from a schema extension's ``resolve`` hook) takes graphql-core's
own path instead, which reads the attribute again and reports exactly as it always
does. It also completes an object value that is an instance of exactly its type's class
by executing its fields at once, where graphql-core would first dispatch on the type
(non-null, list, leaf, abstract, object) and call the type's ``is_type_of`` check, which
such a value passes by construction, and likewise for each item of a list of such
values (a page's ``nodes``), whose sub-selection it plans once per list rather than
once per item. A direct resolver keeps the plan of its sub-selection, so the 1,000
messages' ``author { id name }`` is planned once.

:func:`streamline_resolvers` gives a resolver without arguments (``Message.author``,
``Connection.nodes``…) or with builtin scalar ones (``Thread.messages(first:)``) a
direct call of its method in place of Strawberry's generic wrapper, which converts
arguments that need no converting, chains (no) field extensions and goes through four
calls per value: a few µs, for each of the 1,000 messages' ``author``. A method taking
only ``self`` (and ``info`` next) is called with positional arguments alone.

Measured on 50 threads x 20 messages x ``{ id content createdAt author { id name } }``
in memory (no SQL): 7.3 ms a query before the list and kept-plan paths, 4.3 ms after.

:class:`FastSchema` is a Strawberry schema with both.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable
from datetime import date, datetime
from typing import Any, NamedTuple, cast

import strawberry
from graphql import (
    FieldNode,
    GraphQLField,
    GraphQLLeafType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLResolveInfo,
    GraphQLSchema,
    is_leaf_type,
)
from graphql.execution.collect_fields import FieldDetailsList, GroupedFieldSet
from graphql.execution.executor import to_nodes
from graphql.execution.values import get_argument_values
from graphql.pyutils import AwaitableOrValue, Path, Undefined, gather_with_cancel
from graphql.type.scalars import serialize_boolean, serialize_id, serialize_string
from strawberry.extensions import ParserCache, ValidationCache
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.schema.types.base_scalars import isoformat as strawberry_isoformat
from strawberry.types.arguments import StrawberryArgument
from strawberry.types.base import StrawberryObjectDefinition, StrawberryOptional
from strawberry.types.cast import TYPE_CAST_ATTRIBUTE
from strawberry.types.field import StrawberryField

# Values that are never awaitable nor exceptions, checked by exact type first.
_PLAIN_TYPES = frozenset({str, int, float, bool, datetime, date})
DOCUMENT_CACHE_SIZE = 256
# Serialisers of builtin scalars (graphql-core's, Strawberry's for dates), and for the
# exact value types each serialises without fail, what it comes down to: None for the
# value itself, else a function of the value that is never None.
_EXACT: dict[Any, dict[type, Callable[[Any], Any] | None]] = {
    serialize_string: {str: None},
    serialize_id: {str: None},
    serialize_boolean: {bool: None},
    strawberry_isoformat: {datetime: datetime.isoformat, date: date.isoformat},
}
_SLOW: Any = object()  # "take graphql-core's path", distinct from any attribute value
DIRECT = "_atrium_direct"  # marks the resolvers streamline_resolvers made


class _Attribute(NamedTuple):
    """How to answer one basic leaf field directly."""

    get: Callable[[Any, str], Any]  # the schema's default resolver, ``getattr``
    name: str  # the Python attribute
    coerce: Callable[[Any], Any]  # the leaf type's ``coerce_output_value``
    non_null: bool
    exact: dict[type, Callable[[Any], Any] | None]  # see _EXACT


class _Completion(NamedTuple):
    """An output type (an object type, or a list of one) whose exact-class values may
    skip graphql-core's dispatch."""

    return_type: GraphQLOutputType  # kept alive: the cache is keyed by its id
    object_type: GraphQLObjectType | None  # None: always take graphql-core's path
    origin: type | None  # the Strawberry class of its values (of a list's items)
    item_type: GraphQLOutputType | None  # for a list type, the type of its items


class _Resolver:
    """How to call one direct resolver (see :func:`streamline_resolvers`) without
    graphql-core's per-call lookups: its field, nodes and arguments, found once per plan
    (the arguments are the same for every item of a list: same nodes, same variables),
    and the plan of its sub-selection once a value of exactly its type's class came."""

    __slots__ = ("args", "completion", "field_def", "field_nodes", "subplan")

    def __init__(
        self,
        field_def: GraphQLField,
        field_nodes: list[FieldNode],
        args: dict[str, Any],
        completion: _Completion,
    ) -> None:
        self.field_def = field_def
        self.field_nodes = field_nodes
        self.args = args
        self.completion = completion
        self.subplan: list[_PlannedField] | None = None


class _PlannedField(NamedTuple):
    response_name: str
    field_details_list: FieldDetailsList
    attribute: _Attribute | None  # a leaf read directly
    resolver: _Resolver | None  # a direct resolver called directly; both None: graphql-core


def _attribute(field_def: GraphQLField, field_details_list: FieldDetailsList) -> _Attribute | None:
    """The fast path for this field, or None when it needs graphql-core's."""
    definition = (field_def.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
    if not isinstance(definition, StrawberryField) or not definition.is_basic_field:
        return None
    # Strawberry calls a basic field's resolver `_get_basic_result` (a plain attribute
    # read); anything else (exception handlers, a custom resolver) is left alone.
    resolve = field_def.resolve
    if resolve is None or getattr(resolve, "__name__", "") != "_get_basic_result":
        return None
    if field_def.args or any(d.node.arguments for d in field_details_list):
        return None
    return_type = field_def.type
    non_null = isinstance(return_type, GraphQLNonNull)
    leaf = return_type.of_type if isinstance(return_type, GraphQLNonNull) else return_type
    if not is_leaf_type(leaf):
        return None
    assert isinstance(leaf, GraphQLLeafType)
    name = definition.python_name
    coerce = leaf.coerce_output_value
    exact = _EXACT.get(coerce, {})
    return _Attribute(definition.default_resolver, name, coerce, non_null, exact)


class AtriumExecutionContext(StrawberryGraphQLCoreExecutionContext):
    """Strawberry's execution context with a direct path for attribute leaf fields."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Plans per grouped field set: graphql-core memoises the sub-selection of a
        # field per return type, so the 1,000 messages of a read share one set (kept
        # alive here, so that its id is not reused while the operation runs).
        self._plans: dict[int, tuple[GroupedFieldSet, list[_PlannedField]]] = {}
        self._completions: dict[int, _Completion] = {}
        manager = self.middleware_manager
        self._direct = manager is None or not manager.middlewares

    def _plan(
        self, parent_type: GraphQLObjectType, grouped_field_set: GroupedFieldSet
    ) -> list[_PlannedField]:
        key = id(grouped_field_set)
        cached = self._plans.get(key)
        if cached is not None and cached[0] is grouped_field_set:
            return cached[1]
        planned = []
        for response_name, field_details_list in grouped_field_set.items():
            field_def = self.schema.get_field(parent_type, field_details_list[0].node.name.value)
            attribute = resolver = None
            if field_def is not None and self._direct:
                attribute = _attribute(field_def, field_details_list)
                if attribute is None:
                    resolver = self._resolver(field_def, field_details_list)
            planned.append(_PlannedField(response_name, field_details_list, attribute, resolver))
        self._plans[key] = (grouped_field_set, planned)
        return planned

    def _resolver(
        self, field_def: GraphQLField, field_details_list: FieldDetailsList
    ) -> _Resolver | None:
        if not getattr(field_def.resolve, DIRECT, False):
            return None
        first = field_details_list[0]
        if first.fragment_variable_values is not None:
            return None
        try:
            args = (
                get_argument_values(field_def, first.node, self.variable_values)
                if field_def.args or first.node.arguments
                else {}
            )
        except Exception:  # reported by graphql-core's path, at the field
            return None
        return _Resolver(
            field_def, to_nodes(field_details_list), args, self._completion(field_def.type)
        )

    def _execute_resolver(
        self,
        resolver: _Resolver,
        parent_type: GraphQLObjectType,
        source: Any,
        field_details_list: FieldDetailsList,
        path: Path,
        position_context: Any,
    ) -> AwaitableOrValue[Any]:
        """graphql-core's ``execute_field`` for a direct resolver planned by
        :meth:`_resolver`: the same calls, minus the lookups the plan did once."""
        field_def = resolver.field_def
        return_type = field_def.type
        info = self.build_resolve_info(field_def, resolver.field_nodes, parent_type, path)
        try:
            result = field_def.resolve(source, info, **resolver.args)  # type: ignore[misc]
            completion = resolver.completion
            if (
                completion.item_type is None
                and completion.origin is not None
                and position_context is None
                and _exactly(result, completion.origin)
            ):
                # complete_value's object path, with the sub-plan kept on the resolver
                assert completion.object_type is not None
                plan = resolver.subplan
                if plan is None:
                    plan = resolver.subplan = self._subplan(
                        completion.object_type, field_details_list
                    )
                if plan is not None:
                    completed = self._execute_plan(plan, completion.object_type, result, path, None)
                    if type(completed) is dict:
                        return completed
                    return self._await_completed(completed, return_type, field_details_list, path)
            if result is None and not isinstance(return_type, GraphQLNonNull):
                return None
            if self.is_awaitable(result):
                return self.complete_awaitable_value(
                    return_type, field_details_list, info, path, result, position_context
                )
            completed = self.complete_value(
                return_type, field_details_list, info, path, result, position_context
            )
            if self.is_awaitable(completed):
                return self._await_completed(completed, return_type, field_details_list, path)
            return completed
        except Exception as raw_error:
            self.handle_field_error(raw_error, return_type, field_details_list, path)
            return None

    async def _await_completed(
        self,
        completed: Any,
        return_type: GraphQLOutputType,
        field_details_list: FieldDetailsList,
        path: Path,
    ) -> Any:
        try:
            return await completed
        except Exception as raw_error:
            self.handle_field_error(raw_error, return_type, field_details_list, path)
            return None

    def _completion(self, return_type: GraphQLOutputType) -> _Completion:
        cached = self._completions.get(id(return_type))
        if cached is not None and cached.return_type is return_type:
            return cached
        inner = return_type.of_type if isinstance(return_type, GraphQLNonNull) else return_type
        item_type = None
        if isinstance(inner, GraphQLList):
            item_type = inner.of_type
            inner = item_type.of_type if isinstance(item_type, GraphQLNonNull) else item_type
        entry = _Completion(return_type, None, None, None)
        if isinstance(inner, GraphQLObjectType):
            definition = (inner.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
            # A type with its own `is_type_of` must be asked; others accept their class.
            if isinstance(definition, StrawberryObjectDefinition) and not definition.is_type_of:
                entry = _Completion(return_type, inner, definition.origin, item_type)
        self._completions[id(return_type)] = entry
        return entry

    def _subplan(
        self, object_type: GraphQLObjectType, field_details_list: FieldDetailsList
    ) -> list[_PlannedField] | None:
        """The plan of a field's sub-selection on ``object_type``; None when it defers
        (what ``execute_collected_subfields`` would run then is graphql-core's to run)."""
        grouped_field_set, new_defer_usages, _ = self.collect_subfields(
            object_type, field_details_list
        )
        if new_defer_usages:
            return None
        return self._plan(object_type, grouped_field_set)

    def complete_value(
        self,
        return_type: GraphQLOutputType,
        field_details_list: FieldDetailsList,
        info: GraphQLResolveInfo,
        path: Path,
        result: Any,
        position_context: Any,
    ) -> AwaitableOrValue[Any]:
        """graphql-core's ``complete_value``, going straight to the fields of an object
        whose class is exactly its type's (and not ``strawberry.cast`` to another), and
        to the fields of each such item of a list."""
        entry = self._completion(return_type)
        origin = entry.origin
        if origin is not None and position_context is None:
            assert entry.object_type is not None
            if entry.item_type is None:
                if _exactly(result, origin):
                    plan = self._subplan(entry.object_type, field_details_list)
                    if plan is not None:
                        return self._execute_plan(plan, entry.object_type, result, path, None)
            elif type(result) is list and not _has_directives(field_details_list):
                plan = self._subplan(entry.object_type, field_details_list)
                if plan is not None:
                    return self._complete_list(entry, plan, field_details_list, info, path, result)
        return super().complete_value(
            return_type, field_details_list, info, path, result, position_context
        )

    def _complete_list(
        self,
        entry: _Completion,
        plan: list[_PlannedField],
        field_details_list: FieldDetailsList,
        info: GraphQLResolveInfo,
        path: Path,
        items: list[Any],
    ) -> AwaitableOrValue[list[Any]]:
        """graphql-core's ``complete_iterable_value`` (no ``@stream``: the field has no
        directives), executing the planned fields of items of exactly the item type's
        class at once; other items (None, awaitables, casts) take graphql-core's path."""
        item_type, object_type, origin = entry.item_type, entry.object_type, entry.origin
        assert item_type is not None and object_type is not None and origin is not None
        is_awaitable = self.is_awaitable
        completed_results: list[Any] = []
        append = completed_results.append
        awaitable_indices: list[int] = []
        try:
            for index, item in enumerate(items):
                item_path = Path(path, index, None)
                if _exactly(item, origin):
                    try:
                        completed = self._execute_plan(plan, object_type, item, item_path, None)
                    except Exception as raw_error:
                        # Raises again for a non-null item: the list fails, as in graphql-core.
                        self.handle_field_error(raw_error, item_type, field_details_list, item_path)
                        completed = None
                    if type(completed) is not dict and is_awaitable(completed):
                        completed = self._await_completed(
                            completed, item_type, field_details_list, item_path
                        )
                        awaitable_indices.append(index)
                    append(completed)
                elif is_awaitable(item):
                    append(
                        self.complete_awaitable_list_item_value(
                            item, item_type, field_details_list, info, item_path, None
                        )
                    )
                    awaitable_indices.append(index)
                elif self.complete_list_item_value(
                    item, completed_results, item_type, field_details_list, info, item_path, None
                ):
                    awaitable_indices.append(index)
        except Exception:
            pending = [completed_results[index] for index in awaitable_indices]
            if pending:  # as graphql-core does: settle what items started, they may fail
                self.settle_in_background(pending)
            raise
        if not awaitable_indices:
            return completed_results
        return self._gather_items(completed_results, awaitable_indices)

    async def _gather_items(
        self, completed_results: list[Any], awaitable_indices: list[int]
    ) -> list[Any]:
        """graphql-core's ``get_completed_results`` of ``complete_iterable_value``."""
        if len(awaitable_indices) == 1:
            index = awaitable_indices[0]
            completed_results[index] = await completed_results[index]
        else:
            awaited = await gather_with_cancel(
                *(completed_results[index] for index in awaitable_indices)
            )
            for index, value in zip(awaitable_indices, awaited, strict=True):
                completed_results[index] = value
        return completed_results

    def execute_fields(
        self,
        parent_type: GraphQLObjectType,
        source_value: Any,
        path: Path | None,
        grouped_field_set: GroupedFieldSet,
        position_context: Any,
    ) -> AwaitableOrValue[dict[str, Any]]:
        """graphql-core's ``execute_fields``, answering attribute leaf fields directly."""
        return self._execute_plan(
            self._plan(parent_type, grouped_field_set),
            parent_type,
            source_value,
            path,
            position_context,
        )

    def _execute_plan(
        self,
        plan: list[_PlannedField],
        parent_type: GraphQLObjectType,
        source_value: Any,
        path: Path | None,
        position_context: Any,
    ) -> AwaitableOrValue[dict[str, Any]]:
        results: dict[str, Any] = {}
        is_awaitable = self.is_awaitable
        awaitable_fields: list[str] = []
        try:
            for response_name, field_details_list, attribute, resolver in plan:
                if attribute is not None:
                    try:
                        value = attribute.get(source_value, attribute.name)
                    except Exception:
                        value = _SLOW
                    else:
                        serialise = attribute.exact.get(type(value), _SLOW)
                        if serialise is None:
                            results[response_name] = value
                            continue
                        if serialise is not _SLOW:
                            results[response_name] = serialise(value)
                            continue
                        value = _coerce(attribute, value, is_awaitable)
                    if value is not _SLOW:
                        results[response_name] = value
                        continue
                field_path = Path(path, response_name, parent_type.name)
                if resolver is not None:
                    result = self._execute_resolver(
                        resolver,
                        parent_type,
                        source_value,
                        field_details_list,
                        field_path,
                        position_context,
                    )
                else:
                    result = self.execute_field(
                        parent_type, source_value, field_details_list, field_path, position_context
                    )
                if result is not Undefined:
                    results[response_name] = result
                    if type(result) is not dict and is_awaitable(result):
                        awaitable_fields.append(response_name)
        except Exception:
            if awaitable_fields:
                # As graphql-core does: settle what other fields started, they may fail.
                self.settle_in_background([results[field] for field in awaitable_fields])
            raise
        if not awaitable_fields:
            return results
        return self._gather_fields(results, awaitable_fields)

    async def _gather_fields(
        self, results: dict[str, Any], awaitable_fields: list[str]
    ) -> dict[str, Any]:
        """graphql-core's ``get_results`` of ``execute_fields``."""
        if len(awaitable_fields) == 1:
            field = awaitable_fields[0]
            results[field] = await results[field]
        else:
            awaited = await gather_with_cancel(*(results[field] for field in awaitable_fields))
            results.update(zip(awaitable_fields, awaited, strict=True))
        return results


def _exactly(value: Any, origin: type) -> bool:
    """``value`` is an instance of exactly ``origin``, not ``strawberry.cast`` to another
    type (which graphql-core's path resolves)."""
    return type(value) is origin and TYPE_CAST_ATTRIBUTE not in getattr(
        value, "__dict__", (TYPE_CAST_ATTRIBUTE,)
    )


def _has_directives(field_details_list: FieldDetailsList) -> bool:
    return any(details.node.directives for details in field_details_list)


def _coerce(attribute: _Attribute, value: Any, is_awaitable: Callable[[Any], bool]) -> Any:
    """The serialised attribute ``value``, or ``_SLOW`` when graphql-core must answer."""
    if value is None:
        return _SLOW if attribute.non_null else None
    if type(value) not in _PLAIN_TYPES and (is_awaitable(value) or isinstance(value, Exception)):
        return _SLOW
    try:
        coerced = attribute.coerce(value)
    except Exception:
        return _SLOW
    if coerced is None or coerced is Undefined:
        return _SLOW
    return coerced


# Argument types whose GraphQL value Strawberry passes on unchanged (``ID`` is a str).
_PLAIN_ARGUMENT_TYPES = (str, int, float, bool, strawberry.ID)


def _plain_arguments(field_def: GraphQLField) -> dict[str, str] | None:
    """GraphQL name -> Python name of ``field_def``'s arguments when every one is a
    builtin scalar, optional or not (Strawberry converts those to themselves); else None.
    """
    names: dict[str, str] = {}
    for graphql_name, argument in field_def.args.items():
        definition = (argument.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
        if not isinstance(definition, StrawberryArgument) or definition.is_maybe:
            return None
        argument_type = definition.type
        if isinstance(argument_type, StrawberryOptional):
            argument_type = argument_type.of_type
        if argument_type not in _PLAIN_ARGUMENT_TYPES:
            return None
        names[graphql_name] = definition.python_name
    return names


def _direct_resolver(
    definition: StrawberryField, info_class: type[strawberry.Info], arguments: dict[str, str]
) -> Callable[..., Any]:
    """Call ``definition``'s method as Strawberry would, without the generic machinery.

    What Strawberry's wrapper does for a field without extensions, whose arguments are
    builtin scalars, comes down to this: the source as ``self`` (and as
    ``root``/``parent`` when asked for), a :class:`strawberry.Info` when asked for, the
    arguments graphql-core coerced under their Python names, the method's return value
    (an awaitable one is awaited by graphql-core).
    """
    resolver = definition.base_resolver
    assert resolver is not None
    func = cast("Callable[..., Any]", resolver.wrapped_func)
    takes_self = resolver.self_parameter is not None
    source_names = [p.name for p in (resolver.root_parameter, resolver.parent_parameter) if p]
    info_name = resolver.info_parameter.name if resolver.info_parameter else None

    if takes_self and not source_names and not arguments:
        # The common shape (``Message.author``, ``Connection.nodes``): one call, no dict.
        if info_name is None:
            return _mark(lambda source, info: func(source))
        if _second_positional(func, info_name):
            return _mark(lambda source, info: func(source, info_class(info, definition)))

    def resolve(source: Any, info: GraphQLResolveInfo, **values: Any) -> Any:
        kwargs = dict.fromkeys(source_names, source)
        for name, value in values.items():
            kwargs[arguments[name]] = value
        if info_name is not None:
            kwargs[info_name] = info_class(_raw_info=info, _field=definition)
        return func(source, **kwargs) if takes_self else func(**kwargs)

    return _mark(resolve)


def _mark(resolve: Callable[..., Any]) -> Callable[..., Any]:
    resolve._is_default = False  # type: ignore[attr-defined]  # as Strawberry marks it
    setattr(resolve, DIRECT, True)
    return resolve


def _second_positional(func: Callable[..., Any], name: str) -> bool:
    """``name`` is the parameter after ``self`` and may be passed by position."""
    parameters = list(inspect.signature(func).parameters.values())
    return (
        len(parameters) == 2
        and parameters[1].name == name
        and parameters[1].kind is inspect.Parameter.POSITIONAL_OR_KEYWORD
    )


def streamline_resolvers(
    schema: GraphQLSchema, info_class: type[strawberry.Info], skip: Iterable[str] = ()
) -> int:
    """Give resolvers of ``schema`` a direct call; returns how many.

    Only fields whose resolver Strawberry built its standard way qualify: a method
    whose GraphQL arguments are all builtin scalars (a connection's
    ``first/after/last/before``), without field extensions (permissions are extensions)
    or exception handlers, that is not an async generator. ``skip`` names object types
    left alone (the subscription root, whose fields subscribe rather than resolve).
    """
    skipped = set(skip)
    count = 0
    for graphql_type in schema.type_map.values():
        if not isinstance(graphql_type, GraphQLObjectType) or graphql_type.name in skipped:
            continue
        if graphql_type.name.startswith("__"):
            continue
        for field_def in graphql_type.fields.values():
            definition = (field_def.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
            resolve = field_def.resolve
            arguments = _plain_arguments(field_def)
            if (
                not isinstance(definition, StrawberryField)
                or definition.base_resolver is None
                or definition.extensions
                or arguments is None
                or len(arguments) != len(definition.arguments)
                or getattr(resolve, "__name__", "") not in ("_resolver", "_async_resolver")
                or not callable(definition.base_resolver.wrapped_func)
                or inspect.isasyncgenfunction(definition.base_resolver.wrapped_func)
            ):
                continue
            field_def.resolve = _direct_resolver(definition, info_class, arguments)
            count += 1
    return count


class FastSchema(strawberry.Schema):
    """A Strawberry schema executed by :class:`AtriumExecutionContext`, with direct
    calls for argument-less resolvers (see the module docstring) and cached documents.

    Clients send the same few documents again and again, so each is parsed and
    validated once: Strawberry's ``ParserCache`` (LRU by text and parse options, e.g.
    the token limit) and ``ValidationCache`` (by document, schema and rules), about
    1 ms of a request for a 10-field query.
    """

    def __init__(
        self, *args: Any, document_cache_size: int = DOCUMENT_CACHE_SIZE, **kwargs: Any
    ) -> None:
        kwargs.setdefault("execution_context_class", AtriumExecutionContext)
        kwargs["extensions"] = [
            *kwargs.get("extensions", ()),
            lambda: ParserCache(maxsize=document_cache_size),
            lambda: ValidationCache(maxsize=document_cache_size),
        ]
        super().__init__(*args, **kwargs)
        if not self.exception_handlers:  # handlers wrap resolvers: keep Strawberry's
            subscription = self._schema.subscription_type
            streamline_resolvers(
                self._schema,
                self.config.info_class,
                skip=[subscription.name] if subscription is not None else [],
            )
