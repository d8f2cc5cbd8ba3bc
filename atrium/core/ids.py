"""Prefixed, sortable, opaque identifiers (``usr_01JD3…``), as the seeds write them.

The same string is the primary key, the GraphQL global ID and the REST ID, so no
translation table is needed anywhere; the prefix says which type an ID names.
"""

from __future__ import annotations

from ulid import ULID

_PREFIX_TO_TYPE: dict[str, str] = {}


def new_id(prefix: str) -> str:
    return f"{prefix}_{ULID()}"


def register_prefix(prefix: str, type_name: str) -> None:
    existing = _PREFIX_TO_TYPE.get(prefix)
    if existing is not None and existing != type_name:
        raise ValueError(f"ID prefix {prefix!r} already names {existing}")
    _PREFIX_TO_TYPE[prefix] = type_name


def prefix_of(global_id: str) -> str | None:
    prefix, sep, rest = global_id.rpartition("_")
    if not sep or not prefix or not rest:
        return None
    return prefix


def type_of(global_id: str) -> str | None:
    prefix = prefix_of(global_id)
    return _PREFIX_TO_TYPE.get(prefix) if prefix else None
