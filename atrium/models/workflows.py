"""Workflows (Archon) and routines (ArchAstro): definitions, runs, node states, firings.

A run keeps a snapshot of the definition it started with, so editing or deleting a
workflow never changes a run in flight. Each node's state is its own row: the engine
(``atrium.engines.workflows``) plans from these rows, and conditional updates on them
(``WHERE status = …``) are what keep two workers from running one node. The run's
history is the event log's ``workflow_run:{id}`` topic (``atrium.core.events``).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from atrium.models.base import Base, created_at_column, id_column, updated_at_column
from atrium.models.identity import enum_column


class RunStatus(StrEnum):
    PENDING = "PENDING"
    RUNNING = "RUNNING"
    PAUSED = "PAUSED"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"


TERMINAL_RUN_STATUSES = frozenset({RunStatus.COMPLETED, RunStatus.FAILED, RunStatus.CANCELLED})


class WorkflowSource(StrEnum):
    BUNDLED = "BUNDLED"  # shipped with Atrium, read-only
    ORGANIZATION = "ORGANIZATION"  # saved by the organization ("project" in Archon)


def _org() -> Mapped[str]:
    return mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), index=True)


class Workflow(Base):
    """An organization's saved definition; bundled ones live in the package as YAML."""

    __tablename__ = "workflows"
    __table_args__ = (UniqueConstraint("organization_id", "name"),)

    id: Mapped[str] = id_column("wfl")
    organization_id: Mapped[str] = _org()
    name: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(Text, default="")
    definition: Mapped[dict[str, Any]] = mapped_column(JSON)
    source_yaml: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()


class WorkflowCommand(Base):
    """A named prompt template (Archon's commands), used by ``command`` nodes."""

    __tablename__ = "workflow_commands"
    __table_args__ = (UniqueConstraint("organization_id", "name"),)

    id: Mapped[str] = id_column("cmd")
    organization_id: Mapped[str] = _org()
    name: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(Text, default="")
    template: Mapped[str] = mapped_column(Text)
    created_by_id: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()


class WorkflowRun(Base):
    __tablename__ = "workflow_runs"
    __table_args__ = (Index("ix_workflow_runs_org_created", "organization_id", "created_at"),)

    id: Mapped[str] = id_column("run")
    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    workflow_name: Mapped[str] = mapped_column(String(100), index=True)
    source: Mapped[WorkflowSource] = enum_column(WorkflowSource)  # type: ignore[assignment]
    definition: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[RunStatus] = enum_column(RunStatus, default=RunStatus.PENDING)  # type: ignore[assignment]
    message: Mapped[str] = mapped_column(Text, default="")
    inputs: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    thread_id: Mapped[str | None] = mapped_column(
        ForeignKey("threads.id", ondelete="SET NULL"), index=True
    )
    repository_id: Mapped[str | None] = mapped_column(
        ForeignKey("repositories.id", ondelete="SET NULL"), index=True
    )
    environment_id: Mapped[str | None] = mapped_column(String(40))
    routine_id: Mapped[str | None] = mapped_column(String(40), index=True)
    started_by_id: Mapped[str | None] = mapped_column(String(40))
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]


class WorkflowNodeRun(Base):
    """One node of one run: its status (the engine's ``NodeStatus``), output and attempts."""

    __tablename__ = "workflow_node_runs"
    __table_args__ = (UniqueConstraint("run_id", "node_id"),)

    id: Mapped[str] = id_column("wnr")
    run_id: Mapped[str] = mapped_column(ForeignKey("workflow_runs.id", ondelete="CASCADE"))
    node_id: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), default="pending")  # engine NodeStatus
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    iteration: Mapped[int] = mapped_column(Integer, default=0)
    rework_count: Mapped[int] = mapped_column(Integer, default=0)
    rework_reason: Mapped[str | None] = mapped_column(Text)
    lease: Mapped[str | None] = mapped_column(String(60))  # "job id:attempt" running it
    output: Mapped[Any] = mapped_column(JSON, nullable=True)
    output_text: Mapped[str | None] = mapped_column(Text)
    error: Mapped[str | None] = mapped_column(Text)
    skip_reason: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = updated_at_column()


class RoutineTrigger(StrEnum):
    SCHEDULE = "SCHEDULE"  # a cron expression
    EVENT = "EVENT"  # an event type, e.g. thread.created


class RoutineAction(StrEnum):
    AGENT_PROMPT = "AGENT_PROMPT"  # a new thread with the routine's agent and prompt
    WORKFLOW = "WORKFLOW"  # a workflow run


class RoutineStatus(StrEnum):
    ACTIVE = "ACTIVE"
    PAUSED = "PAUSED"


class Routine(Base):
    __tablename__ = "routines"

    id: Mapped[str] = id_column("rtn")
    organization_id: Mapped[str] = _org()
    agent_id: Mapped[str | None] = mapped_column(
        ForeignKey("agents.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    trigger: Mapped[RoutineTrigger] = enum_column(RoutineTrigger)  # type: ignore[assignment]
    schedule: Mapped[str | None] = mapped_column(String(100))
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    event_type: Mapped[str | None] = mapped_column(String(100), index=True)
    action: Mapped[RoutineAction] = enum_column(RoutineAction)  # type: ignore[assignment]
    prompt: Mapped[str | None] = mapped_column(Text)
    workflow_name: Mapped[str | None] = mapped_column(String(100))
    inputs: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[RoutineStatus] = enum_column(RoutineStatus, default=RoutineStatus.ACTIVE)  # type: ignore[assignment]
    next_run_at: Mapped[datetime | None] = mapped_column(index=True)
    last_fired_at: Mapped[datetime | None]
    created_by_id: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()


class RoutineFiring(Base):
    """One firing; ``slot`` (the schedule time or the event id) is unique per routine, so
    two schedulers racing for the same slot record it once."""

    __tablename__ = "routine_firings"
    __table_args__ = (UniqueConstraint("routine_id", "slot"),)

    id: Mapped[str] = id_column("rtf")
    routine_id: Mapped[str] = mapped_column(
        ForeignKey("routines.id", ondelete="CASCADE"), index=True
    )
    organization_id: Mapped[str] = _org()
    slot: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(20))  # STARTED or FAILED
    run_id: Mapped[str | None] = mapped_column(String(40))
    thread_id: Mapped[str | None] = mapped_column(String(40))
    error: Mapped[str | None] = mapped_column(Text)
    fired_at: Mapped[datetime] = created_at_column()
