"""Webhook endpoints and their delivery log."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

import strawberry
from strawberry.scalars import JSON

from atrium.core.ids import register_prefix
from atrium.models import webhooks as models
from atrium.resolvers.webhooks import endpoints, loaders
from atrium.schema.common import (
    After,
    AtriumInfo,
    Before,
    Connection,
    First,
    Last,
    Node,
    UserError,
    child_connection,
    run_mutation,
)

strawberry.enum(
    models.DeliveryStatus,
    name="WebhookDeliveryStatus",
    description="PENDING (queued or retrying), SUCCEEDED or FAILED (out of attempts).",
)


@strawberry.type(description="An attempt (with retries) to send one event to one endpoint.")
class WebhookDelivery(Node):
    event_id: strawberry.ID = strawberry.field(description="The event sent.")
    event_type: str = strawberry.field(description="Its type, e.g. `member.added`.")
    status: models.DeliveryStatus = strawberry.field(description="Where the delivery stands.")
    attempts: int = strawberry.field(description="Requests made so far.")
    response_status: int | None = strawberry.field(description="HTTP status of the last attempt.")
    response_body: str | None = strawberry.field(description="First 2,000 characters answered.")
    last_error: str | None = strawberry.field(description="Why the last attempt failed.")
    duration_ms: int | None = strawberry.field(description="Time the last attempt took.")
    delivered_at: datetime | None = strawberry.field(description="When a 2xx was received.")
    created_at: datetime = strawberry.field(description="When the delivery was queued.")
    body: JSON = strawberry.field(description="The JSON body sent (signed as is).")
    redelivery_of_id: strawberry.ID | None = strawberry.field(description="The re-sent delivery.")

    @classmethod
    def from_model(cls, row: models.WebhookDelivery) -> WebhookDelivery:
        return cls(
            id=strawberry.ID(row.id),
            event_id=strawberry.ID(row.event_id),
            event_type=row.event_type,
            status=row.status,
            attempts=row.attempts,
            response_status=row.response_status,
            response_body=row.response_body,
            last_error=row.last_error,
            duration_ms=row.duration_ms,
            delivered_at=row.delivered_at,
            created_at=row.created_at,
            body=cast("JSON", row.body),
            redelivery_of_id=strawberry.ID(row.redelivery_of_id) if row.redelivery_of_id else None,
        )


@strawberry.type(
    description="A URL that receives an organization's events, signed with HMAC-SHA256."
)
class WebhookEndpoint(Node):
    url: str = strawberry.field(description="Where events are POSTed.")
    description: str = strawberry.field(description="What it is for.")
    event_types: list[str] = strawberry.field(description="Event types sent; empty means all.")
    active: bool = strawberry.field(description="Inactive endpoints receive nothing.")
    created_at: datetime = strawberry.field(description="When it was registered.")

    @classmethod
    def from_model(cls, row: models.WebhookEndpoint) -> WebhookEndpoint:
        return cls(
            id=strawberry.ID(row.id),
            url=row.url,
            description=row.description,
            event_types=list(row.event_types),
            active=row.active,
            created_at=row.created_at,
        )

    @strawberry.field(description="Deliveries to this endpoint, newest first.")
    async def deliveries(
        self,
        info: AtriumInfo,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[WebhookDelivery]:
        return await child_connection(
            info,
            self.id,
            loaders.deliveries_by_endpoint,
            loaders.delivery_counts_by_endpoint,
            WebhookDelivery.from_model,
            first,
            after,
            last,
            before,
            descending=True,
        )


async def organization_webhook_endpoints(
    info: AtriumInfo,
    organization_id: str,
    first: int | None,
    after: str | None,
    last: int | None,
    before: str | None,
) -> Connection[WebhookEndpoint]:
    return await child_connection(
        info,
        organization_id,
        loaders.endpoints_by_organization,
        loaders.endpoint_counts_by_organization,
        WebhookEndpoint.from_model,
        first,
        after,
        last,
        before,
    )


@strawberry.input(description="A new webhook endpoint.")
class CreateWebhookEndpointInput:
    organization_id: strawberry.ID = strawberry.field(description="The organization.")
    url: str = strawberry.field(description="http(s) URL receiving POSTs.")
    event_types: list[str] = strawberry.field(
        default_factory=list, description="Types to send; empty for all."
    )
    description: str | None = strawberry.field(default=None, description="What it is for.")


@strawberry.input(description="Changes to an endpoint; omitted fields stay.")
class UpdateWebhookEndpointInput:
    id: strawberry.ID = strawberry.field(description="The endpoint.")
    url: str | None = strawberry.field(default=None, description="New URL.")
    event_types: list[str] | None = strawberry.field(default=None, description="New event types.")
    description: str | None = strawberry.field(default=None, description="New description.")
    active: bool | None = strawberry.field(default=None, description="Pause or resume.")


@strawberry.input(description="An endpoint or delivery, by ID.")
class WebhookTargetInput:
    id: strawberry.ID = strawberry.field(description="Its ID.")


@strawberry.type(description="Result of creating an endpoint.")
class CreateWebhookEndpointPayload:
    webhook_endpoint: WebhookEndpoint | None = strawberry.field(description="The endpoint.")
    secret: str | None = strawberry.field(description="Signing secret (`whsec_…`), shown only now.")
    user_errors: list[UserError] = strawberry.field(description="Why it failed, if it did.")


@strawberry.type(description="Result of changing or deleting an endpoint.")
class WebhookEndpointPayload:
    webhook_endpoint: WebhookEndpoint | None = strawberry.field(description="The endpoint.")
    deleted_id: strawberry.ID | None = strawberry.field(description="Set when it was deleted.")
    user_errors: list[UserError] = strawberry.field(description="Why it failed, if it did.")


@strawberry.type(description="Result of queueing a delivery (ping or re-send).")
class WebhookDeliveryPayload:
    delivery: WebhookDelivery | None = strawberry.field(description="The queued delivery.")
    user_errors: list[UserError] = strawberry.field(description="Why it failed, if it did.")


def _endpoint(row: Any) -> WebhookEndpoint | None:
    return WebhookEndpoint.from_model(row) if row is not None else None


def _delivery(row: Any) -> WebhookDelivery | None:
    return WebhookDelivery.from_model(row) if row is not None else None


@strawberry.type
class WebhookMutation:
    @strawberry.mutation(description="Register an endpoint; its signing secret is returned once.")
    async def create_webhook_endpoint(
        self, info: AtriumInfo, input: CreateWebhookEndpointInput
    ) -> CreateWebhookEndpointPayload:
        result, errors = await run_mutation(
            info,
            lambda c, s: endpoints.create_endpoint(
                c,
                s,
                organization_id=input.organization_id,
                url=input.url,
                event_types=input.event_types,
                description=input.description,
            ),
        )
        row, secret = result if result else (None, None)
        return CreateWebhookEndpointPayload(
            webhook_endpoint=_endpoint(row), secret=secret, user_errors=errors
        )

    @strawberry.mutation(description="Change an endpoint's URL, event types or state.")
    async def update_webhook_endpoint(
        self, info: AtriumInfo, input: UpdateWebhookEndpointInput
    ) -> WebhookEndpointPayload:
        row, errors = await run_mutation(
            info,
            lambda c, s: endpoints.update_endpoint(
                c,
                s,
                endpoint_id=input.id,
                url=input.url,
                event_types=input.event_types,
                description=input.description,
                active=input.active,
            ),
        )
        return WebhookEndpointPayload(
            webhook_endpoint=_endpoint(row), deleted_id=None, user_errors=errors
        )

    @strawberry.mutation(description="Delete an endpoint and its delivery log.")
    async def delete_webhook_endpoint(
        self, info: AtriumInfo, input: WebhookTargetInput
    ) -> WebhookEndpointPayload:
        deleted, errors = await run_mutation(
            info, lambda c, s: endpoints.delete_endpoint(c, s, input.id)
        )
        return WebhookEndpointPayload(
            webhook_endpoint=None,
            deleted_id=strawberry.ID(deleted) if deleted else None,
            user_errors=errors,
        )

    @strawberry.mutation(description="Send a `ping` event to an endpoint.")
    async def ping_webhook_endpoint(
        self, info: AtriumInfo, input: WebhookTargetInput
    ) -> WebhookDeliveryPayload:
        row, errors = await run_mutation(info, lambda c, s: endpoints.ping_endpoint(c, s, input.id))
        return WebhookDeliveryPayload(delivery=_delivery(row), user_errors=errors)

    @strawberry.mutation(description="Send a past delivery again (same body, new delivery).")
    async def redeliver_webhook(
        self, info: AtriumInfo, input: WebhookTargetInput
    ) -> WebhookDeliveryPayload:
        row, errors = await run_mutation(info, lambda c, s: endpoints.redeliver(c, s, input.id))
        return WebhookDeliveryPayload(delivery=_delivery(row), user_errors=errors)


NODE_TYPES: dict[str, tuple[Any, Any]] = {
    "whk": (loaders.endpoints_by_id, WebhookEndpoint.from_model),
    "whd": (loaders.deliveries_by_id, WebhookDelivery.from_model),
}
register_prefix("whk", "WebhookEndpoint")
register_prefix("whd", "WebhookDelivery")
