"""A diff between two versions of an architecture, as the engine computes it."""

from __future__ import annotations

from typing import Any, cast

import strawberry
from strawberry.scalars import JSON

from atrium.engines.architecture import diff as engine


@strawberry.type(description="One field that changed, with its value before and after.")
class FieldChange:
    field: str = strawberry.field(description="Field name, e.g. `replicas`.")
    before: JSON | None = strawberry.field(description="Value in the older version.")
    after: JSON | None = strawberry.field(description="Value in the newer version.")

    @classmethod
    def from_engine(cls, change: engine.FieldChange) -> FieldChange:
        plain: dict[str, Any] = change.to_dict()
        return cls(
            field=_camel(change.field),
            before=cast("JSON", plain["before"]),
            after=cast("JSON", plain["after"]),
        )


@strawberry.type(description="A component, link or zone present in both versions but different.")
class ChangedItem:
    key: str = strawberry.field(description="Its key (`source->target` for a link).")
    changes: list[FieldChange] = strawberry.field(description="What changed in it.")


@strawberry.type(description="Items added, removed and changed, by key.")
class CollectionDiff:
    added: list[str] = strawberry.field(description="Keys only in the newer version.")
    removed: list[str] = strawberry.field(description="Keys only in the older version.")
    changed: list[ChangedItem] = strawberry.field(description="Keys in both, with differences.")

    @classmethod
    def from_engine(cls, diff: engine.CollectionDiff) -> CollectionDiff:
        return cls(
            added=list(diff.added),
            removed=list(diff.removed),
            changed=[
                ChangedItem(key=c.key, changes=[FieldChange.from_engine(f) for f in c.changes])
                for c in diff.changed
            ],
        )


@strawberry.type(description="What changed between two versions of an architecture.")
class ArchitectureDiff:
    from_version: int = strawberry.field(description="The older version.")
    to_version: int = strawberry.field(description="The newer version.")
    is_empty: bool = strawberry.field(description="Nothing changed.")
    summary: str = strawberry.field(description="One line, e.g. `components +1 -0 ~2`.")
    fields: list[FieldChange] = strawberry.field(description="Provider, region, peak factor.")
    components: CollectionDiff = strawberry.field(description="Components, by key.")
    links: CollectionDiff = strawberry.field(description="Links, by `source->target`.")
    trust_zones: CollectionDiff = strawberry.field(description="Trust zones, by key.")

    @classmethod
    def from_engine(cls, old: int, new: int, diff: engine.SpecDiff) -> ArchitectureDiff:
        return cls(
            from_version=old,
            to_version=new,
            is_empty=diff.is_empty,
            summary=diff.summary(),
            fields=[FieldChange.from_engine(f) for f in diff.fields],
            components=CollectionDiff.from_engine(diff.components),
            links=CollectionDiff.from_engine(diff.links),
            trust_zones=CollectionDiff.from_engine(diff.trust_zones),
        )


def _camel(name: str) -> str:
    if name == "provider":
        return "cloudProvider"  # the GraphQL field's name
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)
