"""Batch functions for the architecture domain: one statement per batch, tenant-filtered."""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

from sqlalchemy import Select, func, select, tuple_

from atrium.core.context import Context
from atrium.models.architecture import (
    Adr,
    Analysis,
    AnalysisKind,
    Architecture,
    ArchitectureVersion,
    Comment,
    Document,
    ShareLink,
    ThreatDecision,
)
from atrium.resolvers.loading import child_counts, child_pages, org_scoped, visible_org_ids

architectures_by_id = org_scoped(Architecture)
versions_by_id = org_scoped(ArchitectureVersion)
analyses_by_id = org_scoped(Analysis)
documents_by_id = org_scoped(Document)
adrs_by_id = org_scoped(Adr)
share_links_by_id = org_scoped(ShareLink)
comments_by_id = org_scoped(Comment)


def _visible(model: Any, *where: Any) -> Any:
    def base(context: Context) -> Select[Any]:
        return select(model).where(model.organization_id.in_(visible_org_ids(context)), *where)

    base.__name__ = f"visible_{model.__tablename__}"
    return base


def _children(model: Any, *where: Any) -> tuple[Any, Any]:
    base = _visible(model, *where)
    return (
        child_pages(model, model.architecture_id, base),
        child_counts(model, model.architecture_id, base),
    )


versions_by_architecture, version_counts = _children(ArchitectureVersion)
documents_by_architecture, document_counts = _children(Document)
adrs_by_architecture, adr_counts = _children(Adr)
share_links_by_architecture, share_link_counts = _children(ShareLink)
comments_by_architecture, comment_counts = _children(Comment)

# analyses(kind:) is one loader pair per kind, so each batch stays one statement.
ANALYSIS_LOADERS: dict[AnalysisKind | None, tuple[Any, Any]] = {
    None: _children(Analysis),
    **{kind: _children(Analysis, Analysis.kind == kind) for kind in AnalysisKind},
}


async def versions_by_number(
    context: Context, keys: list[tuple[str, int]]
) -> list[ArchitectureVersion | None]:
    stmt = select(ArchitectureVersion).where(
        tuple_(ArchitectureVersion.architecture_id, ArchitectureVersion.number).in_(keys),
        ArchitectureVersion.organization_id.in_(visible_org_ids(context)),
    )
    async with context.session() as session:
        rows = {(r.architecture_id, r.number): r for r in (await session.scalars(stmt)).all()}
    return [rows.get(key) for key in keys]


async def latest_analyses(
    context: Context, keys: list[tuple[str, AnalysisKind, bool]]
) -> list[Analysis | None]:
    """The newest analysis per (architecture, kind, completed only): a window, one statement."""
    wanted = {(arch, kind) for arch, kind, _ in keys}
    results: dict[Hashable, Analysis] = {}
    async with context.session() as session:
        for completed_only in {done for *_, done in keys}:
            where: list[Any] = [
                tuple_(Analysis.architecture_id, Analysis.kind).in_(list(wanted)),
                Analysis.organization_id.in_(visible_org_ids(context)),
            ]
            if completed_only:
                where.append(Analysis.status == "COMPLETED")
            ranked = (
                select(
                    Analysis.id,
                    func.row_number()
                    .over(
                        partition_by=(Analysis.architecture_id, Analysis.kind),
                        order_by=Analysis.id.desc(),
                    )
                    .label("rank"),
                )
                .where(*where)
                .subquery()
            )
            stmt = (
                select(Analysis).join(ranked, ranked.c.id == Analysis.id).where(ranked.c.rank == 1)
            )
            for row in (await session.scalars(stmt)).all():
                results[(row.architecture_id, row.kind, completed_only)] = row
    return [results.get(key) for key in keys]


async def threat_decisions_by_architecture(
    context: Context, keys: list[str]
) -> list[dict[str, ThreatDecision]]:
    """Each architecture's verdicts by threat ID."""
    stmt = select(ThreatDecision).where(
        ThreatDecision.architecture_id.in_(keys),
        ThreatDecision.organization_id.in_(visible_org_ids(context)),
    )
    found: dict[str, dict[str, ThreatDecision]] = {key: {} for key in keys}
    async with context.session() as session:
        for row in (await session.scalars(stmt)).all():
            found[row.architecture_id][row.threat_id] = row
    return [found[key] for key in keys]
