"""The architecture of a project's code: reviews, detected conventions and ADRs.

A review is a durable job over a repository's synced HEAD (in a temporary worktree): the
engine's import-graph overview, flagged cycles, oversized modules and layer violations
(when the project's ``settings.layers`` lists module prefixes from top to bottom, e.g.
``["app.api", "app.core"]``, a module may import only its own layer or those below it),
and the conventions detected from the code, whose confirmed or dismissed status survives
later reviews.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from atrium.core.context import Context
from atrium.core.errors import UserError, UserErrorCode, UserErrors
from atrium.core.jobs import JobContext, PermanentJobError, job_handler
from atrium.core.policy import Action
from atrium.engines import health as engine
from atrium.models.architecture import Adr, AdrStatus
from atrium.models.health import ArchitectureReview, AssessmentStatus, Convention, ConventionStatus
from atrium.models.projects import Project, ProjectRepository
from atrium.models.repositories import Repository, RepositoryStatus
from atrium.resolvers.access import get_for_action, not_found
from atrium.resolvers.architecture.documents import set_adr_status
from atrium.resolvers.projects.projects import manageable
from atrium.resolvers.repositories import git

REVIEW_JOB = "health.architecture_review"


async def trigger_review(
    context: Context, session: AsyncSession, *, project_id: str, repository_id: str | None
) -> ArchitectureReview:
    project = await manageable(context, session, project_id, ("projectId",))
    stmt = (
        select(Repository)
        .join(ProjectRepository, ProjectRepository.repository_id == Repository.id)
        .where(ProjectRepository.project_id == project.id)
        .order_by(Repository.name)
    )
    if repository_id is not None:
        stmt = stmt.where(Repository.id == repository_id)
    repository = (await session.scalars(stmt)).first()
    if repository is None:
        raise not_found("Repository", repository_id or "", ("repositoryId",))
    if repository.status is not RepositoryStatus.READY:
        raise UserErrors.single("Not synced yet", UserErrorCode.CONFLICT, ("repositoryId",))
    review = ArchitectureReview(
        organization_id=project.organization_id, project_id=project.id, repository_id=repository.id
    )
    session.add(review)
    await session.flush()
    await context.enqueue(
        session, REVIEW_JOB, {"review_id": review.id}, organization_id=project.organization_id
    )
    return review


def review_issues(overview: engine.Overview, layers: list[str]) -> list[dict[str, Any]]:
    """What a reviewer flags: cycles, oversized modules, imports against the layer order."""
    issues: list[dict[str, Any]] = [
        {
            "type": "CYCLE",
            "severity": "HIGH",
            "modules": list(cycle),
            "message": "Import cycle: " + " -> ".join([*cycle, cycle[0]]),
        }
        for cycle in overview.cycles
    ]
    issues += [
        {
            "type": "OVERSIZED_MODULE",
            "severity": "MEDIUM",
            "modules": [m.name],
            "message": f"{m.path} has {m.lines_of_code} lines of code",
        }
        for m in overview.oversized_modules
    ]
    rank = {name: i for i, name in enumerate(layers)}

    def layer_of(module: str) -> str | None:
        """The configured layer a module is in: the longest layer name prefixing it."""
        matches = [name for name in layers if module == name or module.startswith(name + ".")]
        return max(matches, key=len) if matches else None

    for dep in overview.dependencies:
        source, target = layer_of(dep.source), layer_of(dep.target)
        if source is not None and target is not None and rank[target] < rank[source]:
            issues.append(
                {
                    "type": "LAYER_VIOLATION",
                    "severity": "MEDIUM",
                    "modules": [dep.source, dep.target],
                    "message": f"{dep.source} ({source}) imports {dep.target} ({target})",
                }
            )
    return issues


@job_handler(REVIEW_JOB)
async def run_review(job: JobContext, payload: dict[str, Any]) -> dict[str, Any]:
    async with job.db.sessionmaker() as session:
        review = await session.get(ArchitectureReview, payload["review_id"])
        if review is None:
            raise PermanentJobError("review no longer exists")
        repository = await session.get(Repository, review.repository_id)
        project = await session.get(Project, review.project_id)
        if repository is None or repository.work_path is None or project is None:
            raise PermanentJobError("repository or project no longer exists")
        review.status = AssessmentStatus.RUNNING
        await session.commit()
        work = repository.work_path
        scratch = Path(tempfile.mkdtemp(prefix="atrium-review-"))
        tree = scratch / "tree"
        try:
            commit = await git.head_commit(work)
            await git.git("worktree", "add", "--detach", str(tree), commit, cwd=work)
            overview, conventions = await asyncio.gather(
                asyncio.to_thread(engine.architecture_overview, tree),
                asyncio.to_thread(engine.detect_conventions, tree),
            )
        except git.GitError as error:
            review.status, review.error = AssessmentStatus.FAILED, error.message[:2000]
            review.completed_at = datetime.now(UTC)
            await session.commit()
            return {"status": "FAILED"}
        finally:
            with contextlib.suppress(git.GitError):
                await git.git("worktree", "remove", "--force", str(tree), cwd=work)
            shutil.rmtree(scratch, ignore_errors=True)
        layers = [str(x) for x in (project.settings or {}).get("layers", [])]
        review.commit = commit
        review.overview = overview.to_dict()
        review.issues = review_issues(overview, layers)
        review.status = AssessmentStatus.COMPLETED
        review.completed_at = datetime.now(UTC)
        await _store_conventions(session, review, conventions)
        await session.commit()
        return {"status": "COMPLETED", "issues": len(review.issues)}


async def _store_conventions(
    session: AsyncSession, review: ArchitectureReview, found: list[engine.Convention]
) -> None:
    existing = {
        row.key: row
        for row in (
            await session.scalars(
                select(Convention).where(Convention.project_id == review.project_id)
            )
        ).all()
    }
    for convention in found:
        row = existing.get(convention.key)
        if row is None:
            row = Convention(
                organization_id=review.organization_id,
                project_id=review.project_id,
                key=convention.key,
            )
            session.add(row)
        row.kind = convention.kind.value.upper()
        row.description = convention.description
        row.adherence = convention.adherence
        row.examples = list(convention.examples)[:5]
        row.updated_at = datetime.now(UTC)


async def set_convention_status(
    context: Context,
    session: AsyncSession,
    *,
    convention_id: str,
    status: ConventionStatus,
    project_id: str | None = None,
) -> Convention:
    row = await get_for_action(context, session, Convention, convention_id, Action.WRITE)
    if project_id is not None and row.project_id != project_id:
        raise not_found("Convention", convention_id, ("id",))
    row.status = status
    await session.flush()
    return row


async def create_project_adr(
    context: Context,
    session: AsyncSession,
    *,
    project_id: str,
    title: str,
    context_text: str | None,
    decision: str | None,
    consequences: str | None,
) -> Adr:
    project = await get_for_action(
        context, session, Project, project_id, Action.WRITE, field=("projectId",)
    )
    errors = []
    if not title.strip():
        errors.append(UserError("Title can't be blank", UserErrorCode.REQUIRED, ("title",)))
    for field, value, limit in (
        ("title", title, 300),
        ("context", context_text, 20_000),
        ("decision", decision, 20_000),
        ("consequences", consequences, 20_000),
    ):
        if value is not None and len(value) > limit:
            errors.append(
                UserError(f"At most {limit} characters", UserErrorCode.TOO_LONG, (field,))
            )
    if errors:
        raise UserErrors(errors)
    adr = Adr(
        organization_id=project.organization_id,
        project_id=project.id,
        title=title.strip(),
        context=context_text or "",
        decision=decision or "",
        consequences=consequences or "",
        created_by_id=context.principal.user_id,
    )
    session.add(adr)
    await session.flush()
    return adr


async def update_adr(
    context: Context,
    session: AsyncSession,
    *,
    adr_id: str,
    title: str | None,
    context_text: str | None,
    decision: str | None,
    consequences: str | None,
    project_id: str | None = None,
    status: AdrStatus | None = None,
    superseded_by_id: str | None = None,
) -> Adr:
    """Change an ADR's text and, when ``status`` is given, move it along its lifecycle."""
    adr = await get_for_action(context, session, Adr, adr_id, Action.WRITE)
    if project_id is not None and adr.project_id != project_id:
        raise not_found("Adr", adr_id, ("id",))
    if title is not None and not title.strip():
        raise UserErrors.single("Title can't be blank", UserErrorCode.REQUIRED, ("title",))
    if status is not None:
        await set_adr_status(
            context, session, adr_id=adr.id, status=status, superseded_by_id=superseded_by_id
        )
    for name, value in (
        ("title", title),
        ("context", context_text),
        ("decision", decision),
        ("consequences", consequences),
    ):
        if value is not None:
            setattr(adr, name, value.strip() if name == "title" else value)
    await session.flush()
    return adr
