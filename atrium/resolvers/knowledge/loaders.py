"""Batch functions for knowledge bases: documents and connectors of many bases at once."""

from __future__ import annotations

from sqlalchemy import select

from atrium.core.context import Context
from atrium.models.knowledge import KnowledgeConnector, KnowledgeDocument
from atrium.resolvers.loading import child_counts, child_pages

documents_by_base = child_pages(KnowledgeDocument, KnowledgeDocument.knowledge_base_id)
document_counts = child_counts(KnowledgeDocument, KnowledgeDocument.knowledge_base_id)


async def connectors_by_base(context: Context, keys: list[str]) -> list[list[KnowledgeConnector]]:
    """Each base's connectors, oldest first (callers only reach bases they can see)."""
    found: dict[str, list[KnowledgeConnector]] = {key: [] for key in keys}
    stmt = select(KnowledgeConnector).where(KnowledgeConnector.knowledge_base_id.in_(keys))
    async with context.session() as session:
        for row in (await session.scalars(stmt.order_by(KnowledgeConnector.id))).all():
            found[row.knowledge_base_id].append(row)
    return [found[key] for key in keys]
