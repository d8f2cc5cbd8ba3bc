"""search(query:): full-text search over what each caller may see, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import os
import random
import sqlite3
import string
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import text

from atrium.core.migrate import alembic_config, upgrade
from atrium.resolvers.search import TARGETS, pg_document
from tests.helpers import (
    GraphQLClient,
    TestUser,
    add_member,
    add_to_team,
    db_session,
    make_org,
    make_team,
    make_user,
)
from tests.schema.test_query_counts import _counted
from tests.schema.threads.factories import create_thread, post

SEARCH = """
query Search($q: String!, $types: [SearchType!], $org: ID, $first: Int, $after: String,
             $last: Int, $before: String) {
  search(query: $q, types: $types, organizationId: $org, first: $first, after: $after,
         last: $last, before: $before) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges {
      cursor rank snippet highlights { start end text }
      node {
        __typename
        ... on Thread { id title }
        ... on Message { id content }
        ... on Agent { id name }
        ... on Architecture { id title }
      }
    }
  }
}
"""
CREATE_AGENT = """
mutation($input: CreateAgentInput!) {
  createAgent(input: $input) { agent { id } userErrors { field message code } }
}
"""
CREATE_ARCHITECTURE = """
mutation($input: CreateArchitectureInput!) {
  createArchitecture(input: $input) { architecture { id } userErrors { field message code } }
}
"""
DELETE_THREAD = """
mutation($id: ID!) {
  deleteThread(input: {id: $id}) { thread { id } userErrors { field message code } }
}
"""


def word() -> str:
    """A made-up word no other test uses, so results never depend on other tests' rows."""
    return "zq" + "".join(random.choices(string.ascii_lowercase, k=10))


async def search(client: GraphQLClient, user: TestUser, query: str, **args: Any) -> Any:
    response = await client.execute(SEARCH, {"q": query, **args}, token=user.token)
    return response.data["search"]


def ids(found: dict[str, Any]) -> list[str]:
    return [edge["node"]["id"] for edge in found["edges"]]


async def make_agent(client: GraphQLClient, user: TestUser, org_id: str, **fields: Any) -> str:
    payload = await client.mutate(
        "createAgent",
        CREATE_AGENT,
        {"input": {"organizationId": org_id, **fields}},
        token=user.token,
    )
    return str(payload["agent"]["id"])


async def make_architecture(
    client: GraphQLClient, user: TestUser, org_id: str, **fields: Any
) -> str:
    payload = await client.mutate(
        "createArchitecture",
        CREATE_ARCHITECTURE,
        {"input": {"organizationId": org_id, **fields}},
        token=user.token,
    )
    return str(payload["architecture"]["id"])


async def one_of_each(client: GraphQLClient, user: TestUser, org_id: str, w: str) -> dict[str, str]:
    """A thread, a message, an agent and an architecture, each with ``w`` somewhere."""
    thread = await create_thread(client, user, organizationId=org_id, title=f"Plans for {w}")
    message = await post(client, user, thread["id"], f"Shall we ship {w} today?")
    agent = await make_agent(client, user, org_id, name="Helper", systemPrompt=f"You know {w}.")
    architecture = await make_architecture(client, user, org_id, title="Shop", description=w)
    return {
        "Thread": thread["id"],
        "Message": message["id"],
        "Agent": agent,
        "Architecture": architecture,
    }


async def test_finds_each_type_by_a_word_in_it(client: GraphQLClient) -> None:
    # given one object of each type mentioning a word
    owner = await make_user(client)
    org = await make_org(client, owner)
    w = word()
    made = await one_of_each(client, owner, org["id"], w)
    # when the word is searched
    found = await search(client, owner, w.upper())
    # then each object is found once, with the word highlighted in its snippet
    by_type = {edge["node"]["__typename"]: edge for edge in found["edges"]}
    assert {kind: edge["node"]["id"] for kind, edge in by_type.items()} == made
    assert found["totalCount"] == 4
    for edge in found["edges"]:
        assert edge["rank"] > 0
        assert [h["text"].lower() for h in edge["highlights"]] == [w]
        start, end = edge["highlights"][0]["start"], edge["highlights"][0]["end"]
        assert edge["snippet"][start:end].lower() == w


async def test_a_row_with_the_word_twice_ranks_above_one_with_it_once(
    client: GraphQLClient,
) -> None:
    # given two messages of the same length, one with the word twice
    owner = await make_user(client)
    org = await make_org(client, owner)
    thread = await create_thread(client, owner, organizationId=org["id"], title="Notes")
    w = word()
    once = await post(client, owner, thread["id"], f"{w} and some other words here")
    twice = await post(client, owner, thread["id"], f"{w} and some other {w} here")
    # when the word is searched
    found = await search(client, owner, w)
    # then the message with it twice comes first
    assert ids(found) == [twice["id"], once["id"]]
    assert found["edges"][0]["rank"] > found["edges"][1]["rank"]


async def test_types_filter(client: GraphQLClient) -> None:
    # given one object of each type mentioning a word
    owner = await make_user(client)
    org = await make_org(client, owner)
    w = word()
    made = await one_of_each(client, owner, org["id"], w)
    # when only some types are searched
    agents = await search(client, owner, w, types=["AGENT"])
    talk = await search(client, owner, w, types=["THREAD", "MESSAGE"])
    nothing = await search(client, owner, w, types=[])
    # then only objects of those types are found
    assert ids(agents) == [made["Agent"]] and agents["totalCount"] == 1
    assert sorted(ids(talk)) == sorted([made["Thread"], made["Message"]])
    assert ids(nothing) == [] and nothing["totalCount"] == 0


async def test_words_match_in_any_form_and_phrases_or_and_minus_work(
    client: GraphQLClient,
) -> None:
    # given messages about deploying and about testing
    owner = await make_user(client)
    org = await make_org(client, owner)
    thread = await create_thread(client, owner, organizationId=org["id"], title="Ops")
    w = word()
    deploy = await post(client, owner, thread["id"], f"We deploy {w} on Fridays")
    tests = await post(client, owner, thread["id"], f"The {w} tests are green")
    # when searched in other forms and with operators
    stemmed = await search(client, owner, f"deploying {w}")
    either = await search(client, owner, f"{w} deployed or {w} testing")
    without = await search(client, owner, f"{w} -deploys")
    phrase = await search(client, owner, f'"deploy {w}"')
    # then stems match and the operators mean what web search engines make them mean
    assert ids(stemmed) == [deploy["id"]]
    assert sorted(ids(either)) == sorted([deploy["id"], tests["id"]])
    assert ids(without) == [tests["id"]]
    assert ids(phrase) == [deploy["id"]]


async def test_other_organizations_and_other_peoples_rows_are_never_found(
    client: GraphQLClient,
) -> None:
    # given an owner, a member, a team with another member, and an outsider's organization
    owner = await make_user(client)
    org = await make_org(client, owner)
    member = await add_member(client, org["id"], owner)
    teammate = await add_member(client, org["id"], owner)
    team = await make_team(client, org["id"], owner)
    await add_to_team(client, team["id"], owner, teammate.id)
    outsider = await make_user(client)
    elsewhere = await make_org(client, outsider)
    w = word()
    # ... each with things mentioning the word that only they (or their team) may see
    outside = await one_of_each(client, outsider, elsewhere["id"], w)
    mine = await create_thread(client, member, organizationId=org["id"], title=w)
    my_message = await post(client, member, mine["id"], w)
    my_agent = await make_agent(client, member, org["id"], name=w, scope="PERSONAL")
    ours = await create_thread(client, teammate, organizationId=org["id"], teamId=team["id"])
    our_message = await post(client, teammate, ours["id"], w)
    # when each of them searches
    found = {
        name: set(ids(await search(client, user, w)))
        for name, user in (
            ("owner", owner),
            ("member", member),
            ("teammate", teammate),
            ("outsider", outsider),
        )
    }
    # then everyone finds exactly what their own queries would list
    assert found["outsider"] == set(outside.values())
    assert found["member"] == {mine["id"], my_message["id"], my_agent}
    assert found["teammate"] == {our_message["id"]}
    assert found["owner"] == {our_message["id"]}  # admins see team threads, not personal ones
    # and an organization outside one's own finds nothing either
    assert ids(await search(client, member, w, org=elsewhere["id"])) == []


async def test_soft_deleted_threads_and_their_messages_are_not_found(
    client: GraphQLClient,
) -> None:
    # given a thread and a message mentioning a word
    owner = await make_user(client)
    org = await make_org(client, owner)
    w = word()
    thread = await create_thread(client, owner, organizationId=org["id"], title=w)
    message = await post(client, owner, thread["id"], w)
    assert set(ids(await search(client, owner, w))) == {thread["id"], message["id"]}
    # when the thread is deleted
    await client.mutate("deleteThread", DELETE_THREAD, {"id": thread["id"]}, token=owner.token)
    # then neither is found any more
    found = await search(client, owner, w)
    assert ids(found) == [] and found["totalCount"] == 0


@pytest.mark.parametrize(
    "query",
    ['"foo AND (', "title:x", "*", "NEAR(a b", "-", '"', "OR", "a OR", "^x", "a\x00b", "()"],
)
async def test_query_syntax_never_fails(client: GraphQLClient, query: str) -> None:
    # given a user
    user = await make_user(client)
    await make_org(client, user)
    # when a query full of search syntax is sent
    response = await client.execute(SEARCH, {"q": query}, token=user.token)
    # then it is answered, not failed
    assert response.status == 200 and response.errors == []


@pytest.mark.parametrize("query", ["", "   ", "\t\n"])
async def test_empty_query_is_bad_user_input(client: GraphQLClient, query: str) -> None:
    user = await make_user(client)
    response = await client.execute(SEARCH, {"q": query}, token=user.token)
    assert response.codes == ["BAD_USER_INPUT"]


async def test_paging_through_results(client: GraphQLClient) -> None:
    # given five threads mentioning a word
    owner = await make_user(client)
    org = await make_org(client, owner)
    w = word()
    for i in range(5):
        await create_thread(client, owner, organizationId=org["id"], title=f"{w} {i}")
    everything = await search(client, owner, w, first=10)
    # when paged through two at a time, forwards and backwards
    pages, after = [], None
    while True:
        page = await search(client, owner, w, first=2, after=after)
        pages.append(page)
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    last = await search(client, owner, w, last=2)
    before = await search(client, owner, w, last=2, before=last["pageInfo"]["startCursor"])
    # then the pages cover every result once, in order
    assert [len(page["edges"]) for page in pages] == [2, 2, 1]
    assert [i for page in pages for i in ids(page)] == ids(everything)
    assert all(page["totalCount"] == 5 for page in pages)
    assert [p["pageInfo"]["hasPreviousPage"] for p in pages] == [False, True, True]
    assert ids(last) == ids(everything)[3:] and ids(before) == ids(everything)[1:3]
    too_big = await client.execute(SEARCH, {"q": w, "first": 101}, token=owner.token)
    assert too_big.codes == ["BAD_USER_INPUT"]


async def test_statements_do_not_grow_with_page_size(client: GraphQLClient, app: Any) -> None:
    # given twelve messages mentioning a word
    owner = await make_user(client)
    org = await make_org(client, owner)
    thread = await create_thread(client, owner, organizationId=org["id"], title="Many")
    w = word()
    for i in range(12):
        await post(client, owner, thread["id"], f"{w} number {i}")
    await client.execute(SEARCH, {"q": w, "first": 2}, token=owner.token)  # warm up
    # when searched with pages of 2 and of 12
    small, run_2 = await _counted(client, app, SEARCH, {"q": w, "first": 2}, owner.token)
    large, run_12 = await _counted(client, app, SEARCH, {"q": w, "first": 12}, owner.token)
    # then the same few statements ran: one per searched type
    assert len(small["search"]["edges"]) == 2 and len(large["search"]["edges"]) == 12
    assert len(run_2) == len(run_12)
    searches = [s for s in run_12 if "_fts" in s or "websearch_to_tsquery" in s]
    assert len(searches) == 4


async def test_postgres_queries_use_the_migrations_indexes(app: Any) -> None:
    # given PostgreSQL, discouraged from scanning tables
    if not os.environ.get("ATRIUM_DATABASE_URL", "").startswith("postgresql"):
        pytest.skip("PostgreSQL only")
    async with db_session(app) as session:
        await session.execute(text("SET LOCAL enable_seqscan = off"))
        for target in TARGETS.values():
            # when the search condition is planned
            plan = await session.execute(
                text(
                    f"EXPLAIN SELECT 1 FROM {target.table} "
                    f"WHERE {pg_document(target)} @@ websearch_to_tsquery('english', 'x')"
                )
            )
            # then it reads the GIN index, which it only can if the expressions agree
            assert f"ix_{target.table}_fts" in "\n".join(row[0] for row in plan)


async def test_the_migration_indexes_existing_sqlite_rows(tmp_path: Path) -> None:
    # given a SQLite database just before the search migration, with a thread in it
    if os.environ.get("ATRIUM_DATABASE_URL", "").startswith("postgresql"):
        pytest.skip("SQLite only (PostgreSQL's CREATE INDEX always reads existing rows)")
    url = f"sqlite+aiosqlite:///{tmp_path / 'old.db'}"
    revisions = ScriptDirectory.from_config(alembic_config(url)).walk_revisions()
    migration = next(r for r in revisions if str(r.path).endswith("_full_text_search.py"))
    await asyncio.to_thread(upgrade, url, str(migration.down_revision))
    with closing(sqlite3.connect(tmp_path / "old.db")) as connection, connection:
        connection.execute(  # foreign keys are off here: a bare row will do
            "INSERT INTO threads (id, organization_id, owner_user_id, title, replying, "
            "created_at, updated_at) VALUES ('thr_1', 'org_1', 'usr_1', 'Deploying on "
            "Fridays', 0, '2026-01-01', '2026-01-01')"
        )
    # when the search migration runs
    await asyncio.to_thread(upgrade, url, migration.revision)
    # then the thread is in the index
    with closing(sqlite3.connect(tmp_path / "old.db")) as connection:
        found = connection.execute(
            "SELECT rowid FROM threads_fts WHERE threads_fts MATCH 'deploy'"
        ).fetchall()
    assert len(found) == 1
