"""Batch functions for webhook endpoints and deliveries (admins only, like their lists)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, select

from atrium.core.context import Context
from atrium.core.policy import Action
from atrium.models.webhooks import WebhookDelivery, WebhookEndpoint
from atrium.resolvers.loading import child_counts, child_pages, org_scoped, visible_org_ids

endpoints_by_id = org_scoped(WebhookEndpoint, Action.WEBHOOK_MANAGE)
deliveries_by_id = org_scoped(WebhookDelivery, Action.WEBHOOK_MANAGE)


def _managed(model: Any) -> Any:
    def base(context: Context) -> Select[Any]:
        return select(model).where(
            model.organization_id.in_(visible_org_ids(context, Action.WEBHOOK_MANAGE))
        )

    return base


endpoints_by_organization = child_pages(
    WebhookEndpoint, WebhookEndpoint.organization_id, _managed(WebhookEndpoint)
)
endpoint_counts_by_organization = child_counts(
    WebhookEndpoint, WebhookEndpoint.organization_id, _managed(WebhookEndpoint)
)
deliveries_by_endpoint = child_pages(
    WebhookDelivery, WebhookDelivery.endpoint_id, _managed(WebhookDelivery)
)
delivery_counts_by_endpoint = child_counts(
    WebhookDelivery, WebhookDelivery.endpoint_id, _managed(WebhookDelivery)
)
