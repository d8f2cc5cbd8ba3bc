"""``node(id:)`` and ``nodes(ids:)``: any object by its prefixed global ID."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Annotated, Any

import strawberry

from atrium.core.errors import BadUserInput, NotFound
from atrium.core.ids import prefix_of
from atrium.schema.common import AtriumInfo, Node

NodeResolvers = dict[str, tuple[Any, Callable[[Any], Any]]]


def node_query(resolvers: NodeResolvers) -> type:
    """Build the Node query mixin over every domain's prefix → (loader, converter) table."""

    async def resolve(info: AtriumInfo, node_id: str) -> Node | None:
        prefix = prefix_of(node_id)
        entry = resolvers.get(prefix) if prefix else None
        if entry is None:
            return None
        loader, convert = entry
        row = await info.context.loaders.get(loader).load(node_id)
        return convert(row) if row is not None else None

    @strawberry.type
    class NodeQuery:
        @strawberry.field(
            description="Any object by its global ID. NOT_FOUND when unknown or not yours."
        )
        async def node(
            self,
            info: AtriumInfo,
            id: Annotated[strawberry.ID, strawberry.argument(description="Global ID.")],
        ) -> Node:
            info.context.principal.require_authenticated()
            found = await resolve(info, id)
            if found is None:
                raise NotFound("Node", id)
            return found

        @strawberry.field(description="Objects by global ID, in order; null where not found.")
        async def nodes(
            self,
            info: AtriumInfo,
            ids: Annotated[
                list[strawberry.ID], strawberry.argument(description="Global IDs (≤ 100).")
            ],
        ) -> list[Node | None]:
            info.context.principal.require_authenticated()
            if len(ids) > 100:
                raise BadUserInput("`ids` takes at most 100 IDs")
            return list(await asyncio.gather(*(resolve(info, node_id) for node_id in ids)))

    return NodeQuery
