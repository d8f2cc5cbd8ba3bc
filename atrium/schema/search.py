"""``search(query:)``: ranked full-text search over threads, messages, agents, architectures.

The shape is the one GitHub's and Shopify's search fields have: a connection whose nodes
are a union of the found types, so ``nodes { ... on Thread { title } }`` reads like any
other list, with relevance and the matched text on the edge (where GitHub puts its
``textMatches``), costing nothing when not asked for. The snippet is plain text with
the matches given as offsets, so showing it needs no escaping: user content is never
mixed with markup.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

import strawberry

from atrium.resolvers import search as service
from atrium.resolvers.search import SearchType
from atrium.schema.agents import Agent
from atrium.schema.architecture.types import Architecture
from atrium.schema.common import (
    After,
    AtriumInfo,
    Before,
    Connection,
    Edge,
    First,
    Last,
    PageInfo,
)
from atrium.schema.threads.types import Message, Thread

strawberry.enum(SearchType, name="SearchType", description="A kind of object `search` finds.")

SearchResult = Annotated[
    Thread | Message | Agent | Architecture,
    strawberry.union("SearchResult", description="An object `search` found."),
]

_CONVERT: dict[SearchType, Callable[[Any], SearchResult]] = {
    SearchType.THREAD: Thread.from_model,
    SearchType.MESSAGE: Message.from_model,
    SearchType.AGENT: Agent.from_model,
    SearchType.ARCHITECTURE: Architecture.from_model,
}


@strawberry.type(description="Where a search term matched in the edge's `snippet`.")
class SearchHighlight:
    start: int = strawberry.field(
        description="Offset of its first character (0-based, in code points)."
    )
    end: int = strawberry.field(description="Offset just after its last character.")
    text: str = strawberry.field(description="The matched text.")


@strawberry.type(description="A search result with its cursor, relevance and matched text.")
class SearchEdge(Edge[SearchResult]):
    rank: float = strawberry.field(
        description="Relevance, higher first; comparable within one search only."
    )
    snippet: str | None = strawberry.field(
        description="Plain text around the matched words (no markup)."
    )
    highlights: list[SearchHighlight] = strawberry.field(
        description="The matched words in `snippet`, in order."
    )


@strawberry.type(description="Search results, most relevant first.")
class SearchConnection(Connection[SearchResult]):
    hits: strawberry.Private[list[SearchEdge]]

    @strawberry.field(description="The results with their cursors, relevance and snippets.")
    def edges(self) -> list[SearchEdge]:
        return self.hits


def _edge(hit: service.Hit, cursor: str) -> SearchEdge:
    text = hit.snippet or ""
    return SearchEdge(
        cursor=cursor,
        node=_CONVERT[hit.type](hit.row),
        rank=hit.score,
        snippet=hit.snippet,
        highlights=[SearchHighlight(start=s, end=e, text=text[s:e]) for s, e in hit.highlights],
    )


@strawberry.type
class SearchQuery:
    @strawberry.field(
        description="Threads, messages, agents and architectures you can see that match "
        "`query`, most relevant first. Words match in any form (`deploying` finds "
        '`deploy`); `"quoted phrases"` match in order, `or` offers alternatives and '
        "`-word` excludes. Up to 1000 results; BAD_USER_INPUT when `query` is empty."
    )
    async def search(
        self,
        info: AtriumInfo,
        query: Annotated[
            str, strawberry.argument(description="What to find (at most 256 characters).")
        ],
        types: Annotated[
            list[SearchType] | None,
            strawberry.argument(description="Only these kinds of objects; all when omitted."),
        ] = None,
        organization_id: Annotated[
            strawberry.ID | None, strawberry.argument(description="Only this organization.")
        ] = None,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> SearchConnection:
        info.context.principal.require_authenticated()
        page = await service.search(
            info.context,
            query,
            types=types,
            organization_id=organization_id,
            first=first,
            after=after,
            last=last,
            before=before,
        )

        async def total() -> int:
            return page.total

        edges = [_edge(hit, cursor) for hit, cursor in zip(page.hits, page.cursors, strict=True)]
        return SearchConnection(
            hits=edges,
            items=[edge.node for edge in edges],
            cursors=lambda: page.cursors,
            page_info=PageInfo(
                has_next_page=page.has_next_page,
                has_previous_page=page.has_previous_page,
                start_cursor=page.cursors[0] if page.cursors else None,
                end_cursor=page.cursors[-1] if page.cursors else None,
            ),
            total=total,
        )
