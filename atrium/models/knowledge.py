"""Knowledge bases (Archestra): documents, their indexed chunks, connectors, agent links.

A document's text is split into chunks (``atrium.engines.knowledge.chunking``); the
chunks are what full-text search indexes (the ``0017`` migration: FTS5 on SQLite, a GIN
tsvector index on PostgreSQL) and what a search answers with, each citing its document.
A connector re-reads a folder or a repository on a cron schedule; documents are keyed by
their path there and re-chunked only when their content hash changes.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from atrium.models.base import Base, created_at_column, id_column, updated_at_column
from atrium.models.identity import enum_column


class DocumentSource(StrEnum):
    UPLOAD = "UPLOAD"
    CONNECTOR = "CONNECTOR"


class DocumentFormat(StrEnum):
    TEXT = "TEXT"
    MARKDOWN = "MARKDOWN"


class ConnectorKind(StrEnum):
    FOLDER = "FOLDER"  # a folder on the server (local paths: as local repositories)
    REPOSITORY = "REPOSITORY"  # a registered repository's working copy


class ConnectorStatus(StrEnum):
    IDLE = "IDLE"
    SYNCING = "SYNCING"
    ERROR = "ERROR"


def _org() -> Mapped[str]:
    return mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), index=True)


def _base() -> Mapped[str]:
    return mapped_column(ForeignKey("knowledge_bases.id", ondelete="CASCADE"), index=True)


class KnowledgeBase(Base):
    __tablename__ = "knowledge_bases"
    __table_args__ = (UniqueConstraint("organization_id", "name"),)

    id: Mapped[str] = id_column("kb")
    organization_id: Mapped[str] = _org()
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()


class KnowledgeDocument(Base):
    __tablename__ = "knowledge_documents"
    __table_args__ = (UniqueConstraint("knowledge_base_id", "path"),)

    id: Mapped[str] = id_column("kdoc")
    organization_id: Mapped[str] = _org()
    knowledge_base_id: Mapped[str] = _base()
    connector_id: Mapped[str | None] = mapped_column(
        ForeignKey("knowledge_connectors.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(500))
    path: Mapped[str] = mapped_column(String(1000))  # unique per base: upload name or file path
    source: Mapped[DocumentSource] = enum_column(DocumentSource)  # type: ignore[assignment]
    format: Mapped[DocumentFormat] = enum_column(DocumentFormat)  # type: ignore[assignment]
    content_hash: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    chunk_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()


class KnowledgeChunk(Base):
    """A passage of a document; ``heading`` and ``text`` are what search indexes."""

    __tablename__ = "knowledge_chunks"

    id: Mapped[str] = id_column("kch")
    organization_id: Mapped[str] = _org()
    knowledge_base_id: Mapped[str] = _base()
    document_id: Mapped[str] = mapped_column(
        ForeignKey("knowledge_documents.id", ondelete="CASCADE"), index=True
    )
    ordinal: Mapped[int] = mapped_column(Integer)
    heading: Mapped[str] = mapped_column(Text, default="")
    text: Mapped[str] = mapped_column(Text)


class KnowledgeConnector(Base):
    __tablename__ = "knowledge_connectors"

    id: Mapped[str] = id_column("kcon")
    organization_id: Mapped[str] = _org()
    knowledge_base_id: Mapped[str] = _base()
    kind: Mapped[ConnectorKind] = enum_column(ConnectorKind)  # type: ignore[assignment]
    path: Mapped[str | None] = mapped_column(String(2000))
    repository_id: Mapped[str | None] = mapped_column(
        ForeignKey("repositories.id", ondelete="CASCADE"), index=True
    )
    patterns: Mapped[str] = mapped_column(String(500), default="**/*.md,**/*.txt")
    schedule: Mapped[str | None] = mapped_column(String(100))  # cron, UTC
    status: Mapped[ConnectorStatus] = enum_column(ConnectorStatus, default=ConnectorStatus.IDLE)  # type: ignore[assignment]
    error: Mapped[str | None] = mapped_column(Text)
    next_sync_at: Mapped[datetime | None] = mapped_column(index=True)
    last_synced_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = created_at_column()


class AgentKnowledgeBase(Base):
    """An agent answers with the top passages of these bases as cited context."""

    __tablename__ = "agent_knowledge_bases"
    __table_args__ = (UniqueConstraint("agent_id", "knowledge_base_id"),)

    id: Mapped[str] = id_column("akb")
    organization_id: Mapped[str] = _org()
    agent_id: Mapped[str] = mapped_column(ForeignKey("agents.id", ondelete="CASCADE"), index=True)
    knowledge_base_id: Mapped[str] = _base()
    created_at: Mapped[datetime] = created_at_column()
