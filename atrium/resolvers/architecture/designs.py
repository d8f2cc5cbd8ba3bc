"""Creating, changing, restoring and deleting architectures; every change is a new version.

Updates are optimistic: the caller says which version it edited (``expected_version``)
and the row is advanced with a compare-and-swap, so of two concurrent edits of version 3
one becomes version 4 and the other is a CONFLICT, never a silent overwrite.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from atrium.core.context import Context
from atrium.core.errors import UserError, UserErrorCode, UserErrors
from atrium.core.policy import Action
from atrium.engines.architecture.diff import diff_specs
from atrium.engines.architecture.model import ArchitectureSpec, validate
from atrium.models.architecture import Architecture, ArchitectureVersion
from atrium.resolvers.access import default_organization, get_for_action, require
from atrium.resolvers.architecture import events
from atrium.resolvers.architecture.catalog_check import catalog_problems

MAX_COMPONENTS = 500
MAX_LINKS = 2_000
MAX_TITLE = 200
MAX_DESCRIPTION = 20_000


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def spec_errors(spec: ArchitectureSpec) -> list[UserError]:
    """The engines' validation, the catalog's and the size caps, as userErrors."""
    errors = [
        UserError(p.message, UserErrorCode.INVALID, tuple(_camel(part) for part in p.field))
        for p in validate(spec) + catalog_problems(spec)
    ]
    if len(spec.components) > MAX_COMPONENTS:
        errors.append(
            UserError(
                f"At most {MAX_COMPONENTS} components", UserErrorCode.TOO_LONG, ("components",)
            )
        )
    if len(spec.links) > MAX_LINKS:
        errors.append(UserError(f"At most {MAX_LINKS} links", UserErrorCode.TOO_LONG, ("links",)))
    return errors


def text_errors(title: str | None, description: str | None) -> list[UserError]:
    errors = []
    if title is not None and not title.strip():
        errors.append(UserError("Title can't be blank", UserErrorCode.REQUIRED, ("title",)))
    if title is not None and len(title) > MAX_TITLE:
        errors.append(
            UserError(f"At most {MAX_TITLE} characters", UserErrorCode.TOO_LONG, ("title",))
        )
    if description is not None and len(description) > MAX_DESCRIPTION:
        errors.append(
            UserError(
                f"At most {MAX_DESCRIPTION} characters", UserErrorCode.TOO_LONG, ("description",)
            )
        )
    return errors


def _check(errors: list[UserError]) -> None:
    if errors:
        raise UserErrors(errors)


def describe_change(old: ArchitectureSpec, new: ArchitectureSpec) -> str:
    """A version summary when the author gave none, e.g. "2 components added, 1 link removed"."""
    diff = diff_specs(old, new)
    parts = []
    for label, section in (("component", diff.components), ("link", diff.links)):
        for verb, items in (
            ("added", section.added),
            ("removed", section.removed),
            ("changed", section.changed),
        ):
            if items:
                plural = "s" if len(items) > 1 else ""
                parts.append(f"{len(items)} {label}{plural} {verb}")
    if diff.trust_zones.added or diff.trust_zones.removed or diff.trust_zones.changed:
        parts.append("trust zones changed")
    if diff.fields:
        parts.append(", ".join(f.field for f in diff.fields) + " changed")
    return "; ".join(parts) or "Details changed"


def _version_row(architecture: Architecture, summary: str, author_id: str | None) -> Any:
    return ArchitectureVersion(
        organization_id=architecture.organization_id,
        architecture_id=architecture.id,
        number=architecture.version,
        title=architecture.title,
        description=architecture.description,
        spec=architecture.spec,
        summary=summary,
        author_id=author_id,
    )


async def create_architecture(
    context: Context,
    session: AsyncSession,
    *,
    organization_id: str | None,
    title: str,
    description: str | None,
    spec: ArchitectureSpec,
    summary: str | None,
) -> Architecture:
    organization_id = default_organization(context, organization_id)
    require(context, organization_id, Action.WRITE, field=("organizationId",))
    _check(text_errors(title, description) + spec_errors(spec))
    architecture = Architecture(
        organization_id=organization_id,
        title=title.strip(),
        description=description or "",
        cloud_provider=spec.provider.value,
        region=spec.region,
        spec=spec.to_dict(),
        version=1,
        created_by_id=context.principal.user_id,
    )
    session.add(architecture)
    await session.flush()
    session.add(_version_row(architecture, summary or "Created", context.principal.user_id))
    await session.flush()
    await events.emit(
        context, session, events.ARCHITECTURE_CREATED, organization_id, architecture.id, version=1
    )
    return architecture


async def _advance(
    context: Context,
    session: AsyncSession,
    architecture: Architecture,
    *,
    expected_version: int | None,
    title: str,
    description: str,
    spec: ArchitectureSpec,
    summary: str,
) -> Architecture:
    """Write version n+1 if the row is still at ``expected_version`` (or the version read)."""
    seen = architecture.version
    if expected_version is not None and expected_version != seen:
        raise _stale(expected_version, seen)
    result = await session.execute(
        update(Architecture)
        .where(Architecture.id == architecture.id, Architecture.version == seen)
        .values(
            version=seen + 1,
            title=title,
            description=description,
            cloud_provider=spec.provider.value,
            region=spec.region,
            spec=spec.to_dict(),
        )
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise _stale(expected_version or seen, None)
    await session.refresh(architecture)
    session.add(_version_row(architecture, summary, context.principal.user_id))
    await session.flush()
    await events.emit(
        context,
        session,
        events.ARCHITECTURE_UPDATED,
        architecture.organization_id,
        architecture.id,
        version=architecture.version,
    )
    return architecture


def _stale(expected: int, current: int | None) -> UserErrors:
    now = f" (it is at version {current})" if current is not None else ""
    return UserErrors.single(
        f"Version {expected} is not the latest{now}: reload and apply your change again",
        UserErrorCode.CONFLICT,
        ("expectedVersion",),
    )


@dataclasses.dataclass(frozen=True)
class SpecChanges:
    """The parts of a design an update replaces; None leaves a part as it is."""

    provider: Any = None
    region: str | None = None
    peak_factor: float | None = None
    components: tuple[Any, ...] | None = None
    links: tuple[Any, ...] | None = None
    trust_zones: tuple[Any, ...] | None = None

    def apply(self, spec: ArchitectureSpec) -> ArchitectureSpec:
        values = {
            f.name: getattr(self, f.name)
            for f in dataclasses.fields(self)
            if getattr(self, f.name) is not None
        }
        return dataclasses.replace(spec, **values)


async def update_architecture(
    context: Context,
    session: AsyncSession,
    *,
    architecture_id: str,
    expected_version: int | None,
    title: str | None,
    description: str | None,
    changes: SpecChanges,
    summary: str | None,
) -> Architecture:
    architecture = await get_for_action(
        context, session, Architecture, architecture_id, Action.WRITE
    )
    old = ArchitectureSpec.from_dict(architecture.spec)
    new = changes.apply(old)
    _check(text_errors(title, description) + spec_errors(new))
    return await _advance(
        context,
        session,
        architecture,
        expected_version=expected_version,
        title=title.strip() if title is not None else architecture.title,
        description=description if description is not None else architecture.description,
        spec=new,
        summary=summary or describe_change(old, new),
    )


async def restore_version(
    context: Context,
    session: AsyncSession,
    *,
    architecture_id: str,
    number: int,
    expected_version: int | None,
) -> Architecture:
    """Make an old version current again, as a new version (history is never rewritten)."""
    architecture = await get_for_action(
        context, session, Architecture, architecture_id, Action.WRITE
    )
    old = await session.scalar(
        select(ArchitectureVersion).where(
            ArchitectureVersion.architecture_id == architecture.id,
            ArchitectureVersion.number == number,
        )
    )
    if old is None:
        raise UserErrors.single(
            f"Architecture has no version {number}", UserErrorCode.NOT_FOUND, ("version",)
        )
    return await _advance(
        context,
        session,
        architecture,
        expected_version=expected_version,
        title=old.title,
        description=old.description,
        spec=ArchitectureSpec.from_dict(old.spec),
        summary=f"Restored version {number}",
    )


async def delete_architecture(context: Context, session: AsyncSession, architecture_id: str) -> str:
    architecture = await get_for_action(
        context, session, Architecture, architecture_id, Action.WRITE
    )
    organization_id = architecture.organization_id
    await session.delete(architecture)
    await session.flush()
    await events.emit(
        context, session, events.ARCHITECTURE_DELETED, organization_id, architecture_id
    )
    return architecture_id


async def version_spec(
    session: AsyncSession, architecture_id: str, number: int
) -> ArchitectureVersion | None:
    return await session.scalar(
        select(ArchitectureVersion).where(
            ArchitectureVersion.architecture_id == architecture_id,
            ArchitectureVersion.number == number,
        )
    )
