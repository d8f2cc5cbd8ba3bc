"""Searching knowledge bases: ranked passages citing their documents; health checks.

Ranking is the full-text engine's own (BM25 on SQLite's FTS5, ``ts_rank`` on
PostgreSQL) over each chunk's heading (weight B) and text (weight A), through the same
statements and query syntax as the graph's ``search`` (``atrium.resolvers.search``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from atrium.core.context import Context
from atrium.models.knowledge import (
    AgentKnowledgeBase,
    ConnectorStatus,
    KnowledgeChunk,
    KnowledgeConnector,
    KnowledgeDocument,
)
from atrium.resolvers.search import (
    _checked,
    _pg_statement,
    _sqlite_statement,
    _Target,
    fts5_query,
    highlighted,
)

CHUNKS = _Target(KnowledgeChunk, (("text", "A"), ("heading", "B")), lambda _: [])
MAX_PASSAGES = 50


@dataclass(frozen=True)
class Passage:
    chunk: KnowledgeChunk
    document: KnowledgeDocument
    score: float
    snippet: str | None
    highlights: tuple[tuple[int, int], ...]


async def search_passages(
    session: AsyncSession, base_ids: list[str], query: str, limit: int = 5
) -> list[Passage]:
    """The best ``limit`` passages of these bases for ``query`` (callers check access)."""
    if not base_ids:
        return []
    words = _checked(query)
    sqlite = session.bind.dialect.name == "sqlite" if session.bind else True
    match = fts5_query(words) if sqlite else words
    if match is None:
        return []
    conditions = [KnowledgeChunk.knowledge_base_id.in_(base_ids)]
    limit = max(1, min(limit, MAX_PASSAGES))
    statement = (_sqlite_statement if sqlite else _pg_statement)(CHUNKS, match, conditions, limit)
    rows = (await session.execute(statement)).all()
    documents = {
        d.id: d
        for d in await session.scalars(
            select(KnowledgeDocument).where(
                KnowledgeDocument.id.in_({row[0].document_id for row in rows})
            )
        )
    }
    return [
        Passage(chunk, documents[chunk.document_id], float(score), *highlighted(snippet))
        for chunk, score, snippet, _ in rows
        if chunk.document_id in documents
    ]


async def agent_context(
    context: Context, session: AsyncSession, agent_id: str, question: str, limit: int = 4
) -> str | None:
    """The top passages of the agent's knowledge bases as a cited system message."""
    base_ids = list(
        (
            await session.scalars(
                select(AgentKnowledgeBase.knowledge_base_id).where(
                    AgentKnowledgeBase.agent_id == agent_id
                )
            )
        ).all()
    )
    # any of the question's words (all of them would rarely match a sentence), ranked by
    # the engine: rare words weigh most, so the passage about the topic comes first
    words = list(dict.fromkeys(re.findall(r"\w{3,}", question.lower())))[:16]
    if not base_ids or not words:
        return None
    try:
        passages = await search_passages(session, base_ids, " or ".join(words)[:256], limit)
    except Exception:  # a query the index cannot take must not fail the reply
        return None
    if not passages:
        return None
    lines = [
        "Answer using these passages from the knowledge base when they are relevant, "
        "and cite them by number, e.g. [1]."
    ]
    for number, passage in enumerate(passages, 1):
        where = passage.document.title + (
            f" — {passage.chunk.heading}" if passage.chunk.heading else ""
        )
        lines.append(f"[{number}] {where} ({passage.document.path})\n{passage.chunk.text}")
    return "\n\n".join(lines)


@dataclass(frozen=True)
class HealthReport:
    healthy: bool
    documents: int
    chunks: int
    indexed_chunks: int
    empty_documents: int
    failing_connectors: int
    stale_connectors: int
    problems: list[str]


async def health(session: AsyncSession, base_id: str) -> HealthReport:
    """Is the base searchable and fresh: chunks indexed, connectors syncing on time."""
    documents = int(
        await session.scalar(
            select(func.count()).where(KnowledgeDocument.knowledge_base_id == base_id)
        )
        or 0
    )
    chunks = int(
        await session.scalar(
            select(func.count()).where(KnowledgeChunk.knowledge_base_id == base_id)
        )
        or 0
    )
    empty = int(
        await session.scalar(
            select(func.count()).where(
                KnowledgeDocument.knowledge_base_id == base_id, KnowledgeDocument.chunk_count == 0
            )
        )
        or 0
    )
    sqlite = session.bind.dialect.name == "sqlite" if session.bind else True
    if sqlite:  # rows the FTS5 index holds for this base's chunks
        indexed = int(
            await session.scalar(
                text(
                    "SELECT count(*) FROM knowledge_chunks_fts f JOIN knowledge_chunks c "
                    "ON c.rowid = f.rowid WHERE c.knowledge_base_id = :base"
                ),
                {"base": base_id},
            )
            or 0
        )
    else:
        indexed = chunks  # an expression index covers every row by construction
    connectors = (
        await session.scalars(
            select(KnowledgeConnector).where(KnowledgeConnector.knowledge_base_id == base_id)
        )
    ).all()
    now = datetime.now(UTC)
    failing = [c for c in connectors if c.status is ConnectorStatus.ERROR]
    stale = [
        c
        for c in connectors
        if c.next_sync_at is not None and c.next_sync_at < now - timedelta(hours=1)
    ]
    problems = []
    if indexed != chunks:
        problems.append(f"{chunks - indexed} passages are not in the search index")
    if empty:
        problems.append(f"{empty} documents have no text to search")
    problems += [f"connector {c.id} failed: {c.error}" for c in failing]
    problems += [f"connector {c.id} missed its schedule" for c in stale]
    return HealthReport(
        healthy=not problems,
        documents=documents,
        chunks=chunks,
        indexed_chunks=indexed,
        empty_documents=empty,
        failing_connectors=len(failing),
        stale_connectors=len(stale),
        problems=problems,
    )
