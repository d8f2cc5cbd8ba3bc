"""Knowledge bases in the graph: documents, connectors, health and cited search."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import strawberry
from sqlalchemy import select

from atrium.core.context import Context
from atrium.core.errors import NotFound
from atrium.models import knowledge as models
from atrium.resolvers.access import default_organization
from atrium.resolvers.knowledge import bases as service
from atrium.resolvers.knowledge import loaders
from atrium.resolvers.knowledge import search as searching
from atrium.resolvers.loading import org_scoped, visible_org_ids
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
    statement_connection,
)

strawberry.enum(
    models.DocumentFormat, name="KnowledgeDocumentFormat", description="TEXT or MARKDOWN."
)
strawberry.enum(
    models.DocumentSource, name="KnowledgeDocumentSource", description="UPLOAD or CONNECTOR."
)
strawberry.enum(
    models.ConnectorKind, name="KnowledgeConnectorKind", description="FOLDER or REPOSITORY."
)
strawberry.enum(
    models.ConnectorStatus, name="KnowledgeConnectorStatus", description="IDLE, SYNCING or ERROR."
)

bases_by_id = org_scoped(models.KnowledgeBase)
documents_by_id = org_scoped(models.KnowledgeDocument)
connectors_by_id = org_scoped(models.KnowledgeConnector)


@strawberry.type(description="A document of a knowledge base.")
class KnowledgeDocument(Node):
    title: str = strawberry.field(description="Title.")
    path: str = strawberry.field(description="File name or path in its source.")
    source: models.DocumentSource = strawberry.field(description="Uploaded or from a connector.")
    format: models.DocumentFormat = strawberry.field(description="TEXT or MARKDOWN.")
    size: int = strawberry.field(description="Characters.")
    chunk_count: int = strawberry.field(description="Passages it was split into.")
    updated_at: datetime = strawberry.field(description="Last (re)indexed.")

    @classmethod
    def from_model(cls, row: models.KnowledgeDocument) -> KnowledgeDocument:
        return cls(
            id=strawberry.ID(row.id),
            title=row.title,
            path=row.path,
            source=row.source,
            format=row.format,
            size=row.size,
            chunk_count=row.chunk_count,
            updated_at=row.updated_at,
        )


@strawberry.type(description="A folder or repository synced into a knowledge base.")
class KnowledgeConnector(Node):
    kind: models.ConnectorKind = strawberry.field(description="FOLDER or REPOSITORY.")
    path: str | None = strawberry.field(description="The folder (FOLDER).")
    repository_id: strawberry.ID | None = strawberry.field(description="The repository.")
    patterns: list[str] = strawberry.field(description="Globs of the files read.")
    schedule: str | None = strawberry.field(description="Cron schedule (UTC) of its syncs.")
    status: models.ConnectorStatus = strawberry.field(description="IDLE, SYNCING or ERROR.")
    error: str | None = strawberry.field(description="Why the last sync failed.")
    next_sync_at: datetime | None = strawberry.field(description="Next scheduled sync.")
    last_synced_at: datetime | None = strawberry.field(description="Last finished sync.")

    @classmethod
    def from_model(cls, row: models.KnowledgeConnector) -> KnowledgeConnector:
        return cls(
            id=strawberry.ID(row.id),
            kind=row.kind,
            path=row.path,
            repository_id=strawberry.ID(row.repository_id) if row.repository_id else None,
            patterns=[p for p in row.patterns.split(",") if p],
            schedule=row.schedule,
            status=row.status,
            error=row.error,
            next_sync_at=row.next_sync_at,
            last_synced_at=row.last_synced_at,
        )


@strawberry.type(description="Whether a knowledge base is searchable and fresh.")
class KnowledgeBaseHealth:
    healthy: bool = strawberry.field(description="No problems.")
    documents: int = strawberry.field(description="Documents.")
    chunks: int = strawberry.field(description="Passages.")
    indexed_chunks: int = strawberry.field(description="Passages in the search index.")
    empty_documents: int = strawberry.field(description="Documents without text.")
    failing_connectors: int = strawberry.field(description="Connectors whose last sync failed.")
    stale_connectors: int = strawberry.field(description="Connectors behind their schedule.")
    problems: list[str] = strawberry.field(description="What is wrong, for people.")


@strawberry.type(description="A passage that matched, citing its document.")
class KnowledgePassage:
    text: str = strawberry.field(description="The passage.")
    heading: str = strawberry.field(description="Its section, e.g. `Install > Linux`.")
    snippet: str | None = strawberry.field(description="The matching words in context.")
    highlights: list[list[int]] = strawberry.field(
        description="[start, end) offsets of matched words in `snippet`."
    )
    score: float = strawberry.field(description="Relevance; higher is better.")
    citation: str = strawberry.field(description="`title — heading (path)`.")
    document: KnowledgeDocument = strawberry.field(description="Where it comes from.")


@strawberry.type(description="A knowledge base: documents searched as cited passages.")
class KnowledgeBase(Node):
    name: str = strawberry.field(description="Name, unique in the organization.")
    description: str = strawberry.field(description="What it holds.")
    created_at: datetime = strawberry.field(description="When it was created.")

    @classmethod
    def from_model(cls, row: models.KnowledgeBase) -> KnowledgeBase:
        return cls(
            id=strawberry.ID(row.id),
            name=row.name,
            description=row.description,
            created_at=row.created_at,
        )

    @strawberry.field(description="Its documents, oldest first.")
    async def documents(
        self,
        info: AtriumInfo,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[KnowledgeDocument]:
        return await child_connection(
            info,
            self.id,
            loaders.documents_by_base,
            loaders.document_counts,
            KnowledgeDocument.from_model,
            first,
            after,
            last,
            before,
        )

    @strawberry.field(description="Its connectors.")
    async def connectors(self, info: AtriumInfo) -> list[KnowledgeConnector]:
        rows = await info.context.loaders.get(loaders.connectors_by_base).load(self.id)
        return [KnowledgeConnector.from_model(r) for r in rows]

    @strawberry.field(description="A health check: indexed, fresh, connectors working.")
    async def health(self, info: AtriumInfo) -> KnowledgeBaseHealth:
        async with info.context.session() as session:
            report = await searching.health(session, self.id)
        return KnowledgeBaseHealth(**report.__dict__)

    @strawberry.field(description="The passages best matching `query`, most relevant first.")
    async def search(
        self,
        info: AtriumInfo,
        query: Annotated[str, strawberry.argument(description='Words, "phrases", or, -not.')],
        limit: Annotated[int, strawberry.argument(description="At most this many (50).")] = 5,
    ) -> list[KnowledgePassage]:
        async with info.context.session() as session:
            passages = await searching.search_passages(session, [self.id], query, limit)
        return [
            KnowledgePassage(
                text=p.chunk.text,
                heading=p.chunk.heading,
                snippet=p.snippet,
                highlights=[list(h) for h in p.highlights],
                score=p.score,
                citation=f"{p.document.title}"
                + (f" — {p.chunk.heading}" if p.chunk.heading else "")
                + f" ({p.document.path})",
                document=KnowledgeDocument.from_model(p.document),
            )
            for p in passages
        ]


async def load_base(info: AtriumInfo, base_id: str) -> KnowledgeBase:
    info.context.principal.require_authenticated()
    row = await info.context.loaders.get(bases_by_id).load(base_id)
    if row is None:
        raise NotFound("KnowledgeBase", base_id)
    return KnowledgeBase.from_model(row)


@strawberry.type
class KnowledgeQuery:
    @strawberry.field(description="Knowledge bases of your organizations, oldest first.")
    async def knowledge_bases(
        self,
        info: AtriumInfo,
        organization_id: Annotated[
            strawberry.ID | None, strawberry.argument(description="Only this organization.")
        ] = None,
        name: Annotated[str | None, strawberry.argument(description="Name contains.")] = None,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[KnowledgeBase]:
        info.context.principal.require_authenticated()
        model = models.KnowledgeBase
        stmt = select(model).where(model.organization_id.in_(visible_org_ids(info.context)))
        if organization_id is not None:
            stmt = stmt.where(model.organization_id == organization_id)
        if name:
            stmt = stmt.where(model.name.contains(name, autoescape=True))
        return await statement_connection(
            info, stmt, model.id, KnowledgeBase.from_model, first, after, last, before
        )

    @strawberry.field(description="A knowledge base by ID.")
    async def knowledge_base(
        self, info: AtriumInfo, id: Annotated[strawberry.ID, strawberry.argument(description="ID.")]
    ) -> KnowledgeBase:
        return await load_base(info, id)


@strawberry.input(description="A new knowledge base.")
class CreateKnowledgeBaseInput:
    name: str = strawberry.field(description="Name.")
    description: str = strawberry.field(default="", description="What it holds.")
    organization_id: strawberry.ID | None = strawberry.field(
        default=None, description="Organization; the credential's only one when omitted."
    )


@strawberry.input(description="A knowledge base, by ID.")
class KnowledgeBaseIdInput:
    id: strawberry.ID = strawberry.field(description="The knowledge base.")


@strawberry.input(description="Upload a text or Markdown document (replaces one of that name).")
class IngestKnowledgeDocumentInput:
    knowledge_base_id: strawberry.ID = strawberry.field(description="The knowledge base.")
    name: str = strawberry.field(description="File name, e.g. `guide.md`: its path in the base.")
    content: str = strawberry.field(description="The text.")
    title: str | None = strawberry.field(default=None, description="Title (from the name).")
    format: models.DocumentFormat | None = strawberry.field(
        default=None, description="TEXT or MARKDOWN (from the name's extension)."
    )


@strawberry.input(description="A document, by ID.")
class KnowledgeDocumentIdInput:
    id: strawberry.ID = strawberry.field(description="The document.")


@strawberry.input(description="Sync a folder or a repository into a knowledge base.")
class AddKnowledgeConnectorInput:
    knowledge_base_id: strawberry.ID = strawberry.field(description="The knowledge base.")
    kind: models.ConnectorKind = strawberry.field(description="FOLDER or REPOSITORY.")
    path: str | None = strawberry.field(default=None, description="Absolute folder (FOLDER).")
    repository_id: strawberry.ID | None = strawberry.field(
        default=None, description="The repository (REPOSITORY)."
    )
    patterns: list[str] | None = strawberry.field(
        default=None, description="Globs of files to read (`**/*.md`, `**/*.txt`)."
    )
    schedule: str | None = strawberry.field(
        default=None, description="Cron schedule (UTC) to re-sync on; none: on demand."
    )


@strawberry.input(description="A connector, by ID.")
class KnowledgeConnectorIdInput:
    id: strawberry.ID = strawberry.field(description="The connector.")


@strawberry.input(description="An agent and a knowledge base.")
class AgentKnowledgeBaseInput:
    agent_id: strawberry.ID = strawberry.field(description="The agent.")
    knowledge_base_id: strawberry.ID = strawberry.field(description="The knowledge base.")


@strawberry.type(description="Result of changing a knowledge base.")
class KnowledgeBasePayload:
    knowledge_base: KnowledgeBase | None = strawberry.field(description="The knowledge base.")
    deleted_id: strawberry.ID | None = strawberry.field(description="Set when deleted.")
    user_errors: list[UserError] = strawberry.field(description="Why it failed, if it did.")


@strawberry.type(description="Result of changing a document.")
class KnowledgeDocumentPayload:
    document: KnowledgeDocument | None = strawberry.field(description="The document.")
    deleted_id: strawberry.ID | None = strawberry.field(description="Set when deleted.")
    user_errors: list[UserError] = strawberry.field(description="Why it failed, if it did.")


@strawberry.type(description="Result of changing a connector.")
class KnowledgeConnectorPayload:
    connector: KnowledgeConnector | None = strawberry.field(description="The connector.")
    deleted_id: strawberry.ID | None = strawberry.field(description="Set when removed.")
    user_errors: list[UserError] = strawberry.field(description="Why it failed, if it did.")


@strawberry.type(description="Result of linking an agent to a knowledge base.")
class AgentKnowledgeBasePayload:
    agent_id: strawberry.ID | None = strawberry.field(description="The agent.")
    linked: bool = strawberry.field(description="Whether they are linked now.")
    user_errors: list[UserError] = strawberry.field(description="Why it failed, if it did.")


@strawberry.type
class KnowledgeMutation:
    @strawberry.mutation(description="Create a knowledge base.")
    async def create_knowledge_base(
        self, info: AtriumInfo, input: CreateKnowledgeBaseInput
    ) -> KnowledgeBasePayload:
        async def action(context: Context, session: Any) -> models.KnowledgeBase:
            org = default_organization(context, input.organization_id)
            return await service.create_base(context, session, org, input.name, input.description)

        row, errors = await run_mutation(info, action)
        return KnowledgeBasePayload(
            knowledge_base=KnowledgeBase.from_model(row) if row else None,
            deleted_id=None,
            user_errors=errors,
        )

    @strawberry.mutation(description="Delete a knowledge base and everything in it.")
    async def delete_knowledge_base(
        self, info: AtriumInfo, input: KnowledgeBaseIdInput
    ) -> KnowledgeBasePayload:
        deleted, errors = await run_mutation(info, lambda c, s: service.delete_base(c, s, input.id))
        return KnowledgeBasePayload(
            knowledge_base=None,
            deleted_id=strawberry.ID(deleted) if deleted else None,
            user_errors=errors,
        )

    @strawberry.mutation(description="Upload (or replace) a document; it is searchable at once.")
    async def ingest_knowledge_document(
        self, info: AtriumInfo, input: IngestKnowledgeDocumentInput
    ) -> KnowledgeDocumentPayload:
        row, errors = await run_mutation(
            info,
            lambda c, s: service.ingest(
                c,
                s,
                input.knowledge_base_id,
                name=input.name,
                content=input.content,
                title=input.title,
                format=input.format,
            ),
        )
        return KnowledgeDocumentPayload(
            document=KnowledgeDocument.from_model(row) if row else None,
            deleted_id=None,
            user_errors=errors,
        )

    @strawberry.mutation(description="Delete a document.")
    async def delete_knowledge_document(
        self, info: AtriumInfo, input: KnowledgeDocumentIdInput
    ) -> KnowledgeDocumentPayload:
        deleted, errors = await run_mutation(
            info, lambda c, s: service.delete_document(c, s, input.id)
        )
        return KnowledgeDocumentPayload(
            document=None,
            deleted_id=strawberry.ID(deleted) if deleted else None,
            user_errors=errors,
        )

    @strawberry.mutation(description="Add a connector; its first sync starts at once.")
    async def add_knowledge_connector(
        self, info: AtriumInfo, input: AddKnowledgeConnectorInput
    ) -> KnowledgeConnectorPayload:
        row, errors = await run_mutation(
            info,
            lambda c, s: service.add_connector(
                c,
                s,
                input.knowledge_base_id,
                kind=input.kind,
                path=input.path,
                repository_id=input.repository_id,
                patterns=input.patterns,
                schedule=input.schedule,
            ),
        )
        return KnowledgeConnectorPayload(
            connector=KnowledgeConnector.from_model(row) if row else None,
            deleted_id=None,
            user_errors=errors,
        )

    @strawberry.mutation(description="Sync a connector now.")
    async def sync_knowledge_connector(
        self, info: AtriumInfo, input: KnowledgeConnectorIdInput
    ) -> KnowledgeConnectorPayload:
        row, errors = await run_mutation(
            info, lambda c, s: service.sync_connector_now(c, s, input.id)
        )
        return KnowledgeConnectorPayload(
            connector=KnowledgeConnector.from_model(row) if row else None,
            deleted_id=None,
            user_errors=errors,
        )

    @strawberry.mutation(description="Remove a connector and the documents it brought.")
    async def remove_knowledge_connector(
        self, info: AtriumInfo, input: KnowledgeConnectorIdInput
    ) -> KnowledgeConnectorPayload:
        deleted, errors = await run_mutation(
            info, lambda c, s: service.remove_connector(c, s, input.id)
        )
        return KnowledgeConnectorPayload(
            connector=None,
            deleted_id=strawberry.ID(deleted) if deleted else None,
            user_errors=errors,
        )

    @strawberry.mutation(description="Let an agent answer with this knowledge base's passages.")
    async def link_agent_knowledge_base(
        self, info: AtriumInfo, input: AgentKnowledgeBaseInput
    ) -> AgentKnowledgeBasePayload:
        agent, errors = await run_mutation(
            info,
            lambda c, s: service.link_agent(
                c, s, input.agent_id, input.knowledge_base_id, linked=True
            ),
        )
        return AgentKnowledgeBasePayload(
            agent_id=strawberry.ID(agent.id) if agent else None,
            linked=agent is not None,
            user_errors=errors,
        )

    @strawberry.mutation(description="Stop an agent using this knowledge base.")
    async def unlink_agent_knowledge_base(
        self, info: AtriumInfo, input: AgentKnowledgeBaseInput
    ) -> AgentKnowledgeBasePayload:
        agent, errors = await run_mutation(
            info,
            lambda c, s: service.link_agent(
                c, s, input.agent_id, input.knowledge_base_id, linked=False
            ),
        )
        return AgentKnowledgeBasePayload(
            agent_id=strawberry.ID(agent.id) if agent else None, linked=False, user_errors=errors
        )


NODE_TYPES: dict[str, tuple[Any, Any]] = {
    "kb": (bases_by_id, KnowledgeBase.from_model),
    "kdoc": (documents_by_id, KnowledgeDocument.from_model),
    "kcon": (connectors_by_id, KnowledgeConnector.from_model),
}
