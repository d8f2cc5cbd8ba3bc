"""Code health (Octokraft): assessments, their findings, dismissals and drift alerts.

Findings are stored per assessment; what a person decides about a finding (dismissed,
with a reason) is stored per project and fingerprint, so the decision follows the same
issue into later assessments, as threat verdicts do for architectures.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from atrium.models.base import Base, created_at_column, id_column
from atrium.models.identity import enum_column


class AssessmentStatus(StrEnum):
    PENDING = "PENDING"
    RUNNING = "RUNNING"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"


class AssessmentTrigger(StrEnum):
    MANUAL = "MANUAL"
    PUSH = "PUSH"
    SCHEDULED = "SCHEDULED"


def _org() -> Mapped[str]:
    return mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), index=True)


def _project() -> Mapped[str]:
    return mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)


class Assessment(Base):
    __tablename__ = "assessments"
    # One SCHEDULED assessment per schedule slot, however many workers look (NULLs differ).
    __table_args__ = (UniqueConstraint("project_id", "repository_id", "scheduled_for"),)

    id: Mapped[str] = id_column("asm")
    organization_id: Mapped[str] = _org()
    project_id: Mapped[str] = _project()
    repository_id: Mapped[str | None] = mapped_column(
        ForeignKey("repositories.id", ondelete="SET NULL"), index=True
    )
    commit: Mapped[str | None] = mapped_column(String(64))
    ref: Mapped[str | None] = mapped_column(String(255))
    trigger: Mapped[AssessmentTrigger] = enum_column(
        AssessmentTrigger, default=AssessmentTrigger.MANUAL
    )  # type: ignore[assignment]
    status: Mapped[AssessmentStatus] = enum_column(
        AssessmentStatus, default=AssessmentStatus.PENDING
    )  # type: ignore[assignment]
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    overall_score: Mapped[float | None] = mapped_column(Float)
    grade: Mapped[str | None] = mapped_column(String(2))
    lines_of_code: Mapped[int | None] = mapped_column(Integer)
    lines_of_tests: Mapped[int | None] = mapped_column(Integer)
    coverage_estimate: Mapped[float | None] = mapped_column(Float)
    categories: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    summary: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # engine HealthSummary
    analysers: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    analyser_errors: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    error: Mapped[str | None] = mapped_column(Text)
    requested_by_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    scheduled_for: Mapped[datetime | None]  # the schedule slot of a SCHEDULED assessment
    created_at: Mapped[datetime] = created_at_column()
    started_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]


class Finding(Base):
    __tablename__ = "findings"
    __table_args__ = (Index("ix_findings_project_fingerprint", "project_id", "fingerprint"),)

    id: Mapped[str] = id_column("fnd")
    organization_id: Mapped[str] = _org()
    project_id: Mapped[str] = _project()
    assessment_id: Mapped[str] = mapped_column(
        ForeignKey("assessments.id", ondelete="CASCADE"), index=True
    )
    repository_id: Mapped[str | None] = mapped_column(String(40))
    fingerprint: Mapped[str] = mapped_column(String(64))
    rule: Mapped[str] = mapped_column(String(100))
    category: Mapped[str] = mapped_column(String(40))
    severity: Mapped[str] = mapped_column(String(10))
    path: Mapped[str] = mapped_column(String(1000))
    line: Mapped[int | None] = mapped_column(Integer)
    message: Mapped[str] = mapped_column(Text)
    tool: Mapped[str] = mapped_column(String(40))


class FindingDismissal(Base):
    """Someone dismissed the finding with this fingerprint in this project, and why."""

    __tablename__ = "finding_dismissals"
    __table_args__ = (UniqueConstraint("project_id", "fingerprint"),)

    id: Mapped[str] = id_column("fdis")
    organization_id: Mapped[str] = _org()
    project_id: Mapped[str] = _project()
    fingerprint: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(Text, default="")
    dismissed_by_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = created_at_column()


class DismissRule(Base):
    """Hides matching findings now and in future assessments (every set field must match)."""

    __tablename__ = "dismiss_rules"

    id: Mapped[str] = id_column("drl")
    organization_id: Mapped[str] = _org()
    project_id: Mapped[str] = _project()
    rule: Mapped[str | None] = mapped_column(String(100))
    path_glob: Mapped[str | None] = mapped_column(String(500))
    severity: Mapped[str | None] = mapped_column(String(10))
    reason: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = created_at_column()


class DriftAlert(Base):
    __tablename__ = "drift_alerts"

    id: Mapped[str] = id_column("dft")
    organization_id: Mapped[str] = _org()
    project_id: Mapped[str] = _project()
    assessment_id: Mapped[str] = mapped_column(
        ForeignKey("assessments.id", ondelete="CASCADE"), index=True
    )
    type: Mapped[str] = mapped_column(String(20))
    category: Mapped[str | None] = mapped_column(String(40))
    previous: Mapped[float] = mapped_column(Float)
    current: Mapped[float] = mapped_column(Float)
    change: Mapped[float] = mapped_column(Float)
    dismissed_at: Mapped[datetime | None]
    dismissed_by_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = created_at_column()


class PullRequestAnalysis(Base):
    """A pull request's health impact: its head assessed against its base."""

    __tablename__ = "pull_request_analyses"

    id: Mapped[str] = id_column("pra")
    organization_id: Mapped[str] = _org()
    project_id: Mapped[str] = _project()
    repository_id: Mapped[str | None] = mapped_column(
        ForeignKey("repositories.id", ondelete="SET NULL"), index=True
    )
    number: Mapped[int | None] = mapped_column(Integer)
    base_ref: Mapped[str] = mapped_column(String(255))
    head_ref: Mapped[str] = mapped_column(String(255))
    base_commit: Mapped[str | None] = mapped_column(String(64))
    head_commit: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[AssessmentStatus] = enum_column(
        AssessmentStatus, default=AssessmentStatus.PENDING
    )  # type: ignore[assignment]
    risk: Mapped[str | None] = mapped_column(String(10))
    readiness: Mapped[str | None] = mapped_column(String(20))
    health_impact: Mapped[float | None] = mapped_column(Float)
    projected_score: Mapped[float | None] = mapped_column(Float)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # engine PullRequestImpact
    error: Mapped[str | None] = mapped_column(Text)
    requested_by_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = created_at_column()
    completed_at: Mapped[datetime | None]


class ConventionStatus(StrEnum):
    DETECTED = "DETECTED"
    CONFIRMED = "CONFIRMED"
    DISMISSED = "DISMISSED"


class ArchitectureReview(Base):
    """The code's architecture at a commit: import-graph overview and what it flags."""

    __tablename__ = "architecture_reviews"

    id: Mapped[str] = id_column("arev")
    organization_id: Mapped[str] = _org()
    project_id: Mapped[str] = _project()
    repository_id: Mapped[str | None] = mapped_column(
        ForeignKey("repositories.id", ondelete="SET NULL")
    )
    commit: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[AssessmentStatus] = enum_column(
        AssessmentStatus, default=AssessmentStatus.PENDING
    )  # type: ignore[assignment]
    overview: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    issues: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = created_at_column()
    completed_at: Mapped[datetime | None]


class Convention(Base):
    """A convention detected in a project's code, which a person confirms or dismisses."""

    __tablename__ = "conventions"
    __table_args__ = (UniqueConstraint("project_id", "key"),)

    id: Mapped[str] = id_column("conv")
    organization_id: Mapped[str] = _org()
    project_id: Mapped[str] = _project()
    key: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(30))
    description: Mapped[str] = mapped_column(Text)
    adherence: Mapped[float] = mapped_column(Float)
    examples: Mapped[list[str]] = mapped_column(JSON, default=list)
    status: Mapped[ConventionStatus] = enum_column(
        ConventionStatus, default=ConventionStatus.DETECTED
    )  # type: ignore[assignment]
    updated_at: Mapped[datetime] = created_at_column()
