"""Teams: create, update, delete, members; maintainers vs org admins vs members."""

from __future__ import annotations

from typing import Any

from tests.helpers import (
    ADD_TEAM_MEMBER,
    CREATE_TEAM,
    GraphQLClient,
    TestUser,
    add_member,
    add_to_team,
    make_org,
    make_team,
    make_user,
    unique,
    user_error,
)

UPDATE_TEAM = """
mutation Update($input: UpdateTeamInput!) {
  updateTeam(input: $input) { team { id name slug description } userErrors { field code } }
}
"""
DELETE_TEAM = """
mutation Delete($id: ID!) { deleteTeam(input: {id: $id}) { deletedId userErrors { code } } }
"""
REMOVE_TEAM_MEMBER = """
mutation Remove($input: RemoveTeamMemberInput!) {
  removeTeamMember(input: $input) { teamMember { id } userErrors { field code } }
}
"""
TEAM = """
query Team($id: ID!) {
  node(id: $id) {
    ... on Team {
      id name slug organization { id }
      members { totalCount nodes { role user { id } team { id } } }
    }
  }
}
"""


async def _execute(
    client: GraphQLClient, query: str, field: str, user: TestUser, **variables: Any
) -> dict[str, Any]:
    response = await client.execute(query, variables, token=user.token)
    payload: dict[str, Any] = response.data[field]
    return payload


async def _team_members(client: GraphQLClient, team_id: str, viewer: TestUser) -> dict[str, str]:
    response = await client.execute(TEAM, {"id": team_id}, token=viewer.token)
    nodes = response.data["node"]["members"]["nodes"]
    return {n["user"]["id"]: n["role"] for n in nodes}


async def _org_with_roles(client: GraphQLClient) -> tuple[str, dict[str, TestUser]]:
    owner = await make_user(client)
    org = await make_org(client, owner)
    users = {"OWNER": owner}
    for role in ("ADMIN", "MEMBER", "VIEWER"):
        users[role] = await add_member(client, org["id"], owner, role)
    return org["id"], users


async def test_member_creates_a_team_and_maintains_it(client: GraphQLClient) -> None:
    # given an organization with a MEMBER
    org_id, users = await _org_with_roles(client)
    member = users["MEMBER"]
    # when the MEMBER creates a team
    team = await make_team(client, org_id, member, "Platform Team")
    # then it has a slug from its name and the creator is its MAINTAINER
    assert team["slug"] == "platform-team"
    assert await _team_members(client, team["id"], member) == {member.id: "MAINTAINER"}
    # and as maintainer they rename it and add another member
    renamed = await _execute(
        client, UPDATE_TEAM, "updateTeam", member, input={"id": team["id"], "name": "Core"}
    )
    assert renamed["userErrors"] == []
    assert renamed["team"]["name"] == "Core"
    await add_to_team(client, team["id"], member, users["VIEWER"].id)
    assert await _team_members(client, team["id"], member) == {
        member.id: "MAINTAINER",
        users["VIEWER"].id: "MEMBER",
    }


async def test_viewer_cannot_create_a_team(client: GraphQLClient) -> None:
    # given a VIEWER
    org_id, users = await _org_with_roles(client)
    # when they create a team
    payload = await _execute(
        client,
        CREATE_TEAM,
        "createTeam",
        users["VIEWER"],
        input={"organizationId": org_id, "name": "Nope"},
    )
    # then it is FORBIDDEN
    assert user_error(payload)["code"] == "FORBIDDEN"
    assert payload["team"] is None


async def test_validation_and_duplicate_slug(client: GraphQLClient) -> None:
    # given an ADMIN
    org_id, users = await _org_with_roles(client)
    admin = users["ADMIN"]
    # when a team has a blank name, then the name is REQUIRED
    blank = await _execute(
        client, CREATE_TEAM, "createTeam", admin, input={"organizationId": org_id, "name": " "}
    )
    assert (user_error(blank)["field"], user_error(blank)["code"]) == (["name"], "REQUIRED")
    # when a second team takes an existing slug, then it is ALREADY_EXISTS
    slug = unique("team")
    await make_team(client, org_id, admin, slug)
    duplicate = await _execute(
        client, CREATE_TEAM, "createTeam", admin, input={"organizationId": org_id, "name": slug}
    )
    assert (user_error(duplicate)["field"], user_error(duplicate)["code"]) == (
        ["slug"],
        "ALREADY_EXISTS",
    )
    # and the same slug in another organization is fine
    other_org = await make_org(client, admin)
    assert (await make_team(client, other_org["id"], admin, slug))["slug"] == slug


async def test_plain_member_cannot_change_someone_elses_team(client: GraphQLClient) -> None:
    # given a team maintained by the ADMIN, with the MEMBER in it as a plain member
    org_id, users = await _org_with_roles(client)
    team = await make_team(client, org_id, users["ADMIN"])
    await add_to_team(client, team["id"], users["ADMIN"], users["MEMBER"].id)
    member = users["MEMBER"]
    # when the MEMBER renames it, deletes it, adds or removes someone
    attempts = [
        await _execute(
            client, UPDATE_TEAM, "updateTeam", member, input={"id": team["id"], "name": "Mine"}
        ),
        await _execute(client, DELETE_TEAM, "deleteTeam", member, id=team["id"]),
        await _execute(
            client,
            ADD_TEAM_MEMBER,
            "addTeamMember",
            member,
            input={"teamId": team["id"], "userId": users["VIEWER"].id},
        ),
        await _execute(
            client,
            REMOVE_TEAM_MEMBER,
            "removeTeamMember",
            member,
            input={"teamId": team["id"], "userId": users["ADMIN"].id},
        ),
    ]
    # then every one is FORBIDDEN and the team is unchanged
    assert [user_error(a)["code"] for a in attempts] == ["FORBIDDEN"] * 4
    assert await _team_members(client, team["id"], member) == {
        users["ADMIN"].id: "MAINTAINER",
        member.id: "MEMBER",
    }


async def test_org_admin_manages_any_team(client: GraphQLClient) -> None:
    # given a team the ADMIN is not part of
    org_id, users = await _org_with_roles(client)
    team = await make_team(client, org_id, users["MEMBER"])
    admin = users["ADMIN"]
    # when the ADMIN adds the VIEWER as maintainer, changes the creator's role, then renames
    await add_to_team(client, team["id"], admin, users["VIEWER"].id, "MAINTAINER")
    await add_to_team(client, team["id"], admin, users["MEMBER"].id, "MEMBER")
    renamed = await _execute(
        client,
        UPDATE_TEAM,
        "updateTeam",
        admin,
        input={"id": team["id"], "description": "Owned by admins now"},
    )
    # then all of it worked
    assert renamed["team"]["description"] == "Owned by admins now"
    assert await _team_members(client, team["id"], admin) == {
        users["MEMBER"].id: "MEMBER",
        users["VIEWER"].id: "MAINTAINER",
    }
    # and the ADMIN deletes it
    deleted = await _execute(client, DELETE_TEAM, "deleteTeam", admin, id=team["id"])
    assert deleted == {"deletedId": team["id"], "userErrors": []}
    gone = await client.execute(TEAM, {"id": team["id"]}, token=admin.token)
    assert gone.codes == ["NOT_FOUND"]


async def test_viewer_maintainer_still_cannot_write(client: GraphQLClient) -> None:
    # given a VIEWER who was made maintainer of a team
    org_id, users = await _org_with_roles(client)
    team = await make_team(client, org_id, users["ADMIN"])
    await add_to_team(client, team["id"], users["ADMIN"], users["VIEWER"].id, "MAINTAINER")
    # when they rename it
    payload = await _execute(
        client, UPDATE_TEAM, "updateTeam", users["VIEWER"], input={"id": team["id"], "name": "X"}
    )
    # then their org role (read-only) wins: FORBIDDEN
    assert user_error(payload)["code"] == "FORBIDDEN"


async def test_a_member_leaves_a_team(client: GraphQLClient) -> None:
    # given a VIEWER in a team
    org_id, users = await _org_with_roles(client)
    team = await make_team(client, org_id, users["ADMIN"])
    await add_to_team(client, team["id"], users["ADMIN"], users["VIEWER"].id)
    # when they leave it
    left = await _execute(
        client,
        REMOVE_TEAM_MEMBER,
        "removeTeamMember",
        users["VIEWER"],
        input={"teamId": team["id"], "userId": users["VIEWER"].id},
    )
    # then only the maintainer is left
    assert left["userErrors"] == []
    assert await _team_members(client, team["id"], users["ADMIN"]) == {
        users["ADMIN"].id: "MAINTAINER"
    }
    # and removing them again is NOT_FOUND
    again = await _execute(
        client,
        REMOVE_TEAM_MEMBER,
        "removeTeamMember",
        users["ADMIN"],
        input={"teamId": team["id"], "userId": users["VIEWER"].id},
    )
    assert (user_error(again)["code"], user_error(again)["field"]) == ("NOT_FOUND", ["userId"])


async def test_only_organization_members_can_join_a_team(client: GraphQLClient) -> None:
    # given a team and a user outside the organization
    org_id, users = await _org_with_roles(client)
    team = await make_team(client, org_id, users["ADMIN"])
    outsider = await make_user(client)
    # when the admin adds that user
    payload = await _execute(
        client,
        ADD_TEAM_MEMBER,
        "addTeamMember",
        users["ADMIN"],
        input={"teamId": team["id"], "userId": outsider.id},
    )
    # then the user is NOT_FOUND
    assert (user_error(payload)["code"], user_error(payload)["field"]) == ("NOT_FOUND", ["userId"])


async def test_team_lists_under_its_organization(client: GraphQLClient) -> None:
    # given two teams
    org_id, users = await _org_with_roles(client)
    first = await make_team(client, org_id, users["ADMIN"])
    second = await make_team(client, org_id, users["MEMBER"])
    # when a VIEWER lists them
    response = await client.execute(
        "query($id: ID!) { organization(id: $id) { teams { totalCount nodes { id } } } }",
        {"id": org_id},
        token=users["VIEWER"].token,
    )
    # then both are there, oldest first
    teams = response.data["organization"]["teams"]
    assert teams == {"totalCount": 2, "nodes": [{"id": first["id"]}, {"id": second["id"]}]}
