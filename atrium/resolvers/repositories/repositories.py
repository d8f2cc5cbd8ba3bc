"""Registering, syncing and deleting repositories, and their worktree environments.

Files change only after the database does: a clone happens in the ``repository.sync``
job (after the registering request committed), and directories are removed after the
deleting request commits, so a rolled-back request never loses or orphans anything.
Atrium removes only what it created: its clones and worktrees under the data directory.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import shutil
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from atrium.core.config import Environment as Env
from atrium.core.context import Context
from atrium.core.errors import UserError, UserErrorCode, UserErrors
from atrium.core.jobs import JobContext, PermanentJobError, job_handler
from atrium.core.policy import Action
from atrium.models.repositories import (
    Environment,
    EnvironmentStatus,
    Repository,
    RepositoryStatus,
)
from atrium.resolvers.access import default_organization, get_for_action, not_found, require
from atrium.resolvers.repositories import git

SYNC_JOB = "repository.sync"
# Called in the sync's transaction when a re-sync finds the default branch's head moved
# (a push): (context, session, repository, previous commit). Code health registers here.
HeadMovedHook = Callable[[Context, AsyncSession, Repository, str], Awaitable[object]]
HEAD_MOVED_HOOKS: list[HeadMovedHook] = []
REMOTE_SCHEMES = frozenset({"https", "http", "ssh", "git"})
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,199}$")


def local_allowed(settings: Any) -> bool:
    """Local paths and file:// URLs read the server's own disk: development and tests only."""
    allowed = getattr(settings, "allow_local_repositories", None)
    return allowed if allowed is not None else settings.env is not Env.PRODUCTION


def _default_name(url: str | None, path: str | None) -> str:
    source = (url or path or "").rstrip("/")
    name = source.rsplit("/", 1)[-1].removesuffix(".git")
    return re.sub(r"[^A-Za-z0-9_.-]", "-", name)[:200] or "repository"


def _resolved(path: str) -> str:
    """The canonical path, so one directory is one repository whatever the spelling."""
    return os.path.realpath(path)


def _source_errors(settings: Any, url: str | None, path: str | None) -> list[UserError]:
    if (url is None) == (path is None):
        return [UserError("Give a git URL or a local path", UserErrorCode.REQUIRED, ("url",))]
    if url is not None:
        scheme = urlparse(url).scheme
        if scheme == "file":
            if not local_allowed(settings):
                return [UserError("file:// URLs are off here", UserErrorCode.FORBIDDEN, ("url",))]
        elif scheme not in REMOTE_SCHEMES and not re.match(r"^[\w.-]+@[\w.-]+:", url):
            return [UserError("Not a git URL", UserErrorCode.INVALID, ("url",))]
        return []
    assert path is not None
    if not local_allowed(settings):
        return [UserError("Local paths are off here", UserErrorCode.FORBIDDEN, ("path",))]
    if not Path(path).is_absolute():
        return [UserError("Give an absolute path", UserErrorCode.INVALID, ("path",))]
    if not Path(path).is_dir():
        return [UserError("No such directory", UserErrorCode.NOT_FOUND, ("path",))]
    return []


async def register_repository(
    context: Context,
    session: AsyncSession,
    *,
    organization_id: str | None,
    url: str | None,
    path: str | None,
    name: str | None,
) -> Repository:
    organization_id = default_organization(context, organization_id)
    require(context, organization_id, Action.WRITE, field=("organizationId",))
    errors = _source_errors(context.settings, url, path)
    name = name or _default_name(url, path)
    if not NAME.match(name):
        errors.append(
            UserError("Use letters, digits, '_', '.' or '-'", UserErrorCode.INVALID, ("name",))
        )
    taken = await session.scalar(
        select(Repository.id).where(
            Repository.organization_id == organization_id, Repository.name == name
        )
    )
    if taken:
        errors.append(
            UserError("A repository with this name exists", UserErrorCode.ALREADY_EXISTS, ("name",))
        )
    if errors:
        raise UserErrors(errors)
    repository = Repository(
        organization_id=organization_id,
        name=name,
        url=url,
        local_path=_resolved(path) if path else None,
        created_by_id=context.principal.user_id,
    )
    session.add(repository)
    await session.flush()
    await queue_sync(context, session, repository)
    return repository


async def queue_sync(context: Context, session: AsyncSession, repository: Repository) -> None:
    await context.enqueue(
        session,
        SYNC_JOB,
        {"repository_id": repository.id},
        organization_id=repository.organization_id,
    )


async def resync_repository(
    context: Context, session: AsyncSession, repository_id: str
) -> Repository:
    repository = await get_for_action(context, session, Repository, repository_id, Action.WRITE)
    repository.status = RepositoryStatus.PENDING
    await session.flush()
    await queue_sync(context, session, repository)
    return repository


async def sync_repositories(
    context: Context,
    session: AsyncSession,
    *,
    organization_id: str | None,
    repository_ids: list[str] | None,
) -> list[Repository]:
    """Re-sync an organization's repositories (or those named), as a push notification would.

    A repository whose sync is already queued (PENDING) is left to it.
    """
    organization_id = default_organization(context, organization_id)
    require(context, organization_id, Action.WRITE, field=("organizationId",))
    stmt = select(Repository).where(Repository.organization_id == organization_id)
    if repository_ids is not None:
        stmt = stmt.where(Repository.id.in_(repository_ids))
    repositories = list((await session.scalars(stmt.order_by(Repository.name))).all())
    missing = [i for i in repository_ids or [] if i not in {r.id for r in repositories}]
    if missing:
        raise not_found("Repository", missing[0], ("repositoryIds",))
    for repository in repositories:
        if repository.status is not RepositoryStatus.PENDING:
            repository.status = RepositoryStatus.PENDING
            await queue_sync(context, session, repository)
    await session.flush()
    return repositories


def _data_dir(settings: Any) -> Path:
    return Path(settings.data_dir).resolve()


@job_handler(SYNC_JOB)
async def sync_repository(job: JobContext, payload: dict[str, Any]) -> dict[str, Any]:
    """Clone (first time) or fetch a URL repository; check a local one; record its HEAD."""
    settings = job.services.settings
    context = Context(db=job.db, settings=settings, services=job.services)
    async with job.db.sessionmaker() as session:
        repository = await session.get(Repository, payload["repository_id"])
        if repository is None:
            raise PermanentJobError("repository no longer exists")
        branch, commit = repository.default_branch, repository.last_synced_commit
        repository.status = RepositoryStatus.SYNCING
        await session.commit()
        try:
            if repository.url is not None:
                clone = _data_dir(settings) / "repositories" / repository.id
                if await git.is_repository(clone):
                    await git.fetch(clone, settings.git_timeout_seconds)
                else:
                    shutil.rmtree(clone, ignore_errors=True)  # a clone cut off half-way
                    await git.clone(repository.url, clone, settings.git_timeout_seconds)
                repository.clone_path = str(clone)
            elif not await git.is_repository(repository.local_path or ""):
                raise git.GitError(f"{repository.local_path} is not a git repository")
            work = repository.work_path
            assert work is not None
            repository.default_branch = await git.current_branch(work)
            repository.last_synced_commit = await git.head_commit(work)
            repository.last_synced_at = datetime.now(UTC)
            repository.status, repository.error = RepositoryStatus.READY, None
        except git.GitError as error:
            repository.status, repository.error = RepositoryStatus.FAILED, error.message
        moved = (
            repository.status is RepositoryStatus.READY
            and commit is not None
            and branch == repository.default_branch
            and repository.last_synced_commit != commit
        )
        if moved and commit is not None:  # in this transaction: a retry sees no move
            for hook in HEAD_MOVED_HOOKS:
                await hook(context, session, repository, commit)
        await session.commit()
    await context.commit()  # after-commit work of the hooks (events, waking the worker)
    return {
        "status": repository.status.value,
        "commit": repository.last_synced_commit,
        "moved": moved,
    }


async def delete_repository(context: Context, session: AsyncSession, repository_id: str) -> str:
    repository = await get_for_action(context, session, Repository, repository_id, Action.WRITE)
    environments = (
        await session.scalars(
            select(Environment).where(
                Environment.repository_id == repository.id,
                Environment.status == EnvironmentStatus.ACTIVE,
            )
        )
    ).all()
    work, clone = repository.work_path, repository.clone_path
    trees = [(Path(e.path), e.branch) for e in environments]
    data_dir = _data_dir(context.settings)
    await session.delete(repository)
    await session.flush()

    async def clean_up() -> None:
        for path, branch in trees:
            if work and clone is None:  # worktrees of a local repository: unregister them
                with contextlib.suppress(git.GitError):
                    await git.remove_worktree(work, path, branch)
            _remove_inside(data_dir, path)
        if clone:
            _remove_inside(data_dir, Path(clone))

    context.after_commit(clean_up)
    return repository_id


def _remove_inside(data_dir: Path, path: Path) -> None:
    """Delete ``path`` only if it lies under Atrium's data directory."""
    resolved = path.resolve()
    if resolved.is_relative_to(data_dir) and resolved != data_dir:
        shutil.rmtree(resolved, ignore_errors=True)


async def create_environment(
    context: Context,
    session: AsyncSession,
    *,
    repository_id: str,
    owner_id: str | None = None,
    ref: str | None = None,
) -> Environment:
    """A new worktree on its own branch, from ``ref`` (the synced commit by default)."""
    repository = await get_for_action(
        context, session, Repository, repository_id, Action.WRITE, field=("repositoryId",)
    )
    if repository.status is not RepositoryStatus.READY or repository.work_path is None:
        raise UserErrors.single(
            "The repository is not synced yet", UserErrorCode.CONFLICT, ("repositoryId",)
        )
    environment = Environment(
        organization_id=repository.organization_id,
        repository_id=repository.id,
        owner_id=owner_id,
        branch="",
        base_commit="",
        path="",
    )
    session.add(environment)
    await session.flush()
    try:
        base = await git.head_commit(
            repository.work_path, ref or repository.last_synced_commit or "HEAD"
        )
    except git.GitError:
        raise UserErrors.single(f"No commit '{ref}'", UserErrorCode.NOT_FOUND, ("ref",)) from None
    path = _data_dir(context.settings) / "worktrees" / environment.id
    environment.branch = f"atrium/{environment.id}"
    environment.base_commit = base
    environment.path = str(path)
    await git.add_worktree(repository.work_path, path, environment.branch, base)
    try:
        await session.flush()
    except Exception:
        await asyncio.shield(git.remove_worktree(repository.work_path, path, environment.branch))
        raise
    return environment


async def remove_environment(
    context: Context, session: AsyncSession, environment_id: str
) -> Environment:
    environment = await get_for_action(context, session, Environment, environment_id, Action.WRITE)
    await release_environment(context, session, environment)
    return environment


async def release_environment(
    context: Context, session: AsyncSession, environment: Environment
) -> None:
    """Mark a worktree removed and delete it from disk after commit. No policy check: for
    callers that decided already (``removeEnvironment``, a workflow run that ended)."""
    if environment.status is EnvironmentStatus.REMOVED:
        return
    repository = await session.get(Repository, environment.repository_id)
    environment.status = EnvironmentStatus.REMOVED
    environment.removed_at = datetime.now(UTC)
    await session.flush()
    work = repository.work_path if repository else None
    path, branch, data_dir = Path(environment.path), environment.branch, _data_dir(context.settings)

    async def clean_up() -> None:
        if work:
            with contextlib.suppress(git.GitError):
                await git.remove_worktree(work, path, branch)
        _remove_inside(data_dir, path)

    context.after_commit(clean_up)
