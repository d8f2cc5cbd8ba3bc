"""Full-text search over threads, messages, agents and architectures (``search(query:)``).

Each searched type costs one statement, filtered by the very SQL conditions that type's
own queries use, so search never shows a row its type's queries would hide. Relevance is
not an ID order, so a page is a range of positions (offset cursors): every type's
statement reads its best ``end + 1`` matches, and merging them yields the page, the next
page's existence, and (from ``count(*) OVER ()``) the total, without a statement more.
Positions stop at :data:`MAX_RESULTS`, as GitHub's search does, which bounds deep pages.

The dialect-specific SQL lives here and only here, over the full-text-search
migration's indexes (``migrations/versions/*_full_text_search.py``):

* SQLite: FTS5 ``MATCH``, ``bm25()`` and ``snippet()``. The user's words never reach FTS5
  syntax as typed: :func:`fts5_query` re-quotes every term, so stray quotes or operators
  cannot fail the statement.
* PostgreSQL: ``websearch_to_tsquery`` (forgiving by design), ``ts_rank``, ``ts_headline``.

Both read the same small syntax, the one of web search engines: words must all appear,
``"quoted phrases"`` in order, ``or`` offers alternatives and ``-word`` excludes.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, Select, column, func, literal_column, select, table

from atrium.core.context import Context
from atrium.core.errors import BadUserInput
from atrium.core.pagination import ConnectionArgs, encode_offset_cursor
from atrium.models.agents import Agent
from atrium.models.architecture import Architecture
from atrium.models.threads import Message, Thread
from atrium.resolvers.agents.visibility import visible_agents
from atrium.resolvers.loading import visible_org_ids
from atrium.resolvers.threads.visibility import visible_threads


class SearchType(StrEnum):
    THREAD = "THREAD"
    MESSAGE = "MESSAGE"
    AGENT = "AGENT"
    ARCHITECTURE = "ARCHITECTURE"


MAX_QUERY_LENGTH = 256
MAX_RESULTS = 1000
# Private-use characters delimit the matched words in snippets: no text uses them, so
# they are parsed out into offsets and the snippet goes back as plain text, no markup.
MARK, END = "\ue000", "\ue001"
_SNIPPET_WORDS = 16
_HEADLINE = f"StartSel={MARK}, StopSel={END}, MaxWords={_SNIPPET_WORDS}, MinWords=6"
_BM25_WEIGHTS = {"A": 1.0, "B": 0.4, "C": 0.2}  # ts_rank's default weights, for parity


def _visible_threads(context: Context) -> list[Any]:
    return [visible_threads(context), Thread.deleted_at.is_(None)]


def _visible_messages(context: Context) -> list[Any]:
    threads = select(Thread.id).where(*_visible_threads(context))
    return [Message.organization_id.in_(visible_org_ids(context)), Message.thread_id.in_(threads)]


@dataclass(frozen=True)
class _Target:
    """A searched table: its columns with weights (as the migration indexes them)."""

    model: Any
    columns: tuple[tuple[str, str], ...]
    visible: Callable[[Context], list[Any]]

    @property
    def table(self) -> str:
        return str(self.model.__tablename__)


TARGETS: dict[SearchType, _Target] = {
    SearchType.THREAD: _Target(Thread, (("title", "A"),), _visible_threads),
    SearchType.MESSAGE: _Target(Message, (("content", "A"),), _visible_messages),
    SearchType.AGENT: _Target(
        Agent,
        (("name", "A"), ("description", "B"), ("system_prompt", "C")),
        lambda context: [visible_agents(context)],
    ),
    SearchType.ARCHITECTURE: _Target(
        Architecture,
        (("title", "A"), ("description", "B")),
        lambda context: [Architecture.organization_id.in_(visible_org_ids(context))],
    ),
}


@dataclass(frozen=True)
class Hit:
    type: SearchType
    row: Any
    score: float  # higher is more relevant
    snippet: str | None
    highlights: tuple[tuple[int, int], ...]  # [start, end) character offsets in snippet


@dataclass(frozen=True)
class SearchPage:
    hits: list[Hit]
    cursors: list[str]
    total: int
    has_next_page: bool
    has_previous_page: bool


_TERM = re.compile(r'(-?)"([^"]*)"?|(\S+)')


def fts5_query(query: str) -> str | None:
    """The web-search syntax as an FTS5 expression in which every term is a quoted phrase
    of word characters only, so nothing typed is FTS5 syntax. None when no term is left
    (only punctuation, or only exclusions, which FTS5 cannot start with)."""
    groups: list[tuple[list[str], list[str]]] = [([], [])]
    for match in _TERM.finditer(query):
        negated, text, word = match.groups()
        if word is not None:
            if word.lower() == "or":
                groups.append(([], []))
                continue
            negated, text = ("-" if word.startswith("-") else ""), word
        words = re.findall(r"\w+", text)
        if words:
            groups[-1][1 if negated else 0].append('"' + " ".join(words) + '"')
    alternatives = [
        "(" + " AND ".join(include) + "".join(f" NOT {term}" for term in exclude) + ")"
        for include, exclude in groups
        if include
    ]
    return " OR ".join(alternatives) or None


def highlighted(raw: str | None) -> tuple[str | None, tuple[tuple[int, int], ...]]:
    """A snippet with :data:`MARK`/:data:`END` delimiters as plain text and offsets."""
    if not raw:
        return None, ()
    text: list[str] = []
    spans: list[tuple[int, int]] = []
    length, start = 0, None
    for piece in re.split(f"([{MARK}{END}])", raw):
        if piece == MARK:
            start = length
        elif piece == END:
            if start is not None and length > start:
                spans.append((start, length))
            start = None
        else:
            text.append(piece)
            length += len(piece)
    return "".join(text), tuple(spans)


def pg_document(target: _Target) -> str:
    """The tsvector the migration indexes; it must stay the same expression."""
    cols = [(f"{target.table}.{name}", weight) for name, weight in target.columns]
    if len(cols) == 1:
        return f"(to_tsvector('english', {cols[0][0]}))"
    weighted = [f"setweight(to_tsvector('english', {name}), '{w}')" for name, w in cols]
    return "(" + " || ".join(weighted) + ")"


def _pg_statement(target: _Target, query: str, conditions: list[Any], limit: int) -> Select[Any]:
    english: ColumnElement[Any] = literal_column("'english'")
    tsquery = func.websearch_to_tsquery(english, query)
    document: ColumnElement[Any] = literal_column(pg_document(target))
    names = [f"{target.table}.{name}" for name, _ in target.columns]
    text: ColumnElement[Any] = literal_column(
        names[0] if len(names) == 1 else f"concat_ws(' ', {', '.join(names)})"
    )
    score = func.ts_rank(document, tsquery)
    return (
        select(
            target.model,
            score.label("score"),
            func.ts_headline(english, text, tsquery, _HEADLINE).label("snippet"),
            func.count().over().label("total"),
        )
        .where(document.bool_op("@@")(tsquery), *conditions)
        .order_by(score.desc(), target.model.id)
        .limit(limit)
    )


def _sqlite_statement(
    target: _Target, query: str, conditions: list[Any], limit: int
) -> Select[Any]:
    # FTS5's functions only work where the plan is a MATCH scan, not next to a window
    # function: ``bm25`` runs in a materialized CTE (which also makes SQLite walk the index
    # first, then fetch rows by rowid, instead of probing it for every row of the
    # organization), ``snippet`` in a correlated subquery (run for the rows kept only).
    fts = table(f"{target.table}_fts", column("rowid"))
    name: ColumnElement[Any] = literal_column(fts.name)
    weights = [_BM25_WEIGHTS[weight] for _, weight in target.columns]
    hits = (
        select(fts.c.rowid, func.bm25(name, *weights).label("bm25"))
        .where(name.op("MATCH")(query))
        .cte("hits")
        .prefix_with("MATERIALIZED")
    )
    snippet = (
        select(func.snippet(name, -1, MARK, END, "...", _SNIPPET_WORDS))
        .where(name.op("MATCH")(query), fts.c.rowid == hits.c.rowid)
        .scalar_subquery()
    )
    return (
        select(
            target.model,
            (-hits.c.bm25).label("score"),
            snippet.label("snippet"),
            func.count().over().label("total"),
        )
        .join(hits, hits.c.rowid == literal_column(f"{target.table}.rowid"))
        .where(*conditions)
        .order_by(hits.c.bm25, target.model.id)
        .limit(limit)
    )


@dataclass(frozen=True)
class _Window:
    """The positions a page covers: ``start`` from ``after``, ``stop`` from ``before``."""

    start: int
    stop: int | None
    size: int
    backwards: bool

    @classmethod
    def of(
        cls, first: int | None, after: str | None, last: int | None, before: str | None
    ) -> _Window:
        args = ConnectionArgs.of(first, after, last)  # checks sizes, reads offset cursors
        if args.after is not None:  # a row cursor of some other connection
            raise BadUserInput(f"Invalid cursor: {after!r}")
        # ``before`` is a position too; the project's decoder reads it as an ``after``.
        stop = ConnectionArgs.of(after=before).after_position if before is not None else None
        if before is not None and stop is None:
            raise BadUserInput(f"Invalid cursor: {before!r}")
        backwards = last is not None or (first is None and after is None and stop is not None)
        return cls(args.skip, stop, args.limit, backwards)

    @property
    def depth(self) -> int:
        """How many of the best matches the page needs to be known exactly."""
        if self.backwards:
            return min(self.stop if self.stop is not None else MAX_RESULTS, MAX_RESULTS)
        end = self.start + self.size
        return min(end if self.stop is None else min(end, self.stop), MAX_RESULTS)

    def page(self, ranked: list[Hit], total: int) -> SearchPage:
        end = self.depth
        if self.backwards and self.stop is None:
            end = min(len(ranked), MAX_RESULTS)
        begin = max(self.start, end - self.size) if self.backwards else self.start
        hits = ranked[begin:end]
        return SearchPage(
            hits=hits,
            cursors=[encode_offset_cursor(begin + i) for i in range(len(hits))],
            total=total,
            has_next_page=len(ranked) > end and end < MAX_RESULTS,
            has_previous_page=begin > 0,
        )


def _checked(query: str) -> str:
    text = query.replace("\x00", " ").strip()  # PostgreSQL text cannot hold NUL
    if not text:
        raise BadUserInput("`query` must not be empty", details={"argument": "query"})
    if len(text) > MAX_QUERY_LENGTH:
        raise BadUserInput(
            f"`query` must be at most {MAX_QUERY_LENGTH} characters",
            details={"argument": "query", "maximum": MAX_QUERY_LENGTH},
        )
    return text


async def search(
    context: Context,
    query: str,
    *,
    types: Sequence[SearchType] | None = None,
    organization_id: str | None = None,
    first: int | None = None,
    after: str | None = None,
    last: int | None = None,
    before: str | None = None,
) -> SearchPage:
    """One page of what the caller may see matching ``query``, most relevant first."""
    text = _checked(query)
    window = _Window.of(first, after, last, before)
    wanted = list(dict.fromkeys(types)) if types is not None else list(SearchType)
    ranked: list[Hit] = []
    total = 0
    async with context.session() as session:
        sqlite = session.get_bind().dialect.name == "sqlite"
        match = fts5_query(text) if sqlite else text
        statement = _sqlite_statement if sqlite else _pg_statement
        for kind in wanted:
            if match is None:  # nothing searchable was typed (SQLite only)
                break
            target = TARGETS[kind]
            conditions = target.visible(context)
            if organization_id is not None:
                conditions.append(target.model.organization_id == organization_id)
            stmt = statement(target, match, conditions, window.depth + 1)
            rows = (await session.execute(stmt)).all()
            total += int(rows[0].total) if rows else 0
            ranked.extend(
                Hit(kind, row, float(score), *highlighted(snippet))
                for row, score, snippet, _ in rows
            )
    ranked.sort(key=lambda hit: (-hit.score, hit.row.id))
    return window.page(ranked, total)
