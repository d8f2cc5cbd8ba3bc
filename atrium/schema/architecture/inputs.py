"""Inputs and payloads of the architecture mutations."""

from __future__ import annotations

from typing import Any

import strawberry

from atrium.engines.architecture.model import ArchitectureSpec, CloudProvider
from atrium.models import architecture as models
from atrium.resolvers.architecture.catalog_check import default_region
from atrium.resolvers.architecture.designs import SpecChanges
from atrium.schema.architecture.sharing import Comment, SharedComment, ShareLink
from atrium.schema.architecture.spec import ComponentInput, LinkInput, TrustZoneInput
from atrium.schema.architecture.types import Adr, Analysis, Architecture, Document
from atrium.schema.common import UserError


def _errors() -> list[UserError]:
    return strawberry.field(description="Why it failed, if it did.")


@strawberry.input(description="A new architecture; every part of the design is optional.")
class CreateArchitectureInput:
    title: str = strawberry.field(description="Title (1-200 characters).")
    organization_id: strawberry.ID | None = strawberry.field(
        default=None, description="Organization; the credential's only one when omitted."
    )
    description: str | None = strawberry.field(default=None, description="What it is for.")
    cloud_provider: CloudProvider = strawberry.field(default=CloudProvider.AWS, description="AWS.")
    region: str | None = strawberry.field(
        default=None, description="Region; the provider's base region when omitted."
    )
    peak_factor: float = strawberry.field(default=3.0, description="Peak / average traffic.")
    components: list[ComponentInput] = strawberry.field(default_factory=list, description="Parts.")
    links: list[LinkInput] = strawberry.field(default_factory=list, description="Data flows.")
    trust_zones: list[TrustZoneInput] = strawberry.field(
        default_factory=list, description="Trust boundaries."
    )
    summary: str | None = strawberry.field(default=None, description="Note for version 1.")

    def to_spec(self) -> ArchitectureSpec:
        return ArchitectureSpec(
            provider=self.cloud_provider,
            region=self.region or default_region(self.cloud_provider),
            peak_factor=self.peak_factor,
            components=tuple(c.to_engine() for c in self.components),
            links=tuple(link.to_engine() for link in self.links),
            trust_zones=tuple(z.to_engine() for z in self.trust_zones),
        )


@strawberry.input(
    description="A change to an architecture: given fields replace the current ones "
    "(lists replace whole lists); omitted ones stay."
)
class UpdateArchitectureInput:
    id: strawberry.ID = strawberry.field(description="The architecture.")
    expected_version: int | None = strawberry.field(
        default=None,
        description="The version you edited; if it is no longer the latest, the update is a "
        "CONFLICT instead of overwriting someone's change. Always send it from a UI.",
    )
    title: str | None = strawberry.field(default=None, description="New title.")
    description: str | None = strawberry.field(default=None, description="New description.")
    cloud_provider: CloudProvider | None = strawberry.field(default=None, description="Provider.")
    region: str | None = strawberry.field(
        default=None, description="Region (the new provider's base region if only it changes)."
    )
    peak_factor: float | None = strawberry.field(default=None, description="Peak / average.")
    components: list[ComponentInput] | None = strawberry.field(default=None, description="Parts.")
    links: list[LinkInput] | None = strawberry.field(default=None, description="Data flows.")
    trust_zones: list[TrustZoneInput] | None = strawberry.field(default=None, description="Zones.")
    summary: str | None = strawberry.field(
        default=None, description="What you changed; computed from the diff when omitted."
    )

    def to_changes(self) -> SpecChanges:
        region = self.region
        if region is None and self.cloud_provider is not None:
            region = default_region(self.cloud_provider)
        return SpecChanges(
            provider=self.cloud_provider,
            region=region,
            peak_factor=self.peak_factor,
            components=_tuple(self.components),
            links=_tuple(self.links),
            trust_zones=_tuple(self.trust_zones),
        )


def _tuple(
    items: list[ComponentInput] | list[LinkInput] | list[TrustZoneInput] | None,
) -> tuple[Any, ...] | None:
    return None if items is None else tuple(item.to_engine() for item in items)


@strawberry.input(description="An object by ID.")
class IdInput:
    id: strawberry.ID = strawberry.field(description="Its ID.")


@strawberry.input(description="Make an old version the latest again (as a new version).")
class RestoreArchitectureVersionInput:
    id: strawberry.ID = strawberry.field(description="The architecture.")
    version: int = strawberry.field(description="The version to restore.")
    expected_version: int | None = strawberry.field(default=None, description="As in updates.")


@strawberry.input(description="A cost estimate at scale points.")
class RunCostAnalysisInput:
    architecture_id: strawberry.ID = strawberry.field(description="The architecture.")
    scale_points: list[int] | None = strawberry.field(
        default=None, description="Daily active users to price (default 1k, 10k, 100k)."
    )
    region: str | None = strawberry.field(default=None, description="Price in this region.")
    wait: bool = strawberry.field(
        default=False, description="Run now and return the result instead of queueing a job."
    )


@strawberry.input(description="A capacity and latency model at scale points.")
class RunScalabilityAnalysisInput:
    architecture_id: strawberry.ID = strawberry.field(description="The architecture.")
    scale_points: list[int] | None = strawberry.field(
        default=None, description="Daily active users (default 1k, 10k, 100k)."
    )
    wait: bool = strawberry.field(default=False, description="Run now instead of queueing.")


@strawberry.input(description="A STRIDE threat model.")
class RunThreatModelInput:
    architecture_id: strawberry.ID = strawberry.field(description="The architecture.")
    wait: bool = strawberry.field(default=False, description="Run now instead of queueing.")


@strawberry.input(description="A verdict on one threat; it survives re-analysis.")
class SetThreatStatusInput:
    architecture_id: strawberry.ID = strawberry.field(description="The architecture.")
    threat_id: str = strawberry.field(description="The threat's ID (a stable fingerprint).")
    status: models.ThreatStatus = strawberry.field(description="OPEN clears the verdict.")
    note: str | None = strawberry.field(default=None, description="Why.")


@strawberry.input(description="Generate an RFC, ADR or runbook from the latest design.")
class GenerateDocumentInput:
    architecture_id: strawberry.ID = strawberry.field(description="The architecture.")
    kind: models.DocumentKind = strawberry.field(description="RFC, ADR or RUNBOOK.")
    title: str | None = strawberry.field(default=None, description="Title (ADR: the decision).")
    context: str | None = strawberry.field(default=None, description="ADR: the forces at play.")
    decision: str | None = strawberry.field(default=None, description="ADR: what was decided.")
    consequences: str | None = strawberry.field(default=None, description="ADR: what follows.")


@strawberry.input(description="Move an ADR through its lifecycle.")
class SetAdrStatusInput:
    id: strawberry.ID = strawberry.field(description="The ADR.")
    status: models.AdrStatus = strawberry.field(description="New status.")
    superseded_by_id: strawberry.ID | None = strawberry.field(
        default=None, description="Required for SUPERSEDED: the ADR that replaces it."
    )


@strawberry.input(description="A share link to an architecture.")
class CreateShareLinkInput:
    architecture_id: strawberry.ID = strawberry.field(description="The architecture.")
    permission: models.SharePermission = strawberry.field(
        default=models.SharePermission.VIEW, description="VIEW or COMMENT."
    )
    expires_in_days: int | None = strawberry.field(
        default=None, description="1-365 days; never expires when omitted."
    )


@strawberry.input(description="A member's comment on an architecture.")
class AddCommentInput:
    architecture_id: strawberry.ID = strawberry.field(description="The architecture.")
    body: str = strawberry.field(description="The comment.")


@strawberry.input(description="A comment through a COMMENT share link; no sign-in needed.")
class AddSharedCommentInput:
    token: str = strawberry.field(description="The share token.")
    body: str = strawberry.field(description="The comment.")
    author_name: str | None = strawberry.field(default=None, description="Your name.")


@strawberry.type(description="Result of changing an architecture.")
class ArchitecturePayload:
    architecture: Architecture | None = strawberry.field(description="It, as it is now.")
    user_errors: list[UserError] = _errors()


@strawberry.type(description="Result of deleting an architecture.")
class DeleteArchitecturePayload:
    deleted_id: strawberry.ID | None = strawberry.field(description="The deleted ID.")
    user_errors: list[UserError] = _errors()


@strawberry.type(description="Result of requesting an analysis.")
class AnalysisPayload:
    analysis: Analysis | None = strawberry.field(description="PENDING, or finished if `wait`.")
    user_errors: list[UserError] = _errors()


@strawberry.type(description="Result of setting a threat's status.")
class ThreatStatusPayload:
    threat_id: str | None = strawberry.field(description="The threat.")
    status: models.ThreatStatus | None = strawberry.field(description="Its status now.")
    user_errors: list[UserError] = _errors()


@strawberry.type(description="Result of generating a document.")
class DocumentPayload:
    document: Document | None = strawberry.field(description="The document.")
    adr: Adr | None = strawberry.field(description="The ADR record, for ADR documents.")
    user_errors: list[UserError] = _errors()


@strawberry.type(description="Result of changing an ADR.")
class AdrPayload:
    adr: Adr | None = strawberry.field(description="The ADR.")
    user_errors: list[UserError] = _errors()


@strawberry.type(description="Result of creating a share link.")
class CreateShareLinkPayload:
    share_link: ShareLink | None = strawberry.field(description="The link.")
    token: str | None = strawberry.field(description="The token, shown only now.")
    user_errors: list[UserError] = _errors()


@strawberry.type(description="Result of revoking a share link.")
class ShareLinkPayload:
    share_link: ShareLink | None = strawberry.field(description="The link.")
    user_errors: list[UserError] = _errors()


@strawberry.type(description="Result of adding a member's comment.")
class CommentPayload:
    comment: Comment | None = strawberry.field(description="The comment.")
    user_errors: list[UserError] = _errors()


@strawberry.type(description="Result of adding a comment through a share link.")
class SharedCommentPayload:
    comment: SharedComment | None = strawberry.field(description="The comment.")
    user_errors: list[UserError] = _errors()
