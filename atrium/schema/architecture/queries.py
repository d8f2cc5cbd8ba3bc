"""Architecture queries: one by ID, a filtered list, and the view a share token opens."""

from __future__ import annotations

from typing import Annotated

import strawberry
from sqlalchemy import or_, select

from atrium.core.errors import NotFound
from atrium.engines.architecture.model import ArchitectureSpec, CloudProvider
from atrium.models import architecture as models
from atrium.resolvers.architecture.sharing import open_shared
from atrium.resolvers.loading import visible_org_ids
from atrium.schema.architecture.sharing import SharedArchitecture, SharedComment
from atrium.schema.architecture.types import Architecture, load_architecture
from atrium.schema.common import (
    After,
    AtriumInfo,
    Before,
    Connection,
    First,
    Last,
    statement_connection,
)

SHARED_COMMENTS = 200


@strawberry.type
class ArchitectureQuery:
    @strawberry.field(description="An architecture by ID. NOT_FOUND when unknown or not yours.")
    async def architecture(
        self, info: AtriumInfo, id: Annotated[strawberry.ID, strawberry.argument(description="ID.")]
    ) -> Architecture:
        info.context.principal.require_authenticated()
        found = await load_architecture(info, id)
        if found is None:
            raise NotFound("Architecture", id)
        return found

    @strawberry.field(description="Architectures you can see, newest first.")
    async def architectures(
        self,
        info: AtriumInfo,
        organization_id: Annotated[
            strawberry.ID | None, strawberry.argument(description="Only this organization.")
        ] = None,
        search: Annotated[
            str | None, strawberry.argument(description="Words in the title or description.")
        ] = None,
        cloud_provider: Annotated[
            CloudProvider | None, strawberry.argument(description="Only this provider.")
        ] = None,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[Architecture]:
        info.context.principal.require_authenticated()
        model = models.Architecture
        orgs = visible_org_ids(info.context)
        if organization_id is not None:
            orgs = [o for o in orgs if o == organization_id]
        stmt = select(model).where(model.organization_id.in_(orgs))
        if cloud_provider is not None:
            stmt = stmt.where(model.cloud_provider == cloud_provider.value)
        for word in (search or "").split()[:8]:
            pattern = f"%{word.replace('%', '').replace('_', '')}%"
            stmt = stmt.where(or_(model.title.ilike(pattern), model.description.ilike(pattern)))
        return await statement_connection(
            info,
            stmt,
            model.id,
            Architecture.from_model,
            first,
            after,
            last,
            before,
            descending=True,
        )

    @strawberry.field(
        description="The architecture a share token opens, with its comments; no sign-in "
        "needed. NOT_FOUND when the token is unknown, revoked or expired."
    )
    async def shared_architecture(
        self,
        info: AtriumInfo,
        token: Annotated[str, strawberry.argument(description="The share token.")],
    ) -> SharedArchitecture:
        async with info.context.session() as session:
            link, row = await open_shared(info.context, session, token)
            comments = (
                await session.scalars(
                    select(models.Comment)
                    .where(models.Comment.architecture_id == row.id)
                    .order_by(models.Comment.id.desc())
                    .limit(SHARED_COMMENTS)
                )
            ).all()
        return SharedArchitecture(
            id=strawberry.ID(row.id),
            spec=ArchitectureSpec.from_dict(row.spec),
            title=row.title,
            description=row.description,
            version=row.version,
            permission=link.permission,
            updated_at=row.updated_at,
            comments=[
                SharedComment(body=c.body, author_name=c.author_name, created_at=c.created_at)
                for c in reversed(comments)
            ],
        )
