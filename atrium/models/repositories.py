"""Repositories (Archon codebases, Octokraft repos) and their worktree environments.

A repository is registered by URL (Atrium clones it into its data directory) or by a
local path (used in place, never modified). Environments are git worktrees Atrium
creates for a thread or a workflow run and removes when done; Atrium deletes only
what it created.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from atrium.models.base import Base, created_at_column, id_column, updated_at_column
from atrium.models.identity import enum_column


class RepositoryStatus(StrEnum):
    PENDING = "PENDING"  # registered, first sync queued
    SYNCING = "SYNCING"
    READY = "READY"
    FAILED = "FAILED"


class EnvironmentStatus(StrEnum):
    ACTIVE = "ACTIVE"
    REMOVED = "REMOVED"


class Repository(Base):
    __tablename__ = "repositories"
    __table_args__ = (UniqueConstraint("organization_id", "name"),)

    id: Mapped[str] = id_column("repo")
    organization_id: Mapped[str] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    url: Mapped[str | None] = mapped_column(String(2000))  # cloned from here
    local_path: Mapped[str | None] = mapped_column(String(2000))  # or used in place
    clone_path: Mapped[str | None] = mapped_column(String(2000))  # Atrium's own copy
    default_branch: Mapped[str | None] = mapped_column(String(255))
    last_synced_commit: Mapped[str | None] = mapped_column(String(64))
    last_synced_at: Mapped[datetime | None]
    status: Mapped[RepositoryStatus] = enum_column(
        RepositoryStatus, default=RepositoryStatus.PENDING
    )  # type: ignore[assignment]
    error: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()

    @property
    def work_path(self) -> str | None:
        """Where the code is read: Atrium's clone, or the registered local path."""
        return self.clone_path or self.local_path


class Environment(Base):
    """A git worktree of a repository, for a thread or a workflow run."""

    __tablename__ = "environments"

    id: Mapped[str] = id_column("env")
    organization_id: Mapped[str] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    repository_id: Mapped[str] = mapped_column(
        ForeignKey("repositories.id", ondelete="CASCADE"), index=True
    )
    owner_id: Mapped[str | None] = mapped_column(String(40))  # a thread or workflow run
    branch: Mapped[str] = mapped_column(String(255))
    base_commit: Mapped[str] = mapped_column(String(64))
    path: Mapped[str] = mapped_column(String(2000))
    status: Mapped[EnvironmentStatus] = enum_column(
        EnvironmentStatus, default=EnvironmentStatus.ACTIVE
    )  # type: ignore[assignment]
    created_at: Mapped[datetime] = created_at_column()
    removed_at: Mapped[datetime | None]
