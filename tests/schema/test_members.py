"""Organization members: role changes under the policy, the last owner, leaving."""

from __future__ import annotations

import asyncio
from typing import Any

from tests.helpers import (
    GraphQLClient,
    TestUser,
    add_member,
    add_to_team,
    make_api_key,
    make_org,
    make_team,
    make_user,
    user_error,
)

UPDATE_ROLE = """
mutation Role($input: UpdateMemberRoleInput!) {
  updateMemberRole(input: $input) {
    membership { id role user { id } }
    userErrors { field message code }
  }
}
"""
REMOVE = """
mutation Remove($input: MemberInput!) {
  removeMember(input: $input) { membership { id role } userErrors { field message code } }
}
"""
ROLES = """
query Roles($id: ID!) {
  organization(id: $id) { members(first: 100) { totalCount nodes { role user { id } } } }
}
"""


async def _set_role(
    client: GraphQLClient, org_id: str, actor: TestUser, user_id: str, role: str
) -> dict[str, Any]:
    response = await client.execute(
        UPDATE_ROLE,
        {"input": {"organizationId": org_id, "userId": user_id, "role": role}},
        token=actor.token,
    )
    payload: dict[str, Any] = response.data["updateMemberRole"]
    return payload


async def _remove(
    client: GraphQLClient, org_id: str, actor: TestUser, user_id: str
) -> dict[str, Any]:
    response = await client.execute(
        REMOVE, {"input": {"organizationId": org_id, "userId": user_id}}, token=actor.token
    )
    payload: dict[str, Any] = response.data["removeMember"]
    return payload


async def _roles(client: GraphQLClient, org_id: str, viewer: TestUser) -> dict[str, str]:
    data = (await client.execute(ROLES, {"id": org_id}, token=viewer.token)).data
    return {m["user"]["id"]: m["role"] for m in data["organization"]["members"]["nodes"]}


async def test_admin_manages_members_but_cannot_grant_owner(client: GraphQLClient) -> None:
    # given an organization with an ADMIN and a MEMBER
    owner = await make_user(client)
    org = await make_org(client, owner)
    admin = await add_member(client, org["id"], owner, "ADMIN")
    member = await add_member(client, org["id"], owner, "MEMBER")
    # when the ADMIN makes the MEMBER an ADMIN
    promoted = await _set_role(client, org["id"], admin, member.id, "ADMIN")
    # then it works
    assert promoted["userErrors"] == []
    assert promoted["membership"]["role"] == "ADMIN"
    # when the ADMIN tries to make them OWNER
    refused = await _set_role(client, org["id"], admin, member.id, "OWNER")
    # then it is FORBIDDEN on the role field and nothing changed
    error = user_error(refused)
    assert (error["code"], error["field"]) == ("FORBIDDEN", ["role"])
    # nor can the ADMIN demote the OWNER
    assert (
        user_error(await _set_role(client, org["id"], admin, owner.id, "MEMBER"))["code"]
        == "FORBIDDEN"
    )
    assert await _roles(client, org["id"], owner) == {
        owner.id: "OWNER",
        admin.id: "ADMIN",
        member.id: "ADMIN",
    }


async def test_member_cannot_manage(client: GraphQLClient) -> None:
    # given two MEMBERs
    owner = await make_user(client)
    org = await make_org(client, owner)
    member = await add_member(client, org["id"], owner, "MEMBER")
    other = await add_member(client, org["id"], owner, "VIEWER")
    # when one tries to promote the other, promote themselves or remove the other
    attempts = [
        await _set_role(client, org["id"], member, other.id, "MEMBER"),
        await _set_role(client, org["id"], member, member.id, "ADMIN"),
        await _remove(client, org["id"], member, other.id),
    ]
    # then each is FORBIDDEN and the roles are unchanged
    assert [user_error(a)["code"] for a in attempts] == ["FORBIDDEN"] * 3
    assert await _roles(client, org["id"], owner) == {
        owner.id: "OWNER",
        member.id: "MEMBER",
        other.id: "VIEWER",
    }


async def test_last_owner_can_be_neither_demoted_nor_removed(client: GraphQLClient) -> None:
    # given an organization with one OWNER
    owner = await make_user(client)
    org = await make_org(client, owner)
    # when the OWNER demotes themselves, leaves, or is removed
    demote = await _set_role(client, org["id"], owner, owner.id, "ADMIN")
    leave = await _remove(client, org["id"], owner, owner.id)
    # then each is LAST_OWNER and the owner is still OWNER
    for payload in (demote, leave):
        error = user_error(payload)
        assert error["code"] == "LAST_OWNER"
        assert payload["membership"] is None
    assert await _roles(client, org["id"], owner) == {owner.id: "OWNER"}


async def test_with_two_owners_one_can_be_demoted_then_the_other_is_last(
    client: GraphQLClient,
) -> None:
    # given two OWNERs
    owner = await make_user(client)
    org = await make_org(client, owner)
    second = await add_member(client, org["id"], owner, "OWNER")
    # when the first demotes the second
    demoted = await _set_role(client, org["id"], owner, second.id, "ADMIN")
    # then it works
    assert demoted["userErrors"] == []
    assert demoted["membership"]["role"] == "ADMIN"
    # and the first is now the last OWNER
    assert (
        user_error(await _set_role(client, org["id"], owner, owner.id, "MEMBER"))["code"]
        == "LAST_OWNER"
    )


async def test_with_two_owners_one_can_leave(client: GraphQLClient) -> None:
    # given two OWNERs
    owner = await make_user(client)
    org = await make_org(client, owner)
    second = await add_member(client, org["id"], owner, "OWNER")
    # when the second leaves
    left = await _remove(client, org["id"], second, second.id)
    # then it works and the first is the only member, and the last owner
    assert left["userErrors"] == []
    assert await _roles(client, org["id"], owner) == {owner.id: "OWNER"}
    assert user_error(await _remove(client, org["id"], owner, owner.id))["code"] == "LAST_OWNER"


async def test_owner_removes_an_owner_when_there_are_two(client: GraphQLClient) -> None:
    # given two OWNERs
    owner = await make_user(client)
    org = await make_org(client, owner)
    second = await add_member(client, org["id"], owner, "OWNER")
    # when one removes the other
    removed = await _remove(client, org["id"], owner, second.id)
    # then it works and one OWNER is left
    assert removed["userErrors"] == []
    assert await _roles(client, org["id"], owner) == {owner.id: "OWNER"}


async def test_leaving_drops_access_team_memberships_and_keys(client: GraphQLClient) -> None:
    # given a MEMBER in a team with a personal key
    owner = await make_user(client)
    org = await make_org(client, owner)
    member = await add_member(client, org["id"], owner, "MEMBER")
    team = await make_team(client, org["id"], owner)
    await add_to_team(client, team["id"], owner, member.id)
    _, secret = await make_api_key(client, org["id"], member, "READ")
    # when the MEMBER leaves
    left = await _remove(client, org["id"], member, member.id)
    # then it worked, the organization is NOT_FOUND for them and their key is dead
    assert left["userErrors"] == []
    gone = await client.execute(
        "query($id: ID!) { organization(id: $id) { id } }", {"id": org["id"]}, token=member.token
    )
    assert gone.codes == ["NOT_FOUND"]
    by_key = await client.execute("{ viewer { scope } }", token=secret)
    assert by_key.status == 401
    # and the team no longer lists them
    team_members = await client.execute(
        "query($id: ID!) { node(id: $id) { ... on Team { members { nodes { user { id } } } } } }",
        {"id": team["id"]},
        token=owner.token,
    )
    assert team_members.data["node"]["members"]["nodes"] == [{"user": {"id": owner.id}}]


async def test_admin_removes_a_member(client: GraphQLClient) -> None:
    # given an ADMIN and a MEMBER
    owner = await make_user(client)
    org = await make_org(client, owner)
    admin = await add_member(client, org["id"], owner, "ADMIN")
    member = await add_member(client, org["id"], owner, "MEMBER")
    # when the ADMIN removes the MEMBER
    removed = await _remove(client, org["id"], admin, member.id)
    # then they are gone
    assert removed["userErrors"] == []
    assert member.id not in await _roles(client, org["id"], owner)
    # and removing them again is NOT_FOUND on the user
    again = user_error(await _remove(client, org["id"], admin, member.id))
    assert (again["code"], again["field"]) == ("NOT_FOUND", ["userId"])


async def test_role_change_applies_to_the_next_request(client: GraphQLClient) -> None:
    # given a MEMBER promoted to ADMIN
    owner = await make_user(client)
    org = await make_org(client, owner)
    member = await add_member(client, org["id"], owner, "MEMBER")
    await _set_role(client, org["id"], owner, member.id, "ADMIN")
    # when they look at the organization
    response = await client.execute(
        "query($id: ID!) { organization(id: $id) { viewerRole } }",
        {"id": org["id"]},
        token=member.token,
    )
    # then their role is ADMIN
    assert response.data["organization"]["viewerRole"] == "ADMIN"


async def test_two_owners_demoting_each_other_at_once_keep_one_owner(
    client: GraphQLClient,
) -> None:
    # given an organization with exactly two owners
    first = await make_user(client)
    org = await make_org(client, first)
    second = await add_member(client, org["id"], first, "OWNER")
    # when each demotes the other at the same time
    await asyncio.gather(
        _set_role(client, org["id"], first, second.id, "ADMIN"),
        _set_role(client, org["id"], second, first.id, "ADMIN"),
    )
    # then one of them is still OWNER
    response = await client.execute(ROLES, {"id": org["id"]}, token=first.token)
    roles = [node["role"] for node in response.data["organization"]["members"]["nodes"]]
    assert roles.count("OWNER") == 1
