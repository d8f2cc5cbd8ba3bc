"""Architecture, its versions and the things hanging off it, as graph types."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, cast

import strawberry
from strawberry.scalars import JSON

from atrium.engines.architecture.diff import diff_specs
from atrium.engines.architecture.model import ArchitectureSpec
from atrium.models import architecture as models
from atrium.resolvers.architecture import loaders
from atrium.schema.architecture.diff import ArchitectureDiff
from atrium.schema.architecture.results import AnalysisResults
from atrium.schema.architecture.sharing import Comment, ShareLink
from atrium.schema.architecture.spec import Design
from atrium.schema.common import (
    After,
    AtriumInfo,
    Before,
    Connection,
    First,
    Last,
    Node,
    child_connection,
)
from atrium.schema.identity.types import Organization, User, load_organization, load_user

for _enum, _name, _description in (
    (models.AnalysisKind, "AnalysisKind", "COST, SCALABILITY or THREATS."),
    (models.AnalysisStatus, "AnalysisStatus", "PENDING, RUNNING, COMPLETED or FAILED."),
    (models.DocumentKind, "DocumentKind", "RFC, ADR or RUNBOOK."),
    (models.AdrStatus, "AdrStatus", "PROPOSED, ACCEPTED, DEPRECATED or SUPERSEDED (Nygard)."),
):
    strawberry.enum(_enum, name=_name, description=_description)


@strawberry.type(description="One saved state of an architecture; versions are never changed.")
class ArchitectureVersion(Node, Design):
    number: int = strawberry.field(description="1 for the first save, then 2, 3…")
    title: str = strawberry.field(description="Title at this version.")
    description: str = strawberry.field(description="Description at this version.")
    summary: str = strawberry.field(description="What changed, in the author's words or ours.")
    created_at: datetime = strawberry.field(description="When it was saved.")
    author_id: strawberry.Private[str | None]

    @classmethod
    def from_model(cls, row: models.ArchitectureVersion) -> ArchitectureVersion:
        return cls(
            id=strawberry.ID(row.id),
            spec=ArchitectureSpec.from_dict(row.spec),
            number=row.number,
            title=row.title,
            description=row.description,
            summary=row.summary,
            created_at=row.created_at,
            author_id=row.author_id,
        )

    @strawberry.field(description="Who saved it.")
    async def author(self, info: AtriumInfo) -> User | None:
        return await load_user(info, self.author_id)


@strawberry.type(description="A cost, scalability or threat analysis of one version.")
class Analysis(Node, AnalysisResults):
    kind: models.AnalysisKind = strawberry.field(description="What was analysed.")
    status: models.AnalysisStatus = strawberry.field(description="Where it stands.")
    progress: float = strawberry.field(description="0 to 1.")
    version: int = strawberry.field(description="The architecture version analysed.")
    parameters: JSON = strawberry.field(description="Scale points, region: what was asked.")
    error: str | None = strawberry.field(description="Why it failed, if it did.")
    created_at: datetime = strawberry.field(description="When it was requested.")
    started_at: datetime | None = strawberry.field(description="When it started running.")
    completed_at: datetime | None = strawberry.field(description="When it finished.")
    requested_by_id: strawberry.Private[str | None]

    @classmethod
    def from_model(cls, row: models.Analysis) -> Analysis:
        return cls(
            id=strawberry.ID(row.id),
            kind=row.kind,
            status=row.status,
            progress=row.progress,
            version=row.version,
            parameters=cast("JSON", row.parameters),
            error=row.error,
            created_at=row.created_at,
            started_at=row.started_at,
            completed_at=row.completed_at,
            architecture_id=row.architecture_id,
            requested_by_id=row.requested_by_id,
            raw=row.result,
        )

    @strawberry.field(description="Who asked for it.")
    async def requested_by(self, info: AtriumInfo) -> User | None:
        return await load_user(info, self.requested_by_id)

    @strawberry.field(description="The architecture analysed.")
    async def architecture(self, info: AtriumInfo) -> Architecture | None:
        return await load_architecture(info, self.architecture_id)


@strawberry.type(
    description="An architecture decision record (Nygard): context, decision, consequences."
)
class Adr(Node):
    title: str = strawberry.field(description="The decision, in a few words.")
    status: models.AdrStatus = strawberry.field(description="Where it is in its lifecycle.")
    context: str = strawberry.field(description="The forces at play.")
    decision: str = strawberry.field(description="What was decided.")
    consequences: str = strawberry.field(description="What follows, good and bad.")
    created_at: datetime = strawberry.field(description="When it was written.")
    updated_at: datetime = strawberry.field(description="Last status change.")
    architecture_id: strawberry.Private[str | None]
    document_id: strawberry.Private[str | None]
    superseded_by_id: strawberry.Private[str | None]

    @classmethod
    def from_model(cls, row: models.Adr) -> Adr:
        return cls(
            id=strawberry.ID(row.id),
            title=row.title,
            status=row.status,
            context=row.context,
            decision=row.decision,
            consequences=row.consequences,
            created_at=row.created_at,
            updated_at=row.updated_at,
            architecture_id=row.architecture_id,
            document_id=row.document_id,
            superseded_by_id=row.superseded_by_id,
        )

    @strawberry.field(description="The generated Markdown record, if it was generated.")
    async def document(self, info: AtriumInfo) -> Document | None:
        if self.document_id is None:
            return None
        row = await info.context.loaders.get(loaders.documents_by_id).load(self.document_id)
        return Document.from_model(row) if row else None

    @strawberry.field(description="The ADR that replaced this one.")
    async def superseded_by(self, info: AtriumInfo) -> Adr | None:
        if self.superseded_by_id is None:
            return None
        row = await info.context.loaders.get(loaders.adrs_by_id).load(self.superseded_by_id)
        return Adr.from_model(row) if row else None

    @strawberry.field(description="The architecture it decides about, if any.")
    async def architecture(self, info: AtriumInfo) -> Architecture | None:
        if self.architecture_id is None:
            return None
        return await load_architecture(info, self.architecture_id)


@strawberry.type(description="A generated RFC, ADR or runbook: Markdown with a Mermaid diagram.")
class Document(Node):
    kind: models.DocumentKind = strawberry.field(description="RFC, ADR or RUNBOOK.")
    title: str = strawberry.field(description="Its title.")
    markdown: str = strawberry.field(description="The document, in Markdown.")
    mermaid: str = strawberry.field(description="The diagram alone (Mermaid flowchart).")
    version: int = strawberry.field(description="The architecture version it describes.")
    created_at: datetime = strawberry.field(description="When it was generated.")
    architecture_id: strawberry.Private[str]
    created_by_id: strawberry.Private[str | None]

    @classmethod
    def from_model(cls, row: models.Document) -> Document:
        return cls(
            id=strawberry.ID(row.id),
            kind=row.kind,
            title=row.title,
            markdown=row.markdown,
            mermaid=row.mermaid,
            version=row.version,
            created_at=row.created_at,
            architecture_id=row.architecture_id,
            created_by_id=row.created_by_id,
        )

    @strawberry.field(description="Who generated it.")
    async def created_by(self, info: AtriumInfo) -> User | None:
        return await load_user(info, self.created_by_id)


AnalysisKindArg = Annotated[
    models.AnalysisKind | None, strawberry.argument(description="Only this kind.")
]


@strawberry.type(description="A cloud architecture: components, links, trust zones, and history.")
class Architecture(Node, Design):
    title: str = strawberry.field(description="Title.")
    description: str = strawberry.field(description="What it is for.")
    version: int = strawberry.field(
        description="Number of the latest version; send it as `expectedVersion` when updating."
    )
    created_at: datetime = strawberry.field(description="When it was created.")
    updated_at: datetime = strawberry.field(description="When it last changed.")
    organization_id: strawberry.Private[str]
    created_by_id: strawberry.Private[str | None]

    @classmethod
    def from_model(cls, row: models.Architecture) -> Architecture:
        return cls(
            id=strawberry.ID(row.id),
            spec=ArchitectureSpec.from_dict(row.spec),
            title=row.title,
            description=row.description,
            version=row.version,
            created_at=row.created_at,
            updated_at=row.updated_at,
            organization_id=row.organization_id,
            created_by_id=row.created_by_id,
        )

    @strawberry.field(description="The organization it belongs to.")
    async def organization(self, info: AtriumInfo) -> Organization | None:
        return await load_organization(info, self.organization_id)

    @strawberry.field(description="Who created it.")
    async def created_by(self, info: AtriumInfo) -> User | None:
        return await load_user(info, self.created_by_id)

    @strawberry.field(description="Every saved version, newest first.")
    async def versions(
        self,
        info: AtriumInfo,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[ArchitectureVersion]:
        return await child_connection(
            info,
            self.id,
            loaders.versions_by_architecture,
            loaders.version_counts,
            ArchitectureVersion.from_model,
            first,
            after,
            last,
            before,
            descending=True,
        )

    @strawberry.field(description="One version by its number.")
    async def version_by_number(
        self, info: AtriumInfo, number: Annotated[int, strawberry.argument(description="1, 2…")]
    ) -> ArchitectureVersion | None:
        row = await info.context.loaders.get(loaders.versions_by_number).load((self.id, number))
        return ArchitectureVersion.from_model(row) if row else None

    @strawberry.field(
        description="What changed between two versions (`to` defaults to the latest)."
    )
    async def diff(
        self,
        info: AtriumInfo,
        from_: Annotated[int, strawberry.argument(name="from", description="Older version.")],
        to: Annotated[int | None, strawberry.argument(description="Newer version.")] = None,
    ) -> ArchitectureDiff | None:
        numbers = (from_, to if to is not None else self.version)
        loader = info.context.loaders.get(loaders.versions_by_number)
        old, new = [await loader.load((self.id, n)) for n in numbers]
        if old is None or new is None:
            return None
        change = diff_specs(
            ArchitectureSpec.from_dict(old.spec), ArchitectureSpec.from_dict(new.spec)
        )
        return ArchitectureDiff.from_engine(numbers[0], numbers[1], change)

    @strawberry.field(description="Analyses run on it, newest first.")
    async def analyses(
        self,
        info: AtriumInfo,
        kind: AnalysisKindArg = None,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[Analysis]:
        pages, counts = loaders.ANALYSIS_LOADERS[kind]
        return await child_connection(
            info,
            self.id,
            pages,
            counts,
            Analysis.from_model,
            first,
            after,
            last,
            before,
            descending=True,
        )

    @strawberry.field(description="The newest analysis of a kind (completed only, by default).")
    async def latest_analysis(
        self,
        info: AtriumInfo,
        kind: Annotated[models.AnalysisKind, strawberry.argument(description="Which kind.")],
        completed: Annotated[
            bool, strawberry.argument(description="Skip pending, running and failed ones.")
        ] = True,
    ) -> Analysis | None:
        row = await info.context.loaders.get(loaders.latest_analyses).load(
            (self.id, kind, completed)
        )
        return Analysis.from_model(row) if row else None

    @strawberry.field(description="Generated documents, newest first.")
    async def documents(
        self,
        info: AtriumInfo,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[Document]:
        return await child_connection(
            info,
            self.id,
            loaders.documents_by_architecture,
            loaders.document_counts,
            Document.from_model,
            first,
            after,
            last,
            before,
            descending=True,
        )

    @strawberry.field(description="Decision records, newest first.")
    async def adrs(
        self,
        info: AtriumInfo,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[Adr]:
        return await child_connection(
            info,
            self.id,
            loaders.adrs_by_architecture,
            loaders.adr_counts,
            Adr.from_model,
            first,
            after,
            last,
            before,
            descending=True,
        )

    @strawberry.field(description="Share links (their tokens are shown only when created).")
    async def share_links(
        self,
        info: AtriumInfo,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[ShareLink]:
        return await child_connection(
            info,
            self.id,
            loaders.share_links_by_architecture,
            loaders.share_link_counts,
            ShareLink.from_model,
            first,
            after,
            last,
            before,
            descending=True,
        )

    @strawberry.field(description="Comments from members and share-link holders, oldest first.")
    async def comments(
        self,
        info: AtriumInfo,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[Comment]:
        return await child_connection(
            info,
            self.id,
            loaders.comments_by_architecture,
            loaders.comment_counts,
            Comment.from_model,
            first,
            after,
            last,
            before,
        )


async def load_architecture(info: AtriumInfo, architecture_id: str) -> Architecture | None:
    row = await info.context.loaders.get(loaders.architectures_by_id).load(architecture_id)
    return Architecture.from_model(row) if row else None


def _or_none(convert: Any) -> Any:
    return lambda row: convert(row) if row is not None else None
