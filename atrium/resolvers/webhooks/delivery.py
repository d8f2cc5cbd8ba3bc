"""Turning events into webhook deliveries and delivering them as durable jobs."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from atrium.core.context import Context
from atrium.core.jobs import JobContext, PermanentJobError, job_handler
from atrium.core.pubsub import Event
from atrium.models.webhooks import DeliveryStatus, WebhookDelivery, WebhookEndpoint
from atrium.resolvers.webhooks.signing import SIGNATURE_HEADER, sign

DELIVER_JOB = "webhook.deliver"
MAX_ATTEMPTS = 8  # with 1 s doubling backoff: retries over ~4 minutes by default
TIMEOUT_SECONDS = 10.0
USER_AGENT = "Atrium-Webhooks/1"


def event_body(event: Event) -> dict[str, Any]:
    """What receivers get: the event, in the seeds' snake_case."""
    return {
        "id": event.id,
        "type": event.type,
        "created_at": event.occurred_at.isoformat(),
        "organization_id": event.organization_id,
        "sequence": event.sequence,
        "data": event.payload,
    }


def wants(endpoint: WebhookEndpoint, event_type: str) -> bool:
    return (
        not endpoint.event_types
        or "*" in endpoint.event_types
        or event_type in endpoint.event_types
    )


async def queue_delivery(
    context: Context,
    session: AsyncSession,
    endpoint: WebhookEndpoint,
    event_id: str,
    event_type: str,
    body: dict[str, Any],
    redelivery_of: str | None = None,
) -> WebhookDelivery:
    delivery = WebhookDelivery(
        organization_id=endpoint.organization_id,
        endpoint_id=endpoint.id,
        event_id=event_id,
        event_type=event_type,
        body=body,
        redelivery_of_id=redelivery_of,
    )
    session.add(delivery)
    await session.flush()
    await context.enqueue(
        session,
        DELIVER_JOB,
        {"delivery_id": delivery.id},
        organization_id=endpoint.organization_id,
        max_attempts=MAX_ATTEMPTS,
    )
    return delivery


async def on_event(context: Context, session: AsyncSession, event: Event) -> None:
    """Event hook: an organization's events become deliveries to its active endpoints.

    Runs inside the transaction that records the event, so deliveries exist exactly
    when the change does.
    """
    if event.organization_id is None or not event.topic.startswith("org:"):
        return
    endpoints = (
        await session.scalars(
            select(WebhookEndpoint).where(
                WebhookEndpoint.organization_id == event.organization_id,
                WebhookEndpoint.active.is_(True),
            )
        )
    ).all()
    for endpoint in endpoints:
        if wants(endpoint, event.type):
            await queue_delivery(
                context, session, endpoint, event.id, event.type, event_body(event)
            )


class DeliveryFailed(Exception):
    """The receiver did not answer 2xx; the job retries with backoff."""


@job_handler(DELIVER_JOB)
async def deliver(job: JobContext, payload: dict[str, Any]) -> dict[str, Any]:
    async with job.db.sessionmaker() as session:
        delivery = await session.get(WebhookDelivery, payload["delivery_id"])
        if delivery is None:
            raise PermanentJobError("delivery no longer exists")
        endpoint = await session.get(WebhookEndpoint, delivery.endpoint_id)
        if endpoint is None:
            raise PermanentJobError("endpoint no longer exists")
        url, secret, body_data = endpoint.url, endpoint.secret, delivery.body
    body = orjson.dumps(body_data)
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "Atrium-Webhook-Id": payload["delivery_id"],
        "Atrium-Event-Id": str(body_data.get("id", "")),
        "Atrium-Event-Type": str(body_data.get("type", "")),
        SIGNATURE_HEADER: sign(secret, body),
    }
    started = time.perf_counter()
    status: int | None = None
    error: str | None = None
    response_text: str | None = None
    import httpx  # here, not at start-up: with its command line (rich, pygments), 4 MB

    try:
        async with httpx.AsyncClient(timeout=TIMEOUT_SECONDS, follow_redirects=False) as client:
            response = await client.post(url, content=body, headers=headers)
        status, response_text = response.status_code, response.text[:2000]
        if not 200 <= status < 300:
            error = f"receiver answered {status}"
    except httpx.HTTPError as failure:
        error = f"{type(failure).__name__}: {failure}"[:2000]
    duration_ms = int((time.perf_counter() - started) * 1000)
    succeeded = error is None
    async with job.db.sessionmaker() as session:
        delivery = await session.get(WebhookDelivery, payload["delivery_id"])
        if delivery is not None:
            delivery.attempts = job.attempt
            delivery.response_status = status
            delivery.response_body = response_text
            delivery.last_error = error
            delivery.duration_ms = duration_ms
            if succeeded:
                delivery.status = DeliveryStatus.SUCCEEDED
                delivery.delivered_at = datetime.now(UTC)
            elif job.last_attempt:
                delivery.status = DeliveryStatus.FAILED
            await session.commit()
    if not succeeded:
        raise DeliveryFailed(error)
    return {"status": status, "duration_ms": duration_ms}
