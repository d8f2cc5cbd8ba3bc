"""An analysis's result: the raw JSON for any client, typed views per kind for codegen."""

from __future__ import annotations

from typing import Any, cast

import strawberry
from strawberry.scalars import JSON

from atrium.models.architecture import AnalysisKind
from atrium.resolvers.architecture import loaders
from atrium.schema.architecture.reports import CostReport, ScalabilityReport
from atrium.schema.architecture.threats import ThreatModel
from atrium.schema.common import AtriumInfo


@strawberry.type(description="The result views of an analysis.")
class AnalysisResults:
    raw: strawberry.Private[dict[str, Any] | None]
    architecture_id: strawberry.Private[str]

    @strawberry.field(description="The whole result as JSON (snake_case keys), once completed.")
    def result(self) -> JSON | None:
        return cast("JSON", self.raw)

    @strawberry.field(description="The cost report (COST analyses, once completed).")
    def cost(self) -> CostReport | None:
        if self.raw is None or getattr(self, "kind", None) is not AnalysisKind.COST:
            return None
        return CostReport.from_result(self.raw)

    @strawberry.field(description="The scalability report (SCALABILITY analyses, once completed).")
    def scalability(self) -> ScalabilityReport | None:
        if self.raw is None or getattr(self, "kind", None) is not AnalysisKind.SCALABILITY:
            return None
        return ScalabilityReport.from_result(self.raw)

    @strawberry.field(
        description="The threat model with each threat's current status (THREATS analyses)."
    )
    async def threat_model(self, info: AtriumInfo) -> ThreatModel | None:
        if self.raw is None or getattr(self, "kind", None) is not AnalysisKind.THREATS:
            return None
        decisions = await info.context.loaders.get(loaders.threat_decisions_by_architecture).load(
            self.architecture_id
        )
        return ThreatModel.from_result(self.raw, decisions)
