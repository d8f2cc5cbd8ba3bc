"""Architectures (Architecto): designs, their immutable versions, analyses, documents, sharing.

The current design lives on ``Architecture.spec`` (the engines' ``ArchitectureSpec`` as
JSON) and every change also writes an ``ArchitectureVersion`` row that is never updated,
so history, diffs and restores read exactly what was saved. ``Architecture.version`` is
the number of the latest version: the optimistic-concurrency token updates must carry.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from atrium.models.base import Base, created_at_column, id_column, updated_at_column
from atrium.models.identity import enum_column


class AnalysisKind(StrEnum):
    COST = "COST"
    SCALABILITY = "SCALABILITY"
    THREATS = "THREATS"


class AnalysisStatus(StrEnum):
    PENDING = "PENDING"
    RUNNING = "RUNNING"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"


class ThreatStatus(StrEnum):
    OPEN = "OPEN"
    MITIGATED = "MITIGATED"
    ACCEPTED = "ACCEPTED"


class DocumentKind(StrEnum):
    RFC = "RFC"
    ADR = "ADR"
    RUNBOOK = "RUNBOOK"


class AdrStatus(StrEnum):
    PROPOSED = "PROPOSED"
    ACCEPTED = "ACCEPTED"
    DEPRECATED = "DEPRECATED"
    SUPERSEDED = "SUPERSEDED"


class SharePermission(StrEnum):
    VIEW = "VIEW"
    COMMENT = "COMMENT"


def _org_column() -> Mapped[str]:
    return mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), index=True)


def _architecture_column() -> Mapped[str]:
    return mapped_column(ForeignKey("architectures.id", ondelete="CASCADE"), index=True)


def _user_column() -> Mapped[str | None]:
    return mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class Architecture(Base):
    __tablename__ = "architectures"

    id: Mapped[str] = id_column("arch")
    organization_id: Mapped[str] = _org_column()
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    cloud_provider: Mapped[str] = mapped_column(String(16))
    region: Mapped[str] = mapped_column(String(40))
    spec: Mapped[dict[str, Any]] = mapped_column(JSON)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_by_id: Mapped[str | None] = _user_column()
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()


class ArchitectureVersion(Base):
    __tablename__ = "architecture_versions"
    __table_args__ = (UniqueConstraint("architecture_id", "number"),)

    id: Mapped[str] = id_column("arv")
    organization_id: Mapped[str] = _org_column()
    architecture_id: Mapped[str] = _architecture_column()
    number: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    spec: Mapped[dict[str, Any]] = mapped_column(JSON)
    summary: Mapped[str] = mapped_column(Text, default="")
    author_id: Mapped[str | None] = _user_column()
    created_at: Mapped[datetime] = created_at_column()


class Analysis(Base):
    __tablename__ = "architecture_analyses"

    id: Mapped[str] = id_column("analysis")
    organization_id: Mapped[str] = _org_column()
    architecture_id: Mapped[str] = _architecture_column()
    version: Mapped[int] = mapped_column(Integer)
    kind: Mapped[AnalysisKind] = enum_column(AnalysisKind)  # type: ignore[assignment]
    status: Mapped[AnalysisStatus] = enum_column(AnalysisStatus, default=AnalysisStatus.PENDING)  # type: ignore[assignment]
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    parameters: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(Text)
    requested_by_id: Mapped[str | None] = _user_column()
    created_at: Mapped[datetime] = created_at_column()
    started_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]


class ThreatDecision(Base):
    """A person's verdict on one threat, keyed by its fingerprint so re-analysis keeps it."""

    __tablename__ = "threat_decisions"
    __table_args__ = (UniqueConstraint("architecture_id", "threat_id"),)

    id: Mapped[str] = id_column("thd")
    organization_id: Mapped[str] = _org_column()
    architecture_id: Mapped[str] = _architecture_column()
    threat_id: Mapped[str] = mapped_column(String(64))
    status: Mapped[ThreatStatus] = enum_column(ThreatStatus)  # type: ignore[assignment]
    note: Mapped[str] = mapped_column(Text, default="")
    decided_by_id: Mapped[str | None] = _user_column()
    updated_at: Mapped[datetime] = updated_at_column()


class Document(Base):
    __tablename__ = "architecture_documents"

    id: Mapped[str] = id_column("doc")
    organization_id: Mapped[str] = _org_column()
    architecture_id: Mapped[str] = _architecture_column()
    version: Mapped[int] = mapped_column(Integer)
    kind: Mapped[DocumentKind] = enum_column(DocumentKind)  # type: ignore[assignment]
    title: Mapped[str] = mapped_column(String(300))
    markdown: Mapped[str] = mapped_column(Text)
    mermaid: Mapped[str] = mapped_column(Text)
    created_by_id: Mapped[str | None] = _user_column()
    created_at: Mapped[datetime] = created_at_column()


class Adr(Base):
    """An architecture decision record: one type for architectures and code-health projects."""

    __tablename__ = "adrs"

    id: Mapped[str] = id_column("adr")
    organization_id: Mapped[str] = _org_column()
    architecture_id: Mapped[str | None] = mapped_column(
        ForeignKey("architectures.id", ondelete="CASCADE"), index=True
    )
    document_id: Mapped[str | None] = mapped_column(
        ForeignKey("architecture_documents.id", ondelete="SET NULL")
    )
    project_id: Mapped[str | None] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(300))
    status: Mapped[AdrStatus] = enum_column(AdrStatus, default=AdrStatus.PROPOSED)  # type: ignore[assignment]
    context: Mapped[str] = mapped_column(Text, default="")
    decision: Mapped[str] = mapped_column(Text, default="")
    consequences: Mapped[str] = mapped_column(Text, default="")
    superseded_by_id: Mapped[str | None] = mapped_column(ForeignKey("adrs.id", ondelete="SET NULL"))
    created_by_id: Mapped[str | None] = _user_column()
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()


class ShareLink(Base):
    """A bearer link to one architecture; only the token's hash is stored."""

    __tablename__ = "share_links"

    id: Mapped[str] = id_column("shr")
    organization_id: Mapped[str] = _org_column()
    architecture_id: Mapped[str] = _architecture_column()
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    token_hint: Mapped[str] = mapped_column(String(16))
    permission: Mapped[SharePermission] = enum_column(SharePermission)  # type: ignore[assignment]
    expires_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]
    created_by_id: Mapped[str | None] = _user_column()
    created_at: Mapped[datetime] = created_at_column()


class Comment(Base):
    __tablename__ = "architecture_comments"

    id: Mapped[str] = id_column("cmt")
    organization_id: Mapped[str] = _org_column()
    architecture_id: Mapped[str] = _architecture_column()
    share_link_id: Mapped[str | None] = mapped_column(
        ForeignKey("share_links.id", ondelete="SET NULL")
    )
    author_id: Mapped[str | None] = _user_column()
    author_name: Mapped[str] = mapped_column(String(100))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = created_at_column()
