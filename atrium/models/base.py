"""Declarative base, naming convention and the column helpers every model uses."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import JSON, DateTime, MetaData, String, TypeDecorator
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from atrium.core.ids import new_id

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every backend (SQLite stores naive values)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)

    def result_processor(self, dialect: Dialect, coltype: Any) -> Any:
        """On SQLite, one step from the stored text to an aware datetime.

        The decorator's own path is two Python calls per value (SQLAlchemy's parse of
        the text, then :meth:`process_result_value`); a page of 1,000 messages reads
        1,000 timestamps. The stored text is naive UTC, so it is read with its offset
        appended: ``fromisoformat`` then answers the aware datetime itself, where a
        ``replace(tzinfo=UTC)`` after it would cost ten times the parse (keyword
        arguments of a C method). Text it cannot read (one stored with an offset)
        takes the decorator's path still.
        """
        standard = super().result_processor(dialect, coltype)
        if dialect.name != "sqlite" or standard is None:
            return standard
        parse = datetime.fromisoformat

        def process(value: Any) -> datetime | None:
            if value.__class__ is str:
                try:
                    return parse(value + "+00:00")
                except ValueError:
                    pass
            return cast("datetime | None", standard(value))

        return process


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON()}


def id_column(prefix: str) -> Mapped[str]:
    """Primary key column whose default is a new ``<prefix>_<ULID>``."""
    return mapped_column(String(40), primary_key=True, default=lambda: new_id(prefix))


def created_at_column() -> Mapped[datetime]:
    return mapped_column(UTCDateTime(), default=utcnow, nullable=False)


def updated_at_column() -> Mapped[datetime]:
    return mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow, nullable=False)
