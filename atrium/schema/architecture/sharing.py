"""Share links, comments and the read-only view a share token opens."""

from __future__ import annotations

from datetime import datetime

import strawberry

from atrium.models import architecture as models
from atrium.schema.architecture.spec import Design
from atrium.schema.common import AtriumInfo, Node
from atrium.schema.identity.types import User, load_user

strawberry.enum(
    models.SharePermission,
    name="SharePermission",
    description="VIEW reads the architecture; COMMENT also adds comments.",
)


@strawberry.type(description="A link that opens one architecture to whoever holds its token.")
class ShareLink(Node):
    permission: models.SharePermission = strawberry.field(description="What holders may do.")
    token_hint: str = strawberry.field(description="Last 4 characters of the token.")
    expires_at: datetime | None = strawberry.field(description="When it stops working.")
    revoked_at: datetime | None = strawberry.field(description="When it was revoked.")
    last_used_at: datetime | None = strawberry.field(description="When it was last opened.")
    created_at: datetime = strawberry.field(description="When it was created.")
    active: bool = strawberry.field(description="Neither revoked nor expired.")
    created_by_id: strawberry.Private[str | None]

    @classmethod
    def from_model(cls, row: models.ShareLink) -> ShareLink:
        from atrium.resolvers.architecture.sharing import is_usable

        return cls(
            id=strawberry.ID(row.id),
            permission=row.permission,
            token_hint=row.token_hint,
            expires_at=row.expires_at,
            revoked_at=row.revoked_at,
            last_used_at=row.last_used_at,
            created_at=row.created_at,
            active=is_usable(row),
            created_by_id=row.created_by_id,
        )

    @strawberry.field(description="Who created it.")
    async def created_by(self, info: AtriumInfo) -> User | None:
        return await load_user(info, self.created_by_id)


@strawberry.type(description="A comment on an architecture, by a member or a share-link holder.")
class Comment(Node):
    body: str = strawberry.field(description="The comment.")
    author_name: str = strawberry.field(description="Name given by the author.")
    created_at: datetime = strawberry.field(description="When it was written.")
    via_share_link: bool = strawberry.field(description="Left through a share link.")
    author_id: strawberry.Private[str | None]

    @classmethod
    def from_model(cls, row: models.Comment) -> Comment:
        return cls(
            id=strawberry.ID(row.id),
            body=row.body,
            author_name=row.author_name,
            created_at=row.created_at,
            via_share_link=row.share_link_id is not None,
            author_id=row.author_id,
        )

    @strawberry.field(description="The member who wrote it (null for share-link holders).")
    async def author(self, info: AtriumInfo) -> User | None:
        return await load_user(info, self.author_id)


@strawberry.type(description="A comment as share-link holders see it (no member details).")
class SharedComment:
    body: str = strawberry.field(description="The comment.")
    author_name: str = strawberry.field(description="Name given by the author.")
    created_at: datetime = strawberry.field(description="When it was written.")


@strawberry.type(
    description="An architecture opened with a share token: the design and its comments, "
    "with no path to the rest of the organization."
)
class SharedArchitecture(Design):
    id: strawberry.ID = strawberry.field(description="The architecture's ID.")
    title: str = strawberry.field(description="Title.")
    description: str = strawberry.field(description="What it is for.")
    version: int = strawberry.field(description="Latest version number.")
    permission: models.SharePermission = strawberry.field(description="What the token allows.")
    updated_at: datetime = strawberry.field(description="When it last changed.")
    comments: list[SharedComment] = strawberry.field(description="Comments, oldest first.")
