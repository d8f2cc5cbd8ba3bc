"""Knowledge bases: create, ingest, connectors synced on a schedule, agent links.

Ingesting replaces a document (same base, same path) in one transaction: its old chunks
go, the new ones come, and the full-text index follows through the migration's triggers
(SQLite) or expression index (PostgreSQL). An unchanged document (same content hash) is
left alone, so a connector re-sync costs a hash per file.
"""

from __future__ import annotations

import asyncio
import fnmatch
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from atrium.core.context import Context
from atrium.core.errors import UserError, UserErrorCode, UserErrors
from atrium.core.jobs import JobContext, PermanentJobError, job_handler, periodic_job
from atrium.core.policy import Action
from atrium.engines import cron
from atrium.engines.knowledge.chunking import chunk_document, content_hash
from atrium.models.agents import Agent
from atrium.models.knowledge import (
    AgentKnowledgeBase,
    ConnectorKind,
    ConnectorStatus,
    DocumentFormat,
    DocumentSource,
    KnowledgeBase,
    KnowledgeChunk,
    KnowledgeConnector,
    KnowledgeDocument,
)
from atrium.models.repositories import Repository
from atrium.resolvers.access import get_for_action, not_found, require
from atrium.resolvers.repositories.repositories import local_allowed

SYNC_JOB = "knowledge.sync"
TICK_JOB = "knowledge.tick"
MAX_DOCUMENT = 2_000_000  # characters
MAX_FILES = 5_000


async def create_base(
    context: Context, session: AsyncSession, organization_id: str, name: str, description: str
) -> KnowledgeBase:
    require(context, organization_id, Action.WRITE, field=("organizationId",))
    name = name.strip()
    if not name:
        raise UserErrors.single("Give it a name", UserErrorCode.REQUIRED, ("name",))
    if len(name) > 200:
        raise UserErrors.single("At most 200 characters", UserErrorCode.TOO_LONG, ("name",))
    taken = await session.scalar(
        select(KnowledgeBase.id).where(
            KnowledgeBase.organization_id == organization_id, KnowledgeBase.name == name
        )
    )
    if taken:
        raise UserErrors.single(
            f"A knowledge base named '{name}' exists", UserErrorCode.ALREADY_EXISTS, ("name",)
        )
    base = KnowledgeBase(
        organization_id=organization_id,
        name=name,
        description=description,
        created_by_id=context.principal.user_id,
    )
    session.add(base)
    await session.flush()
    return base


async def delete_base(context: Context, session: AsyncSession, base_id: str) -> str:
    base = await get_for_action(context, session, KnowledgeBase, base_id, Action.WRITE)
    await session.execute(delete(KnowledgeChunk).where(KnowledgeChunk.knowledge_base_id == base.id))
    await session.delete(base)
    await session.flush()
    return base_id


async def store_document(
    session: AsyncSession,
    base: KnowledgeBase,
    *,
    path: str,
    title: str,
    text: str,
    format: DocumentFormat,
    source: DocumentSource,
    connector_id: str | None = None,
) -> tuple[KnowledgeDocument, bool]:
    """Create or replace the document at ``path``; (document, whether it changed)."""
    digest = content_hash(text)
    document = await session.scalar(
        select(KnowledgeDocument).where(
            KnowledgeDocument.knowledge_base_id == base.id, KnowledgeDocument.path == path
        )
    )
    if document is not None and document.content_hash == digest and document.title == title:
        return document, False
    if document is None:
        document = KnowledgeDocument(
            organization_id=base.organization_id,
            knowledge_base_id=base.id,
            path=path,
            source=source,
            connector_id=connector_id,
        )
        session.add(document)
    else:
        await session.execute(
            delete(KnowledgeChunk).where(KnowledgeChunk.document_id == document.id)
        )
    chunks = chunk_document(text, markdown=format is DocumentFormat.MARKDOWN)
    document.title = title
    document.format = format
    document.content_hash = digest
    document.size = len(text)
    document.chunk_count = len(chunks)
    await session.flush()
    session.add_all(
        KnowledgeChunk(
            organization_id=base.organization_id,
            knowledge_base_id=base.id,
            document_id=document.id,
            ordinal=chunk.ordinal,
            heading=chunk.heading,
            text=chunk.text,
        )
        for chunk in chunks
    )
    await session.flush()
    return document, True


def format_of(name: str, given: DocumentFormat | None) -> DocumentFormat:
    if given is not None:
        return given
    return (
        DocumentFormat.MARKDOWN
        if name.lower().endswith((".md", ".markdown"))
        else (DocumentFormat.TEXT)
    )


async def ingest(
    context: Context,
    session: AsyncSession,
    base_id: str,
    *,
    name: str,
    content: str,
    title: str | None = None,
    format: DocumentFormat | None = None,
) -> KnowledgeDocument:
    """An upload: text or Markdown, named (the name is its path in the base)."""
    base = await get_for_action(
        context, session, KnowledgeBase, base_id, Action.WRITE, field=("knowledgeBaseId",)
    )
    errors: list[UserError] = []
    if not name.strip() or len(name) > 1000:
        errors.append(UserError("Give a file name (up to 1,000)", UserErrorCode.INVALID, ("name",)))
    if not content.strip():
        errors.append(UserError("The document is empty", UserErrorCode.REQUIRED, ("content",)))
    elif len(content) > MAX_DOCUMENT:
        errors.append(
            UserError(f"At most {MAX_DOCUMENT:,} characters", UserErrorCode.TOO_LONG, ("content",))
        )
    if "\x00" in content:
        errors.append(UserError("Binary content is not text", UserErrorCode.INVALID, ("content",)))
    if errors:
        raise UserErrors(errors)
    document, _ = await store_document(
        session,
        base,
        path=name.strip(),
        title=(title or Path(name).stem or name).strip()[:500],
        text=content,
        format=format_of(name, format),
        source=DocumentSource.UPLOAD,
    )
    return document


async def delete_document(context: Context, session: AsyncSession, document_id: str) -> str:
    document = await get_for_action(context, session, KnowledgeDocument, document_id, Action.WRITE)
    await session.execute(delete(KnowledgeChunk).where(KnowledgeChunk.document_id == document.id))
    await session.delete(document)
    await session.flush()
    return document_id


# --- connectors --------------------------------------------------------------------------


def _next_sync(schedule: str | None) -> datetime | None:
    if not schedule:
        return None
    return cron.next_after(schedule, datetime.now(UTC))


async def add_connector(
    context: Context,
    session: AsyncSession,
    base_id: str,
    *,
    kind: ConnectorKind,
    path: str | None,
    repository_id: str | None,
    patterns: list[str] | None,
    schedule: str | None,
) -> KnowledgeConnector:
    base = await get_for_action(
        context, session, KnowledgeBase, base_id, Action.WRITE, field=("knowledgeBaseId",)
    )
    errors: list[UserError] = []
    if kind is ConnectorKind.FOLDER:
        if not path or not Path(path).is_absolute():
            errors.append(
                UserError("Give an absolute folder path", UserErrorCode.INVALID, ("path",))
            )
        elif not local_allowed(context.settings):
            errors.append(
                UserError("Local folders are off here", UserErrorCode.FORBIDDEN, ("path",))
            )
    else:
        repository = await session.get(Repository, repository_id) if repository_id else None
        if repository is None or repository.organization_id != base.organization_id:
            errors.append(
                UserError("Repository not found", UserErrorCode.NOT_FOUND, ("repositoryId",))
            )
    if schedule and not cron.is_valid(schedule):
        errors.append(
            UserError(f"Not a cron expression: '{schedule}'", UserErrorCode.INVALID, ("schedule",))
        )
    if errors:
        raise UserErrors(errors)
    connector = KnowledgeConnector(
        organization_id=base.organization_id,
        knowledge_base_id=base.id,
        kind=kind,
        path=path if kind is ConnectorKind.FOLDER else None,
        repository_id=repository_id if kind is ConnectorKind.REPOSITORY else None,
        patterns=",".join(patterns or ["**/*.md", "**/*.txt"])[:500],
        schedule=schedule,
        next_sync_at=_next_sync(schedule),
    )
    session.add(connector)
    await session.flush()
    await queue_sync(context, session, connector)
    return connector


async def queue_sync(
    context: Context, session: AsyncSession, connector: KnowledgeConnector
) -> None:
    connector.status = ConnectorStatus.SYNCING
    await session.flush()
    await context.enqueue(
        session, SYNC_JOB, {"connector_id": connector.id}, organization_id=connector.organization_id
    )


async def sync_connector_now(
    context: Context, session: AsyncSession, connector_id: str
) -> KnowledgeConnector:
    connector = await get_for_action(
        context, session, KnowledgeConnector, connector_id, Action.WRITE
    )
    await queue_sync(context, session, connector)
    return connector


async def remove_connector(context: Context, session: AsyncSession, connector_id: str) -> str:
    connector = await get_for_action(
        context, session, KnowledgeConnector, connector_id, Action.WRITE
    )
    documents = select(KnowledgeDocument.id).where(KnowledgeDocument.connector_id == connector.id)
    await session.execute(delete(KnowledgeChunk).where(KnowledgeChunk.document_id.in_(documents)))
    await session.delete(connector)
    await session.flush()
    return connector_id


@dataclass(frozen=True)
class _File:
    path: str
    text: str


def _read_folder(root: Path, patterns: list[str]) -> list[_File]:
    """Text files under ``root`` matching ``patterns`` (as relative paths), sorted."""
    if not root.is_dir():
        raise PermanentJobError(f"Not a folder: {root}")
    found: list[_File] = []
    for file in sorted(root.rglob("*")):
        if len(found) >= MAX_FILES:
            break
        relative = file.relative_to(root).as_posix()
        if ".git" in file.relative_to(root).parts or not file.is_file():
            continue
        if not any(
            fnmatch.fnmatch(relative, p) or fnmatch.fnmatch(relative, p.removeprefix("**/"))
            for p in patterns
        ):
            continue
        try:
            text = file.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue  # binary or unreadable: not knowledge
        if text.strip() and len(text) <= MAX_DOCUMENT:
            found.append(_File(relative, text))
    return found


@job_handler(SYNC_JOB)
async def sync(job: JobContext, payload: dict[str, Any]) -> dict[str, Any]:
    """Read the connector's files; store new and changed ones, drop the ones gone."""
    context = Context.for_job(job)
    try:
        async with context.session() as session:
            connector = await session.get(KnowledgeConnector, payload["connector_id"])
            if connector is None:
                return {"status": "DELETED"}
            root: str | None = connector.path
            if connector.kind is ConnectorKind.REPOSITORY:
                repository = await session.get(Repository, connector.repository_id)
                root = repository.work_path if repository else None
            patterns = [p.strip() for p in connector.patterns.split(",") if p.strip()]
        await context.commit()
        try:
            if root is None:
                raise PermanentJobError("The repository has no working copy yet")
            files = await asyncio.to_thread(_read_folder, Path(root), patterns)
        except PermanentJobError as error:
            async with context.session() as session:
                connector.status = ConnectorStatus.ERROR
                connector.error = str(error)
                session.add(connector)
            await context.commit()
            raise
        changed = 0
        async with context.session() as session:
            connector = await session.get(KnowledgeConnector, payload["connector_id"])
            base = (
                await session.get(KnowledgeBase, connector.knowledge_base_id) if connector else None
            )
            if connector is None or base is None:
                return {"status": "DELETED"}
            for file in files:
                _, was_changed = await store_document(
                    session,
                    base,
                    path=file.path,
                    title=Path(file.path).stem,
                    text=file.text,
                    format=format_of(file.path, None),
                    source=DocumentSource.CONNECTOR,
                    connector_id=connector.id,
                )
                changed += was_changed
            gone = select(KnowledgeDocument.id).where(
                KnowledgeDocument.connector_id == connector.id,
                KnowledgeDocument.path.not_in([f.path for f in files] or [""]),
            )
            gone_ids = list((await session.scalars(gone)).all())
            if gone_ids:
                await session.execute(
                    delete(KnowledgeChunk).where(KnowledgeChunk.document_id.in_(gone_ids))
                )
                await session.execute(
                    delete(KnowledgeDocument).where(KnowledgeDocument.id.in_(gone_ids))
                )
            connector.status = ConnectorStatus.IDLE
            connector.error = None
            connector.last_synced_at = datetime.now(UTC)
        await context.commit()
        return {"files": len(files), "changed": changed, "removed": len(gone_ids)}
    finally:
        await context.close()


@periodic_job(TICK_JOB, 60.0)
async def tick(job: JobContext, payload: dict[str, Any]) -> dict[str, Any]:
    """Queue a sync of every connector whose schedule has come (each slot once)."""
    context = Context.for_job(job)
    queued = 0
    try:
        now = datetime.now(UTC)
        async with context.session() as session:
            due = (
                await session.execute(
                    select(
                        KnowledgeConnector.id,
                        KnowledgeConnector.next_sync_at,
                        KnowledgeConnector.schedule,
                    )
                    .where(KnowledgeConnector.next_sync_at <= now)
                    .limit(200)
                )
            ).all()
            for connector_id, slot, schedule in due:
                moved = await session.execute(
                    update(KnowledgeConnector)
                    .where(
                        KnowledgeConnector.id == connector_id,
                        KnowledgeConnector.next_sync_at == slot,
                    )
                    .values(next_sync_at=_next_sync(schedule), status=ConnectorStatus.SYNCING)
                )
                if moved.rowcount:  # type: ignore[attr-defined]
                    await context.enqueue(session, SYNC_JOB, {"connector_id": connector_id})
                    queued += 1
        await context.commit()
        return {"queued": queued}
    finally:
        await context.close()


# --- agents ------------------------------------------------------------------------------


async def link_agent(
    context: Context, session: AsyncSession, agent_id: str, base_id: str, *, linked: bool
) -> Agent:
    agent = await get_for_action(
        context, session, Agent, agent_id, Action.WRITE, field=("agentId",)
    )
    base = await session.get(KnowledgeBase, base_id)
    if base is None or base.organization_id != agent.organization_id:
        raise not_found("KnowledgeBase", base_id, ("knowledgeBaseId",))
    existing = await session.scalar(
        select(AgentKnowledgeBase).where(
            AgentKnowledgeBase.agent_id == agent.id, AgentKnowledgeBase.knowledge_base_id == base.id
        )
    )
    if linked and existing is None:
        session.add(
            AgentKnowledgeBase(
                organization_id=agent.organization_id, agent_id=agent.id, knowledge_base_id=base.id
            )
        )
    elif not linked and existing is not None:
        await session.delete(existing)
    await session.flush()
    return agent
