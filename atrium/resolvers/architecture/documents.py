"""RFC, ADR and runbook documents rendered from a design and its latest analyses.

A document is a snapshot: it records the version it was generated from and is never
re-rendered. An ADR also gets an ``Adr`` row whose status moves through the Nygard
lifecycle (PROPOSED, ACCEPTED, DEPRECATED, SUPERSEDED); the code-health domain writes
the same rows for projects.
"""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from atrium.core.context import Context
from atrium.core.errors import UserError, UserErrorCode, UserErrors
from atrium.core.policy import Action
from atrium.engines.architecture.documents import DocumentContext, render_document
from atrium.engines.architecture.documents import DocumentKind as EngineKind
from atrium.engines.architecture.model import ArchitectureSpec
from atrium.models.architecture import (
    Adr,
    AdrStatus,
    Analysis,
    AnalysisKind,
    AnalysisStatus,
    Architecture,
    Document,
    DocumentKind,
)
from atrium.resolvers.access import get_for_action
from atrium.resolvers.architecture import events

MAX_TITLE = 300
MAX_TEXT = 20_000

# Which moves an ADR's status may make (Nygard): superseding needs the successor.
ADR_TRANSITIONS: dict[AdrStatus, frozenset[AdrStatus]] = {
    AdrStatus.PROPOSED: frozenset({AdrStatus.ACCEPTED, AdrStatus.DEPRECATED}),
    AdrStatus.ACCEPTED: frozenset({AdrStatus.DEPRECATED, AdrStatus.SUPERSEDED}),
    AdrStatus.DEPRECATED: frozenset(),
    AdrStatus.SUPERSEDED: frozenset(),
}


async def latest_results(session: AsyncSession, architecture_id: str) -> dict[AnalysisKind, Any]:
    """The newest completed result of each kind (whatever version it was run on)."""
    rows = (
        await session.scalars(
            select(Analysis)
            .where(
                Analysis.architecture_id == architecture_id,
                Analysis.status == AnalysisStatus.COMPLETED,
            )
            .order_by(Analysis.id.desc())
        )
    ).all()
    latest: dict[AnalysisKind, Any] = {}
    for row in rows:
        latest.setdefault(row.kind, row.result)
    return latest


def _text_errors(values: dict[str, str | None]) -> list[UserError]:
    errors = []
    for field, value in values.items():
        limit = MAX_TITLE if field == "title" else MAX_TEXT
        if value is not None and len(value) > limit:
            errors.append(
                UserError(f"At most {limit} characters", UserErrorCode.TOO_LONG, (field,))
            )
    return errors


async def generate_document(
    context: Context,
    session: AsyncSession,
    *,
    architecture_id: str,
    kind: DocumentKind,
    title: str | None = None,
    context_text: str | None = None,
    decision_text: str | None = None,
    consequences_text: str | None = None,
) -> tuple[Document, Adr | None]:
    architecture = await get_for_action(
        context, session, Architecture, architecture_id, Action.WRITE, field=("architectureId",)
    )
    errors = _text_errors(
        {
            "title": title,
            "context": context_text,
            "decision": decision_text,
            "consequences": consequences_text,
        }
    )
    if errors:
        raise UserErrors(errors)
    results = await latest_results(session, architecture.id)
    doc_context = DocumentContext(
        title=architecture.title,
        description=architecture.description,
        version=architecture.version,
        spec=ArchitectureSpec.from_dict(architecture.spec),
        cost=results.get(AnalysisKind.COST),
        scalability=results.get(AnalysisKind.SCALABILITY),
        threats=results.get(AnalysisKind.THREATS),
        decision_title=title,
        context_text=context_text or "",
        decision_text=decision_text or "",
        consequences_text=consequences_text or "",
    )
    rendered = await asyncio.to_thread(render_document, EngineKind(kind.value), doc_context)
    document = Document(
        organization_id=architecture.organization_id,
        architecture_id=architecture.id,
        version=architecture.version,
        kind=kind,
        title=(title or rendered.title)[:MAX_TITLE],
        markdown=rendered.markdown,
        mermaid=rendered.mermaid,
        created_by_id=context.principal.user_id,
    )
    session.add(document)
    await session.flush()
    adr = None
    if kind is DocumentKind.ADR:
        adr = Adr(
            organization_id=architecture.organization_id,
            architecture_id=architecture.id,
            document_id=document.id,
            title=document.title,
            context=context_text or "",
            decision=decision_text or "",
            consequences=consequences_text or "",
            created_by_id=context.principal.user_id,
        )
        session.add(adr)
        await session.flush()
    await events.emit(
        context,
        session,
        events.DOCUMENT_GENERATED,
        architecture.organization_id,
        architecture.id,
        subject_id=document.id,
        document_id=document.id,
        kind=kind.value,
        version=architecture.version,
    )
    return document, adr


async def set_adr_status(
    context: Context,
    session: AsyncSession,
    *,
    adr_id: str,
    status: AdrStatus,
    superseded_by_id: str | None,
) -> Adr:
    adr = await get_for_action(context, session, Adr, adr_id, Action.WRITE)
    if status is adr.status:
        return adr
    if status not in ADR_TRANSITIONS[adr.status]:
        raise UserErrors.single(
            f"An ADR that is {adr.status.value} cannot become {status.value}",
            UserErrorCode.INVALID,
            ("status",),
        )
    if status is AdrStatus.SUPERSEDED:
        if superseded_by_id is None or superseded_by_id == adr.id:
            raise UserErrors.single(
                "Say which ADR supersedes this one", UserErrorCode.REQUIRED, ("supersededById",)
            )
        successor = await get_for_action(
            context, session, Adr, superseded_by_id, Action.READ, field=("supersededById",)
        )
        if successor.organization_id != adr.organization_id:
            raise UserErrors.single("ADR not found", UserErrorCode.NOT_FOUND, ("supersededById",))
        adr.superseded_by_id = successor.id
    adr.status = status
    await session.flush()
    return adr
