"""SQL statements per query do not grow with page size; Relay pagination over real rows."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from tests.helpers import (
    GraphQLClient,
    TestUser,
    add_member,
    add_to_team,
    count_statements,
    make_org,
    make_team,
    make_user,
)

MEMBERS_IN_BIG_ORG = 60
TEAMS = 4
MEMBERS_PER_TEAM = 8

NESTED = """
query Nested($n: Int!) {
  viewer {
    user { name memberships(first: $n) { totalCount nodes { role organization { name } } } }
    organizations(first: 2) {
      totalCount
      nodes {
        name
        members(first: $n) {
          totalCount
          pageInfo { hasNextPage endCursor }
          nodes { role user { name } }
        }
        teams(first: $n) {
          totalCount
          nodes {
            name
            members(first: $n) { totalCount nodes { role user { email } } }
          }
        }
      }
    }
  }
}
"""

MEMBERS_PAGE = """
query Page($id: ID!, $first: Int, $after: String, $last: Int, $before: String) {
  organization(id: $id) {
    members(first: $first, after: $after, last: $last, before: $before) {
      totalCount
      edges { cursor node { id user { id } } }
      pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    }
  }
}
"""


@dataclass
class BigOrg:
    owner: TestUser
    org_id: str
    member_ids: list[str] = field(default_factory=list)  # membership IDs, in ID order
    node_ids: list[str] = field(default_factory=list)  # a mix of types, for node/nodes


@pytest.fixture(scope="module")
async def big_org(app: Any) -> AsyncIterator[BigOrg]:
    """An organization with 60 members, 4 teams of 8, and a second small organization."""
    async with GraphQLClient.for_app(app) as client:
        owner = await make_user(client, "Owner")
        org = await make_org(client, owner)
        users = [
            await add_member(client, org["id"], owner, name=f"Member {i}")
            for i in range(MEMBERS_IN_BIG_ORG)
        ]
        team_ids = []
        for t in range(TEAMS):
            team = await make_team(client, org["id"], owner)
            team_ids.append(team["id"])
            for user in users[t * MEMBERS_PER_TEAM : (t + 1) * MEMBERS_PER_TEAM]:
                await add_to_team(client, team["id"], owner, user.id)
        # a second organization, so the nested query batches across two parents
        other = await make_org(client, owner)
        await add_member(client, other["id"], owner, user=users[0])
        await make_team(client, other["id"], owner)
        page = await client.execute(
            "query($id: ID!) { organization(id: $id) { members(first: 100) { nodes { id } } } }",
            {"id": org["id"]},
            token=owner.token,
        )
        member_ids = [n["id"] for n in page.data["organization"]["members"]["nodes"]]
        node_ids = [*member_ids[:20], *(u.id for u in users[:20]), *team_ids, org["id"]]
        yield BigOrg(owner, org["id"], member_ids, node_ids)


async def _counted(
    client: GraphQLClient, app: Any, query: str, variables: dict[str, Any], token: str
) -> tuple[dict[str, Any], list[str]]:
    with count_statements(app) as statements:
        response = await client.execute(query, variables, token=token)
    return response.data, statements


def _listing(*runs: list[str]) -> str:
    """Both runs' statements, shortened, for the assertion message."""
    return "\n\n".join(
        "\n".join(" ".join(statement.split())[:120] for statement in run) for run in runs
    )


async def test_nested_query_statement_count_does_not_grow_with_page_size(
    client: GraphQLClient, app: Any, big_org: BigOrg, record_property: Any
) -> None:
    token = big_org.owner.token
    # given the nested query, warmed up once (so compiled-statement caches do not count)
    await client.execute(NESTED, {"n": 5}, token=token)
    # when it runs with pages of 5 and of 50
    small, run_5 = await _counted(client, app, NESTED, {"n": 5}, token)
    large, run_50 = await _counted(client, app, NESTED, {"n": 50}, token)
    at_5, at_50 = len(run_5), len(run_50)
    print(f"\nSQL statements for the nested query: N=5 -> {at_5}, N=50 -> {at_50}")
    record_property("sql_statements_n5", at_5)
    record_property("sql_statements_n50", at_50)
    # then it returned really different amounts of data
    big_small = next(
        o for o in small["viewer"]["organizations"]["nodes"] if o["members"]["totalCount"] > 60
    )
    big_large = next(
        o for o in large["viewer"]["organizations"]["nodes"] if o["members"]["totalCount"] > 60
    )
    assert len(big_small["members"]["nodes"]) == 5
    assert len(big_large["members"]["nodes"]) == 50
    assert big_large["members"]["totalCount"] == MEMBERS_IN_BIG_ORG + 1
    assert all(m["user"]["name"] for m in big_large["members"]["nodes"])
    teams = big_large["teams"]["nodes"]
    assert len(teams) == TEAMS
    # the owner created each team, so is a maintainer in it besides the added members
    assert [t["members"]["totalCount"] for t in teams] == [MEMBERS_PER_TEAM + 1] * TEAMS
    assert all(m["user"]["email"] for t in teams for m in t["members"]["nodes"])
    # and the same number of statements, and few of them
    assert at_5 == at_50, _listing(run_5, run_50)
    assert at_50 <= 20


async def test_nodes_over_many_ids_use_a_constant_number_of_statements(
    client: GraphQLClient, app: Any, big_org: BigOrg
) -> None:
    query = "query($ids: [ID!]!) { nodes(ids: $ids) { id ... on Membership { user { name } } } }"
    token = big_org.owner.token
    ids = big_org.node_ids  # 20 memberships, 20 users, the teams, the organization
    assert len(ids) >= 45
    few_ids = [ids[0], ids[1], ids[20], ids[21], ids[-2], ids[-1]]  # the same types, fewer
    # given a warm-up, when nodes() asks for a few IDs and then for all of them
    await client.execute(query, {"ids": few_ids}, token=token)
    few, run_few = await _counted(client, app, query, {"ids": few_ids}, token)
    many, run_many = await _counted(client, app, query, {"ids": ids}, token)
    # then all were found and the statement count is the same
    assert None not in few["nodes"]
    assert None not in many["nodes"]
    assert [n["id"] for n in many["nodes"]] == ids
    assert len(run_few) == len(run_many), _listing(run_few, run_many)
    # and node() one at a time costs the same as one ID in nodes()
    one, run_one = await _counted(
        client, app, "query($id: ID!) { node(id: $id) { id } }", {"id": ids[0]}, token
    )
    assert one["node"] == {"id": ids[0]}
    assert len(run_one) <= len(run_many)


# --- Pagination ------------------------------------------------------------------------


async def _page(client: GraphQLClient, org_id: str, token: str, **args: Any) -> dict[str, Any]:
    response = await client.execute(MEMBERS_PAGE, {"id": org_id, **args}, token=token)
    connection: dict[str, Any] = response.data["organization"]["members"]
    return connection


def _ids(connection: dict[str, Any]) -> list[str]:
    return [edge["node"]["id"] for edge in connection["edges"]]


async def test_forward_pagination_through_every_page(
    client: GraphQLClient, big_org: BigOrg
) -> None:
    # given 61 members, when they are read 20 at a time with first/after
    seen: list[str] = []
    pages: list[dict[str, Any]] = []
    after = None
    while True:
        page = await _page(client, big_org.org_id, big_org.owner.token, first=20, after=after)
        pages.append(page)
        seen += _ids(page)
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    # then every member came exactly once, in order, in pages of 20, 20, 20, 1
    assert seen == big_org.member_ids
    assert [len(p["edges"]) for p in pages] == [20, 20, 20, 1]
    assert all(p["totalCount"] == MEMBERS_IN_BIG_ORG + 1 for p in pages)
    assert [p["pageInfo"]["hasPreviousPage"] for p in pages] == [False, True, True, True]
    assert [p["pageInfo"]["hasNextPage"] for p in pages] == [True, True, True, False]
    for page in pages:
        assert page["pageInfo"]["startCursor"] == page["edges"][0]["cursor"]
        assert page["pageInfo"]["endCursor"] == page["edges"][-1]["cursor"]


async def test_backward_pagination_through_every_page(
    client: GraphQLClient, big_org: BigOrg
) -> None:
    # when the members are read 25 at a time from the end with last/before
    seen: list[str] = []
    pages: list[dict[str, Any]] = []
    before = None
    while True:
        page = await _page(client, big_org.org_id, big_org.owner.token, last=25, before=before)
        pages.append(page)
        seen = _ids(page) + seen
        if not page["pageInfo"]["hasPreviousPage"]:
            break
        before = page["pageInfo"]["startCursor"]
    # then every member came once, each page in forward order, the last page first
    assert seen == big_org.member_ids
    assert [len(p["edges"]) for p in pages] == [25, 25, 11]
    assert [p["pageInfo"]["hasNextPage"] for p in pages] == [False, True, True]
    assert [p["pageInfo"]["hasPreviousPage"] for p in pages] == [True, True, False]


async def test_default_page_is_20(client: GraphQLClient, big_org: BigOrg) -> None:
    # given no page size, when members are listed
    page = await _page(client, big_org.org_id, big_org.owner.token)
    # then the first 20 come, with more to follow
    assert _ids(page) == big_org.member_ids[:20]
    assert page["pageInfo"]["hasNextPage"] is True


async def test_before_alone_reads_the_items_just_before(
    client: GraphQLClient, big_org: BigOrg
) -> None:
    # given the cursor of the 41st member
    page = await _page(client, big_org.org_id, big_org.owner.token, first=41)
    cursor = page["edges"][-1]["cursor"]
    # when a page is asked for before it, with no size
    before = await _page(client, big_org.org_id, big_org.owner.token, before=cursor)
    # then it is the (default) 20 members just before it, as with last: 20
    assert _ids(before) == big_org.member_ids[20:40]


@pytest.mark.parametrize(
    "args",
    [
        {"first": 101},
        {"last": 101},
        {"first": -1},
        {"first": 5, "last": 5},
        {"after": "not-a-cursor"},
        {"before": "bm9wZQ"},  # base64 of "nope": decodes, but is not one of ours
    ],
)
async def test_bad_paging_arguments_are_bad_user_input(
    client: GraphQLClient, big_org: BigOrg, args: dict[str, Any]
) -> None:
    # given bad paging arguments, when members are listed
    response = await client.execute(
        MEMBERS_PAGE, {"id": big_org.org_id, **args}, token=big_org.owner.token
    )
    # then it is BAD_USER_INPUT, nothing clamped
    assert response.codes == ["BAD_USER_INPUT"]


async def test_first_100_is_allowed(client: GraphQLClient, big_org: BigOrg) -> None:
    # given the maximum page size, when members are listed
    page = await _page(client, big_org.org_id, big_org.owner.token, first=100)
    # then all 61 come in one page
    assert _ids(page) == big_org.member_ids
    assert page["pageInfo"]["hasNextPage"] is False


async def test_cursors_are_stable_when_rows_change_between_pages(client: GraphQLClient) -> None:
    # given an organization with 8 members, and its first page of 4
    owner = await make_user(client)
    org = await make_org(client, owner)
    members = [await add_member(client, org["id"], owner) for _ in range(7)]
    first = await _page(client, org["id"], owner.token, first=4)
    all_before = _ids(await _page(client, org["id"], owner.token, first=100))
    # when a member joins and one already read leaves, between the pages
    newcomer = await add_member(client, org["id"], owner)
    await client.mutate(
        "removeMember",
        """mutation($input: MemberInput!) {
          removeMember(input: $input) { membership { id } userErrors { code } }
        }""",
        {"input": {"organizationId": org["id"], "userId": members[0].id}},
        token=owner.token,
    )
    # then the next page starts right after the cursor: nothing skipped, nothing repeated
    second = await _page(
        client, org["id"], owner.token, first=4, after=first["pageInfo"]["endCursor"]
    )
    assert _ids(second) == all_before[4:8]
    assert second["pageInfo"]["hasNextPage"] is True
    third = await _page(
        client, org["id"], owner.token, first=4, after=second["pageInfo"]["endCursor"]
    )
    assert [e["node"]["user"]["id"] for e in third["edges"]] == [newcomer.id]
    assert third["totalCount"] == 8
