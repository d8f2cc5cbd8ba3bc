"""Batch functions for workspace rows, limited to the teams the caller may see."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from atrium.core.context import Context
from atrium.models.workspace import CustomObject, Task
from atrium.resolvers.loading import by_ids
from atrium.resolvers.workspace.access import visible_team_ids


async def _by_ids(context: Context, model: Any, keys: list[str]) -> list[Any]:
    stmt = select(model).where(model.id.in_(keys), model.team_id.in_(visible_team_ids(context)))
    return await by_ids(context, stmt, keys)


async def tasks_by_id(context: Context, keys: list[str]) -> list[Task | None]:
    return await _by_ids(context, Task, keys)


async def objects_by_id(context: Context, keys: list[str]) -> list[CustomObject | None]:
    return await _by_ids(context, CustomObject, keys)
