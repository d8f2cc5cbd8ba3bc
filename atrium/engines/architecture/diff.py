"""What changed between two versions of an architecture, field by field.

Components and trust zones are matched by key and links by their (source, target) pair, the
identities a person sees on the diagram, so renaming a component's display name is a change
to that component while changing its key is a removal plus an addition. Every value in
`to_dict()` is JSON-able (enums become their names), so a diff can be stored with a version
or sent as-is to a client that renders it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, fields
from enum import Enum
from typing import Any, TypeVar

from atrium.engines.architecture.model import ArchitectureSpec, Component, Link, TrustZone

T = TypeVar("T", Component, Link, TrustZone)


def link_key(link: Link) -> str:
    return f"{link.source}->{link.target}"


def _plain(value: Any) -> Any:
    return value.value if isinstance(value, Enum) else value


@dataclass(frozen=True, slots=True)
class FieldChange:
    field: str
    before: Any
    after: Any

    def to_dict(self) -> dict[str, Any]:
        return {"field": self.field, "before": _plain(self.before), "after": _plain(self.after)}


@dataclass(frozen=True, slots=True)
class ChangedItem:
    key: str  # a component or zone key, or "source->target" for a link
    changes: tuple[FieldChange, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"key": self.key, "changes": [c.to_dict() for c in self.changes]}


@dataclass(frozen=True, slots=True)
class CollectionDiff:
    """Added keys follow the new spec's order, removed keys the old one's, as a reader expects."""

    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    changed: tuple[ChangedItem, ...] = ()

    @property
    def is_empty(self) -> bool:
        return not (self.added or self.removed or self.changed)

    def to_dict(self) -> dict[str, Any]:
        return {
            "added": list(self.added),
            "removed": list(self.removed),
            "changed": [c.to_dict() for c in self.changed],
        }


@dataclass(frozen=True, slots=True)
class SpecDiff:
    fields: tuple[FieldChange, ...]  # top level: provider, region, peak_factor
    components: CollectionDiff
    links: CollectionDiff
    trust_zones: CollectionDiff

    @property
    def is_empty(self) -> bool:
        return not self.fields and all(
            c.is_empty for c in (self.components, self.links, self.trust_zones)
        )

    def summary(self) -> str:
        """One line for a version history, e.g. "components +1 -0 ~2; links +1 -0 ~0"."""
        if self.is_empty:
            return "no changes"
        parts = [
            f"{name} +{len(d.added)} -{len(d.removed)} ~{len(d.changed)}"
            for name, d in (
                ("components", self.components),
                ("links", self.links),
                ("trust zones", self.trust_zones),
            )
            if not d.is_empty
        ]
        if self.fields:
            parts.append("settings: " + ", ".join(f.field for f in self.fields))
        return "; ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        return {
            "fields": [f.to_dict() for f in self.fields],
            "components": self.components.to_dict(),
            "links": self.links.to_dict(),
            "trust_zones": self.trust_zones.to_dict(),
            "is_empty": self.is_empty,
        }


_TOP_LEVEL = ("provider", "region", "peak_factor")


def diff_specs(old: ArchitectureSpec, new: ArchitectureSpec) -> SpecDiff:
    return SpecDiff(
        fields=tuple(
            FieldChange(name, getattr(old, name), getattr(new, name))
            for name in _TOP_LEVEL
            if getattr(old, name) != getattr(new, name)
        ),
        components=_diff_items(old.components, new.components, lambda c: c.key),
        links=_diff_items(old.links, new.links, link_key),
        trust_zones=_diff_items(old.trust_zones, new.trust_zones, lambda z: z.key),
    )


def _diff_items(old: Iterable[T], new: Iterable[T], key: Callable[[T], str]) -> CollectionDiff:
    """A duplicated identity (which validation rejects) keeps its first occurrence."""
    before = _by_key(old, key)
    after = _by_key(new, key)
    changed = []
    for k, item in after.items():
        if k in before:
            changes = _field_changes(before[k], item)
            if changes:
                changed.append(ChangedItem(k, changes))
    return CollectionDiff(
        added=tuple(k for k in after if k not in before),
        removed=tuple(k for k in before if k not in after),
        changed=tuple(changed),
    )


def _by_key(items: Iterable[T], key: Callable[[T], str]) -> dict[str, T]:
    keyed: dict[str, T] = {}
    for item in items:
        keyed.setdefault(key(item), item)
    return keyed


_IDENTITY_FIELDS = frozenset({"key", "source", "target"})


def _field_changes(before: T, after: T) -> tuple[FieldChange, ...]:
    return tuple(
        FieldChange(f.name, getattr(before, f.name), getattr(after, f.name))
        for f in fields(before)
        if f.name not in _IDENTITY_FIELDS and getattr(before, f.name) != getattr(after, f.name)
    )


__all__ = [
    "ChangedItem",
    "CollectionDiff",
    "FieldChange",
    "SpecDiff",
    "diff_specs",
    "link_key",
]
