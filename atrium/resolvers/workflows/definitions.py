"""Workflow definitions and commands: bundled with Atrium, or saved by an organization.

Bundled ones are YAML and Markdown files in ``atrium/engines/workflows/data``; they are
read once and cannot be deleted. An organization's definition with the same name shadows
the bundled one (Archon's project workflows do the same), and deleting it brings the
bundled one back.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from atrium.core.context import Context
from atrium.core.errors import UserError, UserErrorCode, UserErrors
from atrium.core.policy import Action
from atrium.engines.workflows.definition import Problem, WorkflowDefinition, parse_workflow
from atrium.models.workflows import Workflow, WorkflowCommand, WorkflowSource
from atrium.resolvers.access import require

DATA = Path(__file__).resolve().parents[2] / "engines" / "workflows" / "data"
MAX_TEMPLATE = 100_000


@dataclass(frozen=True)
class StoredDefinition:
    """A definition as users see it: where it comes from and its parsed form."""

    name: str
    description: str
    source: WorkflowSource
    definition: WorkflowDefinition
    filename: str
    row: Workflow | None = None


@dataclass(frozen=True)
class StoredCommand:
    name: str
    description: str
    template: str
    source: WorkflowSource
    row: WorkflowCommand | None = None


@functools.cache
def bundled_workflows() -> dict[str, StoredDefinition]:
    found: dict[str, StoredDefinition] = {}
    for path in sorted((DATA / "workflows").glob("*.yaml")):
        definition, problems = parse_workflow(path.read_text())
        if definition is None:  # a packaging bug: fail loudly at first use
            raise RuntimeError(f"bundled workflow {path.name}: {problems}")
        found[definition.name] = StoredDefinition(
            definition.name,
            definition.description,
            WorkflowSource.BUNDLED,
            definition,
            f".archon/workflows/{path.name}",
        )
    return found


@functools.cache
def bundled_commands() -> dict[str, StoredCommand]:
    found: dict[str, StoredCommand] = {}
    for path in sorted((DATA / "commands").glob("*.md")):
        text = path.read_text()
        first = text.strip().splitlines()[0] if text.strip() else ""
        found[path.stem] = StoredCommand(path.stem, first, text, WorkflowSource.BUNDLED)
    return found


def _stored(row: Workflow) -> StoredDefinition:
    definition, _ = parse_workflow(row.definition)
    assert definition is not None  # saved definitions were valid when saved
    return StoredDefinition(
        row.name,
        row.description,
        WorkflowSource.ORGANIZATION,
        definition,
        f".archon/workflows/{row.name}.yaml",
        row,
    )


async def list_definitions(session: AsyncSession, organization_id: str) -> list[StoredDefinition]:
    rows = await session.scalars(
        select(Workflow).where(Workflow.organization_id == organization_id)
    )
    merged = dict(bundled_workflows())
    merged.update({row.name: _stored(row) for row in rows})
    return sorted(merged.values(), key=lambda d: d.name)


async def find_definition(
    session: AsyncSession, organization_id: str, name: str
) -> StoredDefinition | None:
    row = await session.scalar(
        select(Workflow).where(Workflow.organization_id == organization_id, Workflow.name == name)
    )
    return _stored(row) if row is not None else bundled_workflows().get(name)


def problems_as_errors(problems: list[Problem], field: str = "definition") -> list[UserError]:
    return [
        UserError(f"{p.path}: {p.message}", UserErrorCode.INVALID, (field, *p.path.split(".")))
        for p in problems
    ]


def parse_source(
    definition: Mapping[str, Any] | None, yaml: str | None
) -> tuple[WorkflowDefinition | None, list[Problem]]:
    """Parse whichever form was given (a mapping, as JSON clients send, or YAML text)."""
    if yaml is not None:
        return parse_workflow(yaml)
    return parse_workflow(definition or {})


async def save_definition(
    context: Context,
    session: AsyncSession,
    organization_id: str,
    name: str,
    *,
    definition: Mapping[str, Any] | None = None,
    yaml: str | None = None,
) -> StoredDefinition:
    require(context, organization_id, Action.WRITE, field=("organizationId",))
    parsed, problems = parse_source(definition, yaml)
    if parsed is None:
        raise UserErrors(problems_as_errors(problems))
    if parsed.name != name:
        raise UserErrors.single(
            f"The definition is named '{parsed.name}', not '{name}'",
            UserErrorCode.INVALID,
            ("definition", "name"),
        )
    row = await session.scalar(
        select(Workflow).where(Workflow.organization_id == organization_id, Workflow.name == name)
    )
    if row is None:
        row = Workflow(organization_id=organization_id, name=name)
        session.add(row)
    row.description = parsed.description
    row.definition = parsed.raw
    row.source_yaml = yaml
    row.created_by_id = row.created_by_id or context.principal.user_id
    await session.flush()
    return _stored(row)


async def delete_definition(
    context: Context, session: AsyncSession, organization_id: str, name: str
) -> str:
    require(context, organization_id, Action.WRITE, field=("organizationId",))
    row = await session.scalar(
        select(Workflow).where(Workflow.organization_id == organization_id, Workflow.name == name)
    )
    if row is None:
        if name in bundled_workflows():
            raise UserErrors.single(
                f"'{name}' is bundled with Atrium and cannot be deleted",
                UserErrorCode.FORBIDDEN,
                ("name",),
            )
        raise UserErrors.single(f"No workflow named '{name}'", UserErrorCode.NOT_FOUND, ("name",))
    await session.delete(row)
    await session.flush()
    return name


async def list_commands(session: AsyncSession, organization_id: str) -> list[StoredCommand]:
    rows = await session.scalars(
        select(WorkflowCommand).where(WorkflowCommand.organization_id == organization_id)
    )
    merged = dict(bundled_commands())
    merged.update(
        {
            row.name: StoredCommand(
                row.name, row.description, row.template, WorkflowSource.ORGANIZATION, row
            )
            for row in rows
        }
    )
    return sorted(merged.values(), key=lambda c: c.name)


async def find_command(
    session: AsyncSession, organization_id: str, name: str
) -> StoredCommand | None:
    for command in await list_commands(session, organization_id):
        if command.name == name:
            return command
    return None


async def save_command(
    context: Context,
    session: AsyncSession,
    organization_id: str,
    name: str,
    template: str,
    description: str = "",
) -> StoredCommand:
    require(context, organization_id, Action.WRITE, field=("organizationId",))
    errors = []
    if not name or len(name) > 100 or not all(c.isalnum() or c in "._-" for c in name):
        errors.append(
            UserError("Letters, digits, '.', '_' and '-' only", UserErrorCode.INVALID, ("name",))
        )
    if not template.strip():
        errors.append(UserError("Give the template", UserErrorCode.REQUIRED, ("template",)))
    elif len(template) > MAX_TEMPLATE:
        errors.append(UserError("Template too long", UserErrorCode.TOO_LONG, ("template",)))
    if errors:
        raise UserErrors(errors)
    row = await session.scalar(
        select(WorkflowCommand).where(
            WorkflowCommand.organization_id == organization_id, WorkflowCommand.name == name
        )
    )
    if row is None:
        row = WorkflowCommand(organization_id=organization_id, name=name)
        session.add(row)
    row.template = template
    row.description = description
    row.created_by_id = row.created_by_id or context.principal.user_id
    await session.flush()
    return StoredCommand(name, description, template, WorkflowSource.ORGANIZATION, row)


async def delete_command(
    context: Context, session: AsyncSession, organization_id: str, name: str
) -> str:
    require(context, organization_id, Action.WRITE, field=("organizationId",))
    row = await session.scalar(
        select(WorkflowCommand).where(
            WorkflowCommand.organization_id == organization_id, WorkflowCommand.name == name
        )
    )
    if row is None:
        code = UserErrorCode.FORBIDDEN if name in bundled_commands() else UserErrorCode.NOT_FOUND
        raise UserErrors.single(f"No command '{name}' of yours to delete", code, ("name",))
    await session.delete(row)
    await session.flush()
    return name
