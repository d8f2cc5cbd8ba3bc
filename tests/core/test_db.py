"""Read-only sessions: queries read without the write lock, and cannot write by mistake."""

from __future__ import annotations

import asyncio
import sqlite3
from typing import Any

import pytest
from sqlalchemy import text, update

from atrium.core.db import ReadOnlyViolation
from atrium.models.identity import User
from tests.helpers import GraphQLClient, make_org, make_user

RENAME = """mutation M($id: ID!, $name: String!) {
  updateOrganization(input: {id: $id, name: $name}) { organization { name } userErrors { code } }
}"""


def _sqlite_only(app: Any) -> None:
    if not app.state.atrium.db.is_sqlite:
        pytest.skip("SQLite's locking; PostgreSQL readers never wait for writers")


async def test_a_query_answers_while_another_connection_holds_the_write_lock(
    app: Any, client: GraphQLClient
) -> None:
    _sqlite_only(app)
    # given a user, and another connection to the file that holds the write lock
    user = await make_user(client)
    org = await make_org(client, user)
    path = app.state.atrium.db.engine.url.database
    writer = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
    try:
        # (in a thread: the app's own writers must be able to finish meanwhile)
        await asyncio.to_thread(writer.execute, "BEGIN IMMEDIATE")
        # when the user queries
        response = await asyncio.wait_for(
            client.execute(
                "query($id: ID!) { organization(id: $id) { name } }",
                {"id": org["id"]},
                token=user.token,
            ),
            timeout=10,  # a query waiting for the lock would wait busy_timeout (30 s)
        )
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    # then it answered without waiting for the writer
    assert response.data == {"organization": {"name": org["name"]}}


async def test_a_mutation_the_transport_takes_for_a_query_still_writes(
    client: GraphQLClient,
) -> None:
    # given a document whose first line starts with `query`, run for its mutation
    user = await make_user(client)
    org = await make_org(client, user)
    document = "query Q { viewer { scope } } " + RENAME
    # when it is executed
    response = await client.http.post(
        "/graphql",
        json={
            "query": document,
            "operationName": "M",
            "variables": {"id": org["id"], "name": "Renamed"},
        },
        headers={"Authorization": f"Bearer {user.token}"},
    )
    # then the mutation wrote, and the change is there to read
    assert response.json()["data"]["updateOrganization"] == {
        "organization": {"name": "Renamed"},
        "userErrors": [],
    }
    again = await client.execute(
        "query($id: ID!) { organization(id: $id) { name } }", {"id": org["id"]}, token=user.token
    )
    assert again.data == {"organization": {"name": "Renamed"}}


async def test_a_read_only_session_refuses_to_write(app: Any) -> None:
    _sqlite_only(app)
    db = app.state.atrium.db
    async with db.read_sessionmaker() as session:
        assert (await session.execute(text("SELECT 1"))).scalar() == 1
        with pytest.raises(ReadOnlyViolation):
            await session.execute(update(User).where(User.id == "usr_none").values(name="x"))
