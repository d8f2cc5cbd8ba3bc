"""Recording domain events: numbered per topic, stored with the change, sent after commit.

``record_event`` runs inside the request's transaction. The per-topic counter is an
upsert whose row lock is held until commit, so two transactions writing to one topic
commit their events in sequence order and a reader never sees ``n+1`` before ``n``.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from atrium.core.db import dialect_insert
from atrium.core.pubsub import Event
from atrium.models.events import EventRecord, TopicSequence


async def next_sequence(session: AsyncSession, topic: str) -> int:
    upsert = dialect_insert(session.bind.dialect.name if session.bind else "sqlite")
    stmt = (
        upsert(TopicSequence)
        .values(topic=topic, value=1)
        .on_conflict_do_update(
            index_elements=[TopicSequence.topic], set_={"value": TopicSequence.value + 1}
        )
        .returning(TopicSequence.value)
    )
    return int((await session.execute(stmt)).scalar_one())


async def record_event(
    session: AsyncSession,
    *,
    topic: str,
    type: str,
    payload: dict[str, Any],
    organization_id: str | None,
    actor_id: str | None,
) -> Event:
    """Store one event on ``topic`` in the current transaction and return it."""
    sequence = await next_sequence(session, topic)
    event = Event(
        type=type, topic=topic, payload=payload, sequence=sequence, organization_id=organization_id
    )
    await session.execute(
        insert(EventRecord).values(
            id=event.id,
            topic=topic,
            sequence=sequence,
            type=type,
            organization_id=organization_id,
            actor_id=actor_id,
            payload=payload,
            created_at=event.occurred_at,
        )
    )
    return event


def event_from_record(record: EventRecord) -> Event:
    return Event(
        id=record.id,
        type=record.type,
        topic=record.topic,
        sequence=record.sequence,
        organization_id=record.organization_id,
        payload=record.payload,
        occurred_at=record.created_at,
    )
