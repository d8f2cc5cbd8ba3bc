"""The contract: schema.graphql at the repository root matches the code."""

from __future__ import annotations

from pathlib import Path

from atrium.schema import sdl

ROOT = Path(__file__).resolve().parents[1]


def test_schema_graphql_is_up_to_date() -> None:
    committed = (ROOT / "schema.graphql").read_text()
    assert committed == sdl(), "schema.graphql is stale: run `make schema` and review the diff"


def test_every_type_and_field_is_described() -> None:
    from atrium.core.config import Settings
    from atrium.schema import create_schema

    schema = create_schema(Settings())._schema
    missing = []
    for name, graphql_type in schema.type_map.items():
        if name.startswith("__") or name in ("String", "Int", "Float", "Boolean", "ID"):
            continue
        if not graphql_type.description:
            missing.append(name)
        for field_name, field in (getattr(graphql_type, "fields", None) or {}).items():
            if not field.description:
                missing.append(f"{name}.{field_name}")
    assert missing == []
