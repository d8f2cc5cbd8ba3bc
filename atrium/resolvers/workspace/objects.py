"""Custom objects: a type name plus JSON data, kept by a team (ArchAstro's custom objects)."""

from __future__ import annotations

import re
from typing import Any

import orjson
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from atrium.core.context import Context
from atrium.core.errors import UserError, UserErrorCode, UserErrors
from atrium.core.policy import Action
from atrium.models.workspace import CustomObject
from atrium.resolvers.access import not_found
from atrium.resolvers.workspace.access import team_for, visible_team_ids

TYPE_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]{0,99}$")
MAX_DATA_BYTES = 256 * 1024


def _errors(type_name: str | None, data: Any) -> list[UserError]:
    errors = []
    if type_name is not None and not TYPE_NAME.match(type_name):
        errors.append(
            UserError(
                "Type is 1-100 letters, digits, '_', '.' or '-', starting with a letter",
                UserErrorCode.INVALID,
                ("type",),
            )
        )
    if data is not None:
        if not isinstance(data, dict):
            errors.append(UserError("Data is a JSON object", UserErrorCode.INVALID, ("data",)))
        elif len(orjson.dumps(data)) > MAX_DATA_BYTES:
            errors.append(UserError("Data is at most 256 KB", UserErrorCode.TOO_LONG, ("data",)))
    return errors


async def create_object(
    context: Context, session: AsyncSession, *, team_id: str, type_name: str, data: Any
) -> CustomObject:
    team = await team_for(context, session, team_id, Action.WRITE)
    errors = _errors(type_name, data if data is not None else {})
    if errors:
        raise UserErrors(errors)
    row = CustomObject(
        organization_id=team.organization_id,
        team_id=team.id,
        type=type_name,
        data=data or {},
        created_by_id=context.principal.user_id,
    )
    session.add(row)
    await session.flush()
    return row


async def _object(context: Context, session: AsyncSession, object_id: str) -> CustomObject:
    row = await session.scalar(
        select(CustomObject).where(
            CustomObject.id == object_id, CustomObject.team_id.in_(visible_team_ids(context))
        )
    )
    if row is None:
        raise not_found("CustomObject", object_id, ("id",))
    await team_for(context, session, row.team_id, Action.WRITE, ("id",))
    return row


async def update_object(
    context: Context, session: AsyncSession, *, object_id: str, data: Any
) -> CustomObject:
    row = await _object(context, session, object_id)
    errors = _errors(None, data)
    if errors:
        raise UserErrors(errors)
    row.data = data
    await session.flush()
    return row


async def delete_object(context: Context, session: AsyncSession, object_id: str) -> str:
    row = await _object(context, session, object_id)
    await session.delete(row)
    await session.flush()
    return object_id
