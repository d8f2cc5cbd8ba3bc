"""Code-health projects (Octokraft): members with roles, invitations, linked repositories."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from atrium.models.base import Base, created_at_column, id_column, updated_at_column
from atrium.models.identity import enum_column


class ProjectRole(StrEnum):
    OWNER = "OWNER"
    MEMBER = "MEMBER"


class ProjectInvitationStatus(StrEnum):
    PENDING = "PENDING"
    ACCEPTED = "ACCEPTED"
    REVOKED = "REVOKED"


def _org() -> Mapped[str]:
    return mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), index=True)


def _project() -> Mapped[str]:
    return mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)


class Project(Base):
    __tablename__ = "projects"
    __table_args__ = (UniqueConstraint("organization_id", "key"),)

    id: Mapped[str] = id_column("prj")
    organization_id: Mapped[str] = _org()
    name: Mapped[str] = mapped_column(String(200))
    key: Mapped[str] = mapped_column(String(20))
    description: Mapped[str] = mapped_column(Text, default="")
    settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_by_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()


class ProjectMember(Base):
    __tablename__ = "project_members"
    __table_args__ = (UniqueConstraint("project_id", "user_id"),)

    id: Mapped[str] = id_column("pmem")
    organization_id: Mapped[str] = _org()
    project_id: Mapped[str] = _project()
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[ProjectRole] = enum_column(ProjectRole, default=ProjectRole.MEMBER)  # type: ignore[assignment]
    created_at: Mapped[datetime] = created_at_column()


class ProjectInvitation(Base):
    __tablename__ = "project_invitations"

    id: Mapped[str] = id_column("pinv")
    organization_id: Mapped[str] = _org()
    project_id: Mapped[str] = _project()
    email: Mapped[str] = mapped_column(String(320))
    role: Mapped[ProjectRole] = enum_column(ProjectRole, default=ProjectRole.MEMBER)  # type: ignore[assignment]
    status: Mapped[ProjectInvitationStatus] = enum_column(
        ProjectInvitationStatus, default=ProjectInvitationStatus.PENDING
    )  # type: ignore[assignment]
    invited_by_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = created_at_column()


class ProjectRepository(Base):
    """A repository linked to a project (a repository may serve several projects)."""

    __tablename__ = "project_repositories"
    __table_args__ = (UniqueConstraint("project_id", "repository_id"),)

    id: Mapped[str] = id_column("plnk")
    organization_id: Mapped[str] = _org()
    project_id: Mapped[str] = _project()
    repository_id: Mapped[str] = mapped_column(
        ForeignKey("repositories.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = created_at_column()
