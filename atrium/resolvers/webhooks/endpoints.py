"""Webhook endpoints: register, change, delete, ping, and re-send a delivery."""

from __future__ import annotations

from urllib.parse import urlparse

from sqlalchemy.ext.asyncio import AsyncSession
from ulid import ULID

from atrium.core.context import Context
from atrium.core.errors import UserError, UserErrorCode, UserErrors
from atrium.core.policy import Action
from atrium.core.security import new_secret
from atrium.models.webhooks import WebhookDelivery, WebhookEndpoint
from atrium.resolvers.access import get_for_action, require
from atrium.resolvers.webhooks.delivery import queue_delivery

SECRET_PREFIX = "whsec_"
MAX_EVENT_TYPES = 50


def validate_url(url: str, field: tuple[str, ...] = ("url",)) -> list[UserError]:
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        return [UserError("URL must be an absolute http(s) URL", UserErrorCode.INVALID, field)]
    if len(url) > 2000:
        return [UserError("URL is too long", UserErrorCode.TOO_LONG, field)]
    return []


def validate_event_types(
    types: list[str], field: tuple[str, ...] = ("eventTypes",)
) -> list[UserError]:
    if len(types) > MAX_EVENT_TYPES:
        return [UserError("Too many event types", UserErrorCode.TOO_LONG, field)]
    bad = [t for t in types if not t or len(t) > 100 or " " in t]
    if bad:
        return [UserError(f"Invalid event types: {', '.join(bad)}", UserErrorCode.INVALID, field)]
    return []


async def create_endpoint(
    context: Context,
    session: AsyncSession,
    *,
    organization_id: str,
    url: str,
    event_types: list[str],
    description: str | None,
) -> tuple[WebhookEndpoint, str]:
    require(context, organization_id, Action.WEBHOOK_MANAGE, field=("organizationId",))
    errors = validate_url(url) + validate_event_types(event_types)
    if errors:
        raise UserErrors(errors)
    secret = SECRET_PREFIX + new_secret(24)
    endpoint = WebhookEndpoint(
        organization_id=organization_id,
        url=url,
        event_types=sorted(set(event_types)),
        description=description or "",
        secret=secret,
        created_by_id=context.principal.user_id,
    )
    session.add(endpoint)
    await session.flush()
    return endpoint, secret


async def update_endpoint(
    context: Context,
    session: AsyncSession,
    *,
    endpoint_id: str,
    url: str | None,
    event_types: list[str] | None,
    description: str | None,
    active: bool | None,
) -> WebhookEndpoint:
    endpoint = await get_for_action(
        context, session, WebhookEndpoint, endpoint_id, Action.WEBHOOK_MANAGE
    )
    errors = (validate_url(url) if url is not None else []) + (
        validate_event_types(event_types) if event_types is not None else []
    )
    if errors:
        raise UserErrors(errors)
    if url is not None:
        endpoint.url = url
    if event_types is not None:
        endpoint.event_types = sorted(set(event_types))
    if description is not None:
        endpoint.description = description
    if active is not None:
        endpoint.active = active
    await session.flush()
    return endpoint


async def delete_endpoint(context: Context, session: AsyncSession, endpoint_id: str) -> str:
    endpoint = await get_for_action(
        context, session, WebhookEndpoint, endpoint_id, Action.WEBHOOK_MANAGE
    )
    await session.delete(endpoint)
    await session.flush()
    return endpoint_id


async def ping_endpoint(
    context: Context, session: AsyncSession, endpoint_id: str
) -> WebhookDelivery:
    """Send a ``ping`` event to check an endpoint, whatever its event types."""
    endpoint = await get_for_action(
        context, session, WebhookEndpoint, endpoint_id, Action.WEBHOOK_MANAGE
    )
    event_id = f"evt_{ULID()}"
    body = {
        "id": event_id,
        "type": "ping",
        "organization_id": endpoint.organization_id,
        "data": {"endpoint_id": endpoint.id},
    }
    return await queue_delivery(context, session, endpoint, event_id, "ping", body)


async def redeliver(context: Context, session: AsyncSession, delivery_id: str) -> WebhookDelivery:
    """Send a past delivery's exact body again, as a new delivery."""
    original = await get_for_action(
        context, session, WebhookDelivery, delivery_id, Action.WEBHOOK_MANAGE
    )
    endpoint = await session.get(WebhookEndpoint, original.endpoint_id)
    assert endpoint is not None  # deliveries are deleted with their endpoint
    return await queue_delivery(
        context,
        session,
        endpoint,
        original.event_id,
        original.event_type,
        original.body,
        redelivery_of=original.id,
    )
