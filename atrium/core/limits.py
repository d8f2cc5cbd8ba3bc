"""Query limits and the hourly rate-limit budget.

Strawberry has no cost limiter, so this one is ours. Cost follows GitHub's GraphQL
points: every connection in the query is one request per parent that will fetch it,
each assumed to return its full ``first``/``last`` (20 when absent); the sum of
requests divided by 100, rounded, at least 1, is what the query costs against the
hour's budget. The same walk counts the nodes a query could return; above the cap it
is QUERY_TOO_COMPLEX before anything runs.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Protocol

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationContext,
    ValidationRule,
    VariableNode,
    get_named_type,
)

from atrium.core.pagination import DEFAULT_PAGE_SIZE

WINDOW_SECONDS = 3600


def too_complex(message: str, **details: Any) -> GraphQLError:
    return GraphQLError(message, extensions={"code": "QUERY_TOO_COMPLEX", **details})


# --- Validation rules: depth and aliases ---------------------------------------------


def depth_limit_rule(max_depth: int) -> type[ValidationRule]:
    class DepthLimit(ValidationRule):
        """Rejects selections nested deeper than ``max_depth`` (fragments included)."""

        def enter_operation_definition(self, node: OperationDefinitionNode, *_: Any) -> None:
            fragments = {
                d.name.value: d
                for d in self.context.document.definitions
                if isinstance(d, FragmentDefinitionNode)
            }
            depth = _depth(node.selection_set, fragments, 0, set())
            if depth > max_depth:
                self.report_error(
                    too_complex(f"Query depth {depth} exceeds the maximum of {max_depth}")
                )

    return DepthLimit


def _depth(
    selection_set: SelectionSetNode | None,
    fragments: dict[str, FragmentDefinitionNode],
    level: int,
    seen: set[str],
) -> int:
    if selection_set is None:
        return level
    deepest = level
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            if selection.name.value.startswith("__"):
                continue
            deepest = max(deepest, _depth(selection.selection_set, fragments, level + 1, seen))
        elif isinstance(selection, InlineFragmentNode):
            deepest = max(deepest, _depth(selection.selection_set, fragments, level, seen))
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            fragment = fragments.get(name)
            if fragment is not None and name not in seen:
                deepest = max(
                    deepest, _depth(fragment.selection_set, fragments, level, seen | {name})
                )
    return deepest


def alias_limit_rule(max_aliases: int) -> type[ValidationRule]:
    class AliasLimit(ValidationRule):
        """Rejects documents with more than ``max_aliases`` aliases (alias amplification)."""

        def __init__(self, context: ValidationContext) -> None:
            super().__init__(context)
            self.count = 0

        def enter_field(self, node: FieldNode, *_: Any) -> None:
            if node.alias is not None:
                self.count += 1
                if self.count == max_aliases + 1:
                    self.report_error(
                        too_complex(f"The document has more than {max_aliases} aliases")
                    )

    return AliasLimit


# --- Cost -------------------------------------------------------------------------------


@dataclass(frozen=True)
class QueryCost:
    requests: int
    nodes: int

    @property
    def points(self) -> int:
        return max(1, round(self.requests / 100))


def query_cost(
    schema: GraphQLSchema,
    operation: OperationDefinitionNode,
    fragments: dict[str, FragmentDefinitionNode],
    variables: dict[str, Any] | None,
) -> QueryCost:
    root = schema.get_root_type(operation.operation)
    if root is None:
        return QueryCost(0, 0)
    walker = _CostWalker(schema, fragments, variables or {})
    walker.walk(operation.selection_set, root, 1)
    return QueryCost(walker.requests, walker.nodes)


class _CostWalker:
    def __init__(
        self,
        schema: GraphQLSchema,
        fragments: dict[str, FragmentDefinitionNode],
        variables: dict[str, Any],
    ) -> None:
        self.schema = schema
        self.fragments = fragments
        self.variables = variables
        self.requests = 0
        self.nodes = 0

    def _size(self, field: FieldNode) -> int:
        for argument in field.arguments or ():
            if argument.name.value not in ("first", "last"):
                continue
            value = argument.value
            if isinstance(value, IntValueNode):
                return int(value.value)
            if isinstance(value, VariableNode):
                raw = self.variables.get(value.name.value)
                if isinstance(raw, int):
                    return raw
        return DEFAULT_PAGE_SIZE

    def walk(
        self, selection_set: SelectionSetNode | None, parent: GraphQLNamedType, multiplier: int
    ) -> None:
        if selection_set is None:
            return
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                self._field(selection, parent, multiplier)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                target = self.schema.get_type(condition.name.value) if condition else parent
                self.walk(selection.selection_set, target or parent, multiplier)
            elif isinstance(selection, FragmentSpreadNode):
                fragment = self.fragments.get(selection.name.value)
                if fragment is not None:
                    target = self.schema.get_type(fragment.type_condition.name.value)
                    self.walk(fragment.selection_set, target or parent, multiplier)

    def _field(self, node: FieldNode, parent: GraphQLNamedType, multiplier: int) -> None:
        fields = getattr(parent, "fields", None)
        definition = fields.get(node.name.value) if fields else None
        if definition is None:
            return
        field_type = get_named_type(definition.type)
        if isinstance(field_type, GraphQLObjectType) and field_type.name.endswith("Connection"):
            size = self._size(node)
            self.requests += multiplier
            self.nodes += multiplier * size
            self.walk(node.selection_set, field_type, multiplier * max(size, 1))
        else:
            self.walk(node.selection_set, field_type, multiplier)


# --- Rate limiting ----------------------------------------------------------------------


@dataclass(frozen=True)
class RateLimitState:
    limit: int
    remaining: int
    reset_at: int  # epoch seconds
    cost: int
    allowed: bool

    @property
    def used(self) -> int:
        return self.limit - self.remaining

    def headers(self) -> dict[str, str]:
        return {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(self.reset_at),
            "X-RateLimit-Used": str(self.used),
        }

    def as_extension(self) -> dict[str, Any]:
        return {
            "cost": self.cost,
            "limit": self.limit,
            "remaining": self.remaining,
            "used": self.used,
            "resetAt": self.reset_at,
        }


class RateLimiter(Protocol):
    async def consume(self, key: str, cost: int, limit: int) -> RateLimitState: ...


def _window(now: float) -> tuple[int, int]:
    start = int(now) // WINDOW_SECONDS * WINDOW_SECONDS
    return start, start + WINDOW_SECONDS


class MemoryRateLimiter:
    """Fixed hourly windows in this process; right for one server process."""

    def __init__(self) -> None:
        self._used: dict[tuple[str, int], int] = {}

    async def consume(self, key: str, cost: int, limit: int) -> RateLimitState:
        start, reset = _window(time.time())
        bucket = (key, start)
        if len(self._used) > 100_000:
            self._used = {k: v for k, v in self._used.items() if k[1] == start}
        used = self._used.get(bucket, 0)
        allowed = used + cost <= limit
        if allowed:
            used += cost
            self._used[bucket] = used
        return RateLimitState(limit, max(0, limit - used), reset, cost, allowed)


_CONSUME_LUA = """
local used = tonumber(redis.call('GET', KEYS[1]) or '0')
local cost = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
if used + cost > limit then return {used, 0} end
used = redis.call('INCRBY', KEYS[1], cost)
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[3]))
return {used, 1}
"""


class RedisRateLimiter:
    """Fixed hourly windows shared by every server process through Redis."""

    def __init__(self, url: str) -> None:
        import redis.asyncio as redis

        self._redis = redis.from_url(url)
        self._script = self._redis.register_script(_CONSUME_LUA)

    async def consume(self, key: str, cost: int, limit: int) -> RateLimitState:
        start, reset = _window(time.time())
        used, allowed = await self._script(
            keys=[f"atrium:rate:{key}:{start}"], args=[cost, limit, WINDOW_SECONDS + 60]
        )
        return RateLimitState(limit, max(0, limit - int(used)), reset, cost, bool(allowed))

    async def ping(self) -> object:
        return await self._redis.ping()

    async def close(self) -> None:
        await self._redis.aclose()


def create_rate_limiter(redis_url: str | None) -> RateLimiter:
    return RedisRateLimiter(redis_url) if redis_url else MemoryRateLimiter()
