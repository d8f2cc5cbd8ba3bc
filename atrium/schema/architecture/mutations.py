"""Architecture mutations: each takes one `input` and returns a payload with userErrors."""

from __future__ import annotations

import strawberry

from atrium.models.architecture import AnalysisKind
from atrium.resolvers.architecture import analyses, designs, documents, sharing, threats
from atrium.schema.architecture import inputs as i
from atrium.schema.architecture.sharing import Comment, SharedComment, ShareLink
from atrium.schema.architecture.types import Adr, Analysis, Architecture, Document
from atrium.schema.common import AtriumInfo, run_mutation


def _architecture(row: object) -> Architecture | None:
    return Architecture.from_model(row) if row is not None else None  # type: ignore[arg-type]


def _analysis(row: object) -> Analysis | None:
    return Analysis.from_model(row) if row is not None else None  # type: ignore[arg-type]


@strawberry.type
class ArchitectureMutation:
    @strawberry.mutation(description="Describe a new architecture (version 1).")
    async def create_architecture(
        self, info: AtriumInfo, input: i.CreateArchitectureInput
    ) -> i.ArchitecturePayload:
        row, errors = await run_mutation(
            info,
            lambda c, s: designs.create_architecture(
                c,
                s,
                organization_id=input.organization_id,
                title=input.title,
                description=input.description,
                spec=input.to_spec(),
                summary=input.summary,
            ),
        )
        return i.ArchitecturePayload(architecture=_architecture(row), user_errors=errors)

    @strawberry.mutation(
        description="Change an architecture; writes a new version. A stale `expectedVersion` "
        "is a CONFLICT."
    )
    async def update_architecture(
        self, info: AtriumInfo, input: i.UpdateArchitectureInput
    ) -> i.ArchitecturePayload:
        row, errors = await run_mutation(
            info,
            lambda c, s: designs.update_architecture(
                c,
                s,
                architecture_id=input.id,
                expected_version=input.expected_version,
                title=input.title,
                description=input.description,
                changes=input.to_changes(),
                summary=input.summary,
            ),
        )
        return i.ArchitecturePayload(architecture=_architecture(row), user_errors=errors)

    @strawberry.mutation(description="Make an old version the latest again, as a new version.")
    async def restore_architecture_version(
        self, info: AtriumInfo, input: i.RestoreArchitectureVersionInput
    ) -> i.ArchitecturePayload:
        row, errors = await run_mutation(
            info,
            lambda c, s: designs.restore_version(
                c,
                s,
                architecture_id=input.id,
                number=input.version,
                expected_version=input.expected_version,
            ),
        )
        return i.ArchitecturePayload(architecture=_architecture(row), user_errors=errors)

    @strawberry.mutation(description="Delete an architecture with its history and analyses.")
    async def delete_architecture(
        self, info: AtriumInfo, input: i.IdInput
    ) -> i.DeleteArchitecturePayload:
        deleted, errors = await run_mutation(
            info, lambda c, s: designs.delete_architecture(c, s, input.id)
        )
        return i.DeleteArchitecturePayload(
            deleted_id=strawberry.ID(deleted) if deleted else None, user_errors=errors
        )

    @strawberry.mutation(description="Estimate monthly cost at scale points (a durable job).")
    async def run_cost_analysis(
        self, info: AtriumInfo, input: i.RunCostAnalysisInput
    ) -> i.AnalysisPayload:
        row, errors = await run_mutation(
            info,
            lambda c, s: analyses.request_analysis(
                c,
                s,
                architecture_id=input.architecture_id,
                kind=AnalysisKind.COST,
                scale_points=input.scale_points,
                region=input.region,
                wait=input.wait,
            ),
        )
        return i.AnalysisPayload(analysis=_analysis(row), user_errors=errors)

    @strawberry.mutation(description="Model capacity, bottleneck and latency (a durable job).")
    async def run_scalability_analysis(
        self, info: AtriumInfo, input: i.RunScalabilityAnalysisInput
    ) -> i.AnalysisPayload:
        row, errors = await run_mutation(
            info,
            lambda c, s: analyses.request_analysis(
                c,
                s,
                architecture_id=input.architecture_id,
                kind=AnalysisKind.SCALABILITY,
                scale_points=input.scale_points,
                wait=input.wait,
            ),
        )
        return i.AnalysisPayload(analysis=_analysis(row), user_errors=errors)

    @strawberry.mutation(description="Run a STRIDE threat model (a durable job).")
    async def run_threat_model(
        self, info: AtriumInfo, input: i.RunThreatModelInput
    ) -> i.AnalysisPayload:
        row, errors = await run_mutation(
            info,
            lambda c, s: analyses.request_analysis(
                c,
                s,
                architecture_id=input.architecture_id,
                kind=AnalysisKind.THREATS,
                wait=input.wait,
            ),
        )
        return i.AnalysisPayload(analysis=_analysis(row), user_errors=errors)

    @strawberry.mutation(description="Mark a threat MITIGATED or ACCEPTED, or OPEN again.")
    async def set_threat_status(
        self, info: AtriumInfo, input: i.SetThreatStatusInput
    ) -> i.ThreatStatusPayload:
        _, errors = await run_mutation(
            info,
            lambda c, s: threats.set_threat_status(
                c,
                s,
                architecture_id=input.architecture_id,
                threat_id=input.threat_id,
                status=input.status,
                note=input.note,
            ),
        )
        if errors:
            return i.ThreatStatusPayload(threat_id=None, status=None, user_errors=errors)
        return i.ThreatStatusPayload(threat_id=input.threat_id, status=input.status, user_errors=[])

    @strawberry.mutation(description="Generate an RFC, ADR or runbook in Markdown with a diagram.")
    async def generate_document(
        self, info: AtriumInfo, input: i.GenerateDocumentInput
    ) -> i.DocumentPayload:
        result, errors = await run_mutation(
            info,
            lambda c, s: documents.generate_document(
                c,
                s,
                architecture_id=input.architecture_id,
                kind=input.kind,
                title=input.title,
                context_text=input.context,
                decision_text=input.decision,
                consequences_text=input.consequences,
            ),
        )
        document, adr = result if result else (None, None)
        return i.DocumentPayload(
            document=Document.from_model(document) if document else None,
            adr=Adr.from_model(adr) if adr else None,
            user_errors=errors,
        )

    @strawberry.mutation(description="Accept, deprecate or supersede an ADR.")
    async def set_adr_status(self, info: AtriumInfo, input: i.SetAdrStatusInput) -> i.AdrPayload:
        row, errors = await run_mutation(
            info,
            lambda c, s: documents.set_adr_status(
                c, s, adr_id=input.id, status=input.status, superseded_by_id=input.superseded_by_id
            ),
        )
        return i.AdrPayload(adr=Adr.from_model(row) if row else None, user_errors=errors)

    @strawberry.mutation(description="Create a share link; its token is returned only now.")
    async def create_share_link(
        self, info: AtriumInfo, input: i.CreateShareLinkInput
    ) -> i.CreateShareLinkPayload:
        result, errors = await run_mutation(
            info,
            lambda c, s: sharing.create_share_link(
                c,
                s,
                architecture_id=input.architecture_id,
                permission=input.permission,
                expires_in_days=input.expires_in_days,
            ),
        )
        link, token = result if result else (None, None)
        return i.CreateShareLinkPayload(
            share_link=ShareLink.from_model(link) if link else None, token=token, user_errors=errors
        )

    @strawberry.mutation(description="Revoke a share link at once.")
    async def revoke_share_link(self, info: AtriumInfo, input: i.IdInput) -> i.ShareLinkPayload:
        row, errors = await run_mutation(
            info, lambda c, s: sharing.revoke_share_link(c, s, input.id)
        )
        return i.ShareLinkPayload(
            share_link=ShareLink.from_model(row) if row else None, user_errors=errors
        )

    @strawberry.mutation(description="Comment on an architecture as a member.")
    async def add_architecture_comment(
        self, info: AtriumInfo, input: i.AddCommentInput
    ) -> i.CommentPayload:
        row, errors = await run_mutation(
            info,
            lambda c, s: sharing.add_comment(
                c, s, architecture_id=input.architecture_id, body=input.body
            ),
        )
        return i.CommentPayload(
            comment=Comment.from_model(row) if row else None, user_errors=errors
        )

    @strawberry.mutation(description="Comment through a COMMENT share link (no sign-in needed).")
    async def add_shared_comment(
        self, info: AtriumInfo, input: i.AddSharedCommentInput
    ) -> i.SharedCommentPayload:
        row, errors = await run_mutation(
            info,
            lambda c, s: sharing.add_shared_comment(
                c, s, token=input.token, body=input.body, author_name=input.author_name
            ),
        )
        comment = (
            SharedComment(body=row.body, author_name=row.author_name, created_at=row.created_at)
            if row
            else None
        )
        return i.SharedCommentPayload(comment=comment, user_errors=errors)
