"""Usage limits, the pure part: which limits a call falls under, what is left, and which
warning thresholds a change of usage crosses."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

THRESHOLDS = (80, 100)  # percent of the limit; crossing one publishes an event


class LimitEntity(StrEnum):
    ORGANIZATION = "ORGANIZATION"
    TEAM = "TEAM"
    USER = "USER"
    AGENT = "AGENT"
    VIRTUAL_KEY = "VIRTUAL_KEY"


class LimitType(StrEnum):
    TOKEN_COST = "TOKEN_COST"  # USD spent on model tokens
    TOOL_CALLS = "TOOL_CALLS"  # MCP tool calls


@dataclass(frozen=True)
class Subject:
    """Who a call is made for: every limit on any of these applies."""

    organization_id: str
    team_ids: frozenset[str] = frozenset()
    user_id: str | None = None
    agent_id: str | None = None
    virtual_key_id: str | None = None

    def matches(self, entity: LimitEntity, entity_id: str) -> bool:
        if entity is LimitEntity.ORGANIZATION:
            return entity_id == self.organization_id
        if entity is LimitEntity.TEAM:
            return entity_id in self.team_ids
        if entity is LimitEntity.USER:
            return entity_id == self.user_id
        if entity is LimitEntity.AGENT:
            return entity_id == self.agent_id
        return entity_id == self.virtual_key_id


@dataclass(frozen=True)
class LimitRule:
    id: str
    name: str
    entity: LimitEntity
    entity_id: str
    type: LimitType
    value: float
    models: frozenset[str] | None = None  # None: every model

    def applies(self, subject: Subject, type: LimitType, model: str | None = None) -> bool:
        if self.type is not type or not subject.matches(self.entity, self.entity_id):
            return False
        if self.models is None or type is LimitType.TOOL_CALLS:
            return True
        return model is not None and model.lower() in self.models


def applicable(
    rules: Iterable[LimitRule], subject: Subject, type: LimitType, model: str | None = None
) -> list[LimitRule]:
    return [rule for rule in rules if rule.applies(subject, type, model)]


def crossed(value: float, before: float, after: float) -> list[int]:
    """The thresholds (80, 100) that ``before`` → ``after`` crosses upwards."""
    if value <= 0:
        return list(THRESHOLDS) if before <= 0 < after else []
    return [t for t in THRESHOLDS if before < value * t / 100 <= after]
