"""``organizationEvents`` and ``userEvents``: membership, invitation, team and key changes."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Self

import strawberry

from atrium.core.errors import NotFound
from atrium.core.pubsub import Event
from atrium.resolvers.identity import loaders
from atrium.resolvers.identity.events import org_topic, user_topic
from atrium.schema.common import AtriumInfo
from atrium.schema.identity.types import (
    ApiKey,
    Invitation,
    Membership,
    Organization,
    Team,
    User,
    load_organization,
    load_user,
)
from atrium.subscriptions.common import topic_stream


@strawberry.enum(description="What happened in an organization.")
class OrganizationEventType(StrEnum):
    ORGANIZATION_UPDATED = "organization.updated"
    MEMBER_ADDED = "member.added"
    MEMBER_ROLE_CHANGED = "member.role_changed"
    MEMBER_REMOVED = "member.removed"
    INVITATION_CREATED = "invitation.created"
    INVITATION_ACCEPTED = "invitation.accepted"
    INVITATION_REVOKED = "invitation.revoked"
    TEAM_CREATED = "team.created"
    TEAM_UPDATED = "team.updated"
    TEAM_DELETED = "team.deleted"
    TEAM_MEMBER_ADDED = "team.member_added"
    TEAM_MEMBER_REMOVED = "team.member_removed"
    API_KEY_CREATED = "api_key.created"
    API_KEY_REVOKED = "api_key.revoked"
    USER_UPDATED = "user.updated"
    # Architectures (details on `architectureEvents`); listed here so sequences stay gap-free.
    ARCHITECTURE_CREATED = "architecture.created"
    ARCHITECTURE_UPDATED = "architecture.updated"
    ARCHITECTURE_DELETED = "architecture.deleted"
    ANALYSIS_COMPLETED = "analysis.completed"
    ANALYSIS_FAILED = "analysis.failed"
    DOCUMENT_GENERATED = "document.generated"
    COMMENT_ADDED = "comment.added"
    # Notifications about your own threads (userEvents only): an agent's reply finished
    # or failed; `subjectId` is the reply message.
    MESSAGE_COMPLETED = "message.completed"
    REPLY_FAILED = "error"


_TYPES = {t.value: t for t in OrganizationEventType}


async def _load(info: AtriumInfo, loader: Any, object_id: str | None) -> Any:
    if not object_id:
        return None
    return await info.context.loaders.get(loader).load(object_id)


@strawberry.type(description="A change in an organization, as seen by its members.")
class OrganizationEvent:
    id: strawberry.ID = strawberry.field(description="Event ID (`evt_…`).")
    type: OrganizationEventType = strawberry.field(description="What happened.")
    sequence: int | None = strawberry.field(
        description="Position on this organization's event stream; gap-free. "
        "Missing numbers mean missed events: fetch them with `organization.events`."
    )
    occurred_at: datetime = strawberry.field(description="When it happened.")
    subject_id: strawberry.ID | None = strawberry.field(
        description="ID of the object the event is about (kept after it is deleted)."
    )
    payload: strawberry.Private[dict[str, Any]]
    organization_id: strawberry.Private[str | None]

    @classmethod
    def from_event(cls, event: Event) -> Self | None:
        kind = _TYPES.get(event.type)
        if kind is None:
            return None
        subject = event.payload.get("subject_id")
        return cls(
            id=strawberry.ID(event.id),
            type=kind,
            sequence=event.sequence,
            occurred_at=event.occurred_at,
            subject_id=strawberry.ID(subject) if subject else None,
            payload=event.payload,
            organization_id=event.organization_id,
        )

    @strawberry.field(description="The organization.")
    async def organization(self, info: AtriumInfo) -> Organization | None:
        if self.organization_id is None:
            return None
        return await load_organization(info, self.organization_id)

    @strawberry.field(description="Who did it (null for a service account or the system).")
    async def actor(self, info: AtriumInfo) -> User | None:
        return await load_user(info, self.payload.get("actor_id"))

    @strawberry.field(description="The user concerned (member added, removed, …).")
    async def user(self, info: AtriumInfo) -> User | None:
        return await load_user(info, self.payload.get("user_id"))

    @strawberry.field(description="The membership, if the event is about one and it still exists.")
    async def membership(self, info: AtriumInfo) -> Membership | None:
        row = await _load(info, loaders.memberships_by_id, self.payload.get("membership_id"))
        return Membership.from_model(row) if row else None

    @strawberry.field(description="The invitation, if the event is about one.")
    async def invitation(self, info: AtriumInfo) -> Invitation | None:
        row = await _load(info, loaders.invitations_by_id, self.payload.get("invitation_id"))
        return Invitation.from_model(row) if row else None

    @strawberry.field(description="The team, if the event is about one and it still exists.")
    async def team(self, info: AtriumInfo) -> Team | None:
        row = await _load(info, loaders.teams_by_id, self.payload.get("team_id"))
        return Team.from_model(row) if row else None

    @strawberry.field(description="The API key, if the event is about one and you may see it.")
    async def api_key(self, info: AtriumInfo) -> ApiKey | None:
        row = await _load(info, loaders.api_keys_by_id, self.payload.get("api_key_id"))
        return ApiKey.from_model(row) if row else None


@strawberry.type(description="An event about you (the same shapes as organization events).")
class UserEvent(OrganizationEvent):
    pass


@strawberry.type
class IdentitySubscription:
    @strawberry.subscription(
        description="Membership, invitation, team and API-key changes of an organization. "
        "NOT_FOUND for an organization you do not belong to."
    )
    async def organization_events(
        self,
        info: AtriumInfo,
        organization_id: Annotated[
            strawberry.ID, strawberry.argument(description="The organization.")
        ],
    ) -> AsyncGenerator[OrganizationEvent, None]:
        if info.context.principal.role_in(organization_id) is None:
            raise NotFound("Organization", organization_id)
        return topic_stream(
            info.context,
            org_topic(organization_id),
            OrganizationEvent.from_event,
            organization_id=organization_id,
        )

    @strawberry.subscription(
        description="Events about you: memberships, roles and keys, in every organization."
    )
    async def user_events(self, info: AtriumInfo) -> AsyncGenerator[UserEvent, None]:
        user_id = info.context.principal.require_user()
        return topic_stream(info.context, user_topic(user_id), UserEvent.from_event)
