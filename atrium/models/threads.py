"""Threads and messages (ArchAstro threads, Archon conversations) and model usage.

A thread belongs to a user or to a team (exactly one). A user message in a thread with
an agent gets a reply state: replies run one at a time per thread, oldest first, so a
message's place in the queue is the number of unanswered messages before it.
``Thread.replying`` says a reply job is already working through the queue.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from atrium.models.base import Base, created_at_column, id_column, updated_at_column
from atrium.models.identity import enum_column


class MessageRole(StrEnum):
    USER = "USER"
    ASSISTANT = "ASSISTANT"
    SYSTEM = "SYSTEM"
    TOOL = "TOOL"


class MessageStatus(StrEnum):
    COMPLETED = "COMPLETED"
    STREAMING = "STREAMING"  # an assistant reply being written
    FAILED = "FAILED"


class ReplyState(StrEnum):
    """Where a user message stands in its thread's reply queue."""

    QUEUED = "QUEUED"
    RUNNING = "RUNNING"
    ANSWERED = "ANSWERED"
    FAILED = "FAILED"


class Thread(Base):
    __tablename__ = "threads"
    __table_args__ = (
        CheckConstraint("(owner_user_id IS NULL) <> (owner_team_id IS NULL)", name="one_owner"),
    )

    id: Mapped[str] = id_column("thr")
    organization_id: Mapped[str] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    owner_user_id: Mapped[str | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    owner_team_id: Mapped[str | None] = mapped_column(
        ForeignKey("teams.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(300), default="")
    agent_id: Mapped[str | None] = mapped_column(ForeignKey("agents.id", ondelete="SET NULL"))
    repository_id: Mapped[str | None] = mapped_column(String(40))
    created_by_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    replying: Mapped[bool] = mapped_column(Boolean, default=False)
    last_message_at: Mapped[datetime | None]
    deleted_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()


class Message(Base):
    __tablename__ = "messages"
    __table_args__ = (
        UniqueConstraint("thread_id", "idempotency_key"),
        Index("ix_messages_thread_reply", "thread_id", "reply_state"),
    )

    id: Mapped[str] = id_column("msg")
    organization_id: Mapped[str] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    thread_id: Mapped[str] = mapped_column(ForeignKey("threads.id", ondelete="CASCADE"), index=True)
    role: Mapped[MessageRole] = enum_column(MessageRole)  # type: ignore[assignment]
    content: Mapped[str] = mapped_column(Text, default="")
    parts: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    status: Mapped[MessageStatus] = enum_column(MessageStatus, default=MessageStatus.COMPLETED)  # type: ignore[assignment]
    author_user_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    author_agent_id: Mapped[str | None] = mapped_column(
        ForeignKey("agents.id", ondelete="SET NULL")
    )
    idempotency_key: Mapped[str | None] = mapped_column(String(200))
    reply_state: Mapped[ReplyState | None] = enum_column(ReplyState, nullable=True)  # type: ignore[assignment]
    reply_to_id: Mapped[str | None] = mapped_column(String(40))
    model: Mapped[str | None] = mapped_column(String(200))
    input_tokens: Mapped[int | None] = mapped_column(Integer)
    output_tokens: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = created_at_column()
    completed_at: Mapped[datetime | None]


class ModelUsage(Base):
    """Tokens spent on one model call: agent replies now, LLM proxy traffic later."""

    __tablename__ = "model_usage"

    id: Mapped[str] = id_column("use")
    organization_id: Mapped[str] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    agent_id: Mapped[str | None] = mapped_column(ForeignKey("agents.id", ondelete="SET NULL"))
    user_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    team_id: Mapped[str | None] = mapped_column(ForeignKey("teams.id", ondelete="SET NULL"))
    thread_id: Mapped[str | None] = mapped_column(ForeignKey("threads.id", ondelete="SET NULL"))
    message_id: Mapped[str | None] = mapped_column(String(40))
    model: Mapped[str] = mapped_column(String(200))
    input_tokens: Mapped[int] = mapped_column(Integer, default=0)
    output_tokens: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = created_at_column()
