"""full text search

Full-text indexes for ``search(query:)`` over threads, messages, agents and architectures.

* SQLite: one FTS5 external-content table per searched table (``<table>_fts``), kept in
  sync by insert/delete/update triggers, so the text is stored once (in the base table)
  and FTS5 holds only the index. FTS5 keys rows by ``rowid``; these tables have string
  primary keys, so their rowid is implicit and ``VACUUM`` may renumber it: after a
  VACUUM, or after a batch migration that recreates one of these tables (which also
  drops its triggers), recreate the triggers and run
  ``INSERT INTO <table>_fts(<table>_fts) VALUES('rebuild')``. A stale index can only
  miss rows or match the wrong ones; visibility is always checked on the base row.
* PostgreSQL: GIN expression indexes on ``to_tsvector('english', ...)`` (weighted per
  column where a table has several), so there is no extra column to keep in sync. The
  expressions must stay identical to ``atrium/resolvers/search.py``'s, or the planner
  cannot use the index.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-24 10:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# table -> searched columns with their weights (A is the strongest), frozen here on purpose:
# a migration must keep doing what it did when it ran first.
SEARCHED: dict[str, tuple[tuple[str, str], ...]] = {
    "threads": (("title", "A"),),
    "messages": (("content", "A"),),
    "agents": (("name", "A"), ("description", "B"), ("system_prompt", "C")),
    "architectures": (("title", "A"), ("description", "B")),
}


def _pg_document(columns: tuple[tuple[str, str], ...]) -> str:
    """The indexed tsvector; the same text as ``resolvers.search.pg_document``."""
    if len(columns) == 1:
        return f"to_tsvector('english', {columns[0][0]})"
    return " || ".join(
        f"setweight(to_tsvector('english', {name}), '{weight}')" for name, weight in columns
    )


def _sqlite_upgrade(table: str, names: list[str]) -> None:
    fts = f"{table}_fts"
    listed = ", ".join(names)
    new = ", ".join(f"new.{name}" for name in names)
    old = ", ".join(f"old.{name}" for name in names)
    op.execute(
        f"CREATE VIRTUAL TABLE {fts} USING fts5({listed}, content='{table}', "
        "content_rowid='rowid', tokenize='porter unicode61 remove_diacritics 2')"
    )
    insert = f"INSERT INTO {fts}(rowid, {listed}) VALUES (new.rowid, {new});"
    delete = f"INSERT INTO {fts}({fts}, rowid, {listed}) VALUES ('delete', old.rowid, {old});"
    op.execute(f"CREATE TRIGGER {fts}_insert AFTER INSERT ON {table} BEGIN {insert} END")
    op.execute(f"CREATE TRIGGER {fts}_delete AFTER DELETE ON {table} BEGIN {delete} END")
    # Only when a searched column changes: threads.last_message_at moves on every message.
    op.execute(
        f"CREATE TRIGGER {fts}_update AFTER UPDATE OF {listed} ON {table} "
        f"BEGIN {delete} {insert} END"
    )
    op.execute(f"INSERT INTO {fts}({fts}) VALUES ('rebuild')")  # index the existing rows


def _sqlite_downgrade(table: str) -> None:
    fts = f"{table}_fts"
    for action in ("insert", "delete", "update"):
        op.execute(f"DROP TRIGGER IF EXISTS {fts}_{action}")
    op.execute(f"DROP TABLE IF EXISTS {fts}")


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    for table, columns in SEARCHED.items():
        if dialect == "sqlite":
            _sqlite_upgrade(table, [name for name, _ in columns])
        elif dialect == "postgresql":
            op.execute(
                f"CREATE INDEX ix_{table}_fts ON {table} USING gin (({_pg_document(columns)}))"
            )


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for table in SEARCHED:
        if dialect == "sqlite":
            _sqlite_downgrade(table)
        elif dialect == "postgresql":
            op.execute(f"DROP INDEX IF EXISTS ix_{table}_fts")
