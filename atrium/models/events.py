"""The event log: every durable domain event, with a gap-free sequence per topic.

Rows are written in the same transaction as the change they describe (a transactional
outbox), so an event exists if and only if its change committed. Live delivery goes
through the bus after commit; a client that missed some catches up from this table.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from atrium.models.base import Base, created_at_column, id_column


class EventRecord(Base):
    __tablename__ = "events"
    __table_args__ = (UniqueConstraint("topic", "sequence"),)

    id: Mapped[str] = id_column("evt")
    topic: Mapped[str] = mapped_column(String(120))
    sequence: Mapped[int] = mapped_column(Integer)
    type: Mapped[str] = mapped_column(String(100))
    organization_id: Mapped[str | None] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    actor_id: Mapped[str | None] = mapped_column(String(40))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = created_at_column()


class TopicSequence(Base):
    """The last sequence number handed out per topic; its row lock orders writers."""

    __tablename__ = "topic_sequences"

    topic: Mapped[str] = mapped_column(String(120), primary_key=True)
    value: Mapped[int] = mapped_column(Integer, default=0)
