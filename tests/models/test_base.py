"""UTC datetimes read back aware and equal, whatever text a SQLite column holds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import Column, Integer, MetaData, Table, insert, select, text
from sqlalchemy.ext.asyncio import create_async_engine

from atrium.models.base import UTCDateTime

WHEN = datetime(2026, 11, 23, 15, 4, 5, 123456, tzinfo=UTC)


@pytest.mark.parametrize(
    ("stored", "expected"),
    [
        (None, None),
        ("2026-11-23 15:04:05.123456", WHEN),  # what Atrium writes
        ("2026-11-23 15:04:05", WHEN.replace(microsecond=0)),  # CURRENT_TIMESTAMP's form
        ("2026-11-23T17:04:05.123456+02:00", WHEN),  # text with an offset
    ],
)
async def test_sqlite_text_reads_back_as_an_aware_utc_datetime(
    stored: str | None, expected: datetime | None
) -> None:
    # given a SQLite table with a UTC column, holding text written by hand
    engine = create_async_engine("sqlite+aiosqlite://")
    table = Table(
        "t", MetaData(), Column("id", Integer, primary_key=True), Column("at", UTCDateTime())
    )
    async with engine.begin() as connection:
        await connection.run_sync(table.metadata.create_all)
        await connection.execute(text("INSERT INTO t (id, at) VALUES (1, :at)"), {"at": stored})
        # and a value written through the type, from another time zone
        later = WHEN.astimezone(timezone(timedelta(hours=-5))) + timedelta(days=1)
        await connection.execute(insert(table).values(id=2, at=later))
        # when both are read
        rows = dict((await connection.execute(select(table.c.id, table.c.at))).all())
    await engine.dispose()
    # then each is the same instant, in UTC
    assert rows[1] == expected
    assert rows[1] is None or rows[1].tzinfo is UTC
    assert rows[2] == WHEN + timedelta(days=1) and rows[2].tzinfo is UTC
