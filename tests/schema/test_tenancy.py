"""Tenancy: another organization's objects are NOT_FOUND (never FORBIDDEN) on every path."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from tests.helpers import (
    CREATE_INVITATION,
    GraphQLClient,
    TestUser,
    add_member,
    add_to_team,
    make_api_key,
    make_org,
    make_service_account,
    make_team,
    make_user,
    unique_email,
)

NODE = "query($id: ID!) { node(id: $id) { id } }"
NODES = "query($ids: [ID!]!) { nodes(ids: $ids) { id } }"


@dataclass
class World:
    """Org A with one of everything, and a user of org B who is not in A."""

    owner_a: TestUser
    org_a: str
    ids: dict[str, str]
    invitation_token: str
    user_b: TestUser
    org_b: str


@pytest.fixture
async def world(client: GraphQLClient) -> World:
    owner_a = await make_user(client)
    org_a = (await make_org(client, owner_a))["id"]
    team = await make_team(client, org_a, owner_a)
    member = await add_member(client, org_a, owner_a, "MEMBER")
    team_member = await add_to_team(client, team["id"], owner_a, member.id)
    account = await make_service_account(client, org_a, owner_a)
    key, _ = await make_api_key(client, org_a, owner_a, "READ")
    invitation = await client.mutate(
        "createInvitation",
        CREATE_INVITATION,
        {"input": {"organizationId": org_a, "email": unique_email()}},
        token=owner_a.token,
    )
    membership = await client.execute(
        "query($id: ID!) { organization(id: $id) { members { nodes { id user { id } } } } }",
        {"id": org_a},
        token=owner_a.token,
    )
    membership_id = next(
        m["id"]
        for m in membership.data["organization"]["members"]["nodes"]
        if m["user"]["id"] == owner_a.id
    )
    user_b = await make_user(client)
    org_b = (await make_org(client, user_b))["id"]
    return World(
        owner_a=owner_a,
        org_a=org_a,
        ids={
            "organization": org_a,
            "team": team["id"],
            "teamMember": team_member["id"],
            "membership": membership_id,
            "serviceAccount": account["id"],
            "apiKey": key["id"],
            "invitation": invitation["invitation"]["id"],
            "user": owner_a.id,
        },
        invitation_token=invitation["token"],
        user_b=user_b,
        org_b=org_b,
    )


@pytest.mark.parametrize(
    "kind",
    [
        "organization",
        "team",
        "teamMember",
        "membership",
        "serviceAccount",
        "apiKey",
        "invitation",
        "user",
    ],
)
async def test_node_of_another_org_is_not_found(
    client: GraphQLClient, world: World, kind: str
) -> None:
    # given an object of org A, visible to A's owner
    object_id = world.ids[kind]
    assert (await client.execute(NODE, {"id": object_id}, token=world.owner_a.token)).data[
        "node"
    ] == {"id": object_id}
    # when a user of org B asks for it by ID
    response = await client.execute(NODE, {"id": object_id}, token=world.user_b.token)
    # then it is NOT_FOUND, exactly as an ID that never existed
    assert response.codes == ["NOT_FOUND"]
    assert response.body["data"] is None
    unknown = await client.execute(NODE, {"id": object_id[:-4] + "ZZZZ"}, token=world.user_b.token)
    assert unknown.codes == ["NOT_FOUND"]
    assert unknown.errors[0]["message"].split("'")[0] == response.errors[0]["message"].split("'")[0]


async def test_nodes_of_another_org_are_null(client: GraphQLClient, world: World) -> None:
    # given every object of org A and B's own organization
    ids = [*world.ids.values(), world.org_b]
    # when B's user asks for them all at once
    response = await client.execute(NODES, {"ids": ids}, token=world.user_b.token)
    # then A's are null, in place, and B's own is there; no error is raised
    assert response.errors == []
    assert response.data["nodes"] == [None] * len(world.ids) + [{"id": world.org_b}]


async def test_organization_by_id_or_slug_is_not_found(client: GraphQLClient, world: World) -> None:
    # given org A's ID and slug, when B's user asks for it by each
    by_id = await client.execute(
        "query($id: ID!) { organization(id: $id) { id } }",
        {"id": world.org_a},
        token=world.user_b.token,
    )
    slug = (
        await client.execute(
            "query($id: ID!) { organization(id: $id) { slug } }",
            {"id": world.org_a},
            token=world.owner_a.token,
        )
    ).data["organization"]["slug"]
    by_slug = await client.execute(
        "query($slug: String!) { organization(slug: $slug) { id } }",
        {"slug": slug},
        token=world.user_b.token,
    )
    # then both are NOT_FOUND
    assert by_id.codes == ["NOT_FOUND"]
    assert by_slug.codes == ["NOT_FOUND"]


async def test_nested_fields_do_not_cross_organizations(
    client: GraphQLClient, world: World
) -> None:
    # given a user who belongs to both A and B
    both = await add_member(client, world.org_a, world.owner_a, "MEMBER")
    await add_member(client, world.org_b, world.user_b, "MEMBER", user=both)
    # when B's owner looks at them (they share B) and at their memberships
    response = await client.execute(
        """query($id: ID!) { node(id: $id) { ... on User { id memberships { nodes { id } } } } }""",
        {"id": both.id},
        token=world.user_b.token,
    )
    # then the user is visible but their memberships (which include A) are not listed
    assert response.codes == ["FORBIDDEN"]
    # and B's members list never shows A's owner, nor A's teams
    listed = await client.execute(
        """query($id: ID!) {
          organization(id: $id) { members { nodes { user { id } } } teams { totalCount } }
        }""",
        {"id": world.org_b},
        token=world.user_b.token,
    )
    users = {m["user"]["id"] for m in listed.data["organization"]["members"]["nodes"]}
    assert users == {world.user_b.id, both.id}
    assert listed.data["organization"]["teams"]["totalCount"] == 0


MUTATIONS: dict[str, tuple[str, str, Any]] = {
    "updateOrganization": (
        "UpdateOrganizationInput",
        "organization { id }",
        lambda w: {"id": w.org_a, "name": "Taken over"},
    ),
    "deleteOrganization": ("DeleteInput", "deletedId", lambda w: {"id": w.org_a}),
    "updateMemberRole": (
        "UpdateMemberRoleInput",
        "membership { id }",
        lambda w: {"organizationId": w.org_a, "userId": w.owner_a.id, "role": "VIEWER"},
    ),
    "removeMember": (
        "MemberInput",
        "membership { id }",
        lambda w: {"organizationId": w.org_a, "userId": w.owner_a.id},
    ),
    "createInvitation": (
        "CreateInvitationInput",
        "invitation { id }",
        lambda w: {"organizationId": w.org_a, "email": unique_email()},
    ),
    "revokeInvitation": ("DeleteInput", "invitation { id }", lambda w: {"id": w.ids["invitation"]}),
    "createTeam": (
        "CreateTeamInput",
        "team { id }",
        lambda w: {"organizationId": w.org_a, "name": "Intruders"},
    ),
    "updateTeam": ("UpdateTeamInput", "team { id }", lambda w: {"id": w.ids["team"], "name": "X"}),
    "deleteTeam": ("DeleteInput", "deletedId", lambda w: {"id": w.ids["team"]}),
    "addTeamMember": (
        "AddTeamMemberInput",
        "teamMember { id }",
        lambda w: {"teamId": w.ids["team"], "userId": w.user_b.id},
    ),
    "removeTeamMember": (
        "RemoveTeamMemberInput",
        "teamMember { id }",
        lambda w: {"teamId": w.ids["team"], "userId": w.owner_a.id},
    ),
    "createApiKey": (
        "CreateApiKeyInput",
        "apiKey { id }",
        lambda w: {"organizationId": w.org_a, "name": "mine now"},
    ),
    "revokeApiKey": ("DeleteInput", "apiKey { id }", lambda w: {"id": w.ids["apiKey"]}),
    "createServiceAccount": (
        "CreateServiceAccountInput",
        "serviceAccount { id }",
        lambda w: {"organizationId": w.org_a, "name": "intruder"},
    ),
    "deleteServiceAccount": ("DeleteInput", "deletedId", lambda w: {"id": w.ids["serviceAccount"]}),
    # B's own organization, but A's service account as the key's owner
    "createApiKey (A's service account)": (
        "CreateApiKeyInput",
        "apiKey { id }",
        lambda w: {
            "organizationId": w.org_b,
            "name": "borrowed",
            "serviceAccountId": w.ids["serviceAccount"],
        },
    ),
    # B's own organization, but A's team for the invitee
    "createInvitation (A's team)": (
        "CreateInvitationInput",
        "invitation { id }",
        lambda w: {"organizationId": w.org_b, "email": unique_email(), "teamId": w.ids["team"]},
    ),
}


@pytest.mark.parametrize("name", list(MUTATIONS))
async def test_mutations_on_another_orgs_objects_are_not_found(
    client: GraphQLClient, world: World, name: str
) -> None:
    # given a mutation aimed at org A's objects
    field = name.split(" ")[0]
    input_type, selection, make_input = MUTATIONS[name]
    query = f"""
    mutation($input: {input_type}!) {{
      {field}(input: $input) {{ {selection} userErrors {{ field message code }} }}
    }}
    """
    # when B's owner runs it
    response = await client.execute(query, {"input": make_input(world)}, token=world.user_b.token)
    # then it is a NOT_FOUND userError, never FORBIDDEN, and A is untouched
    payload = response.data[field]
    assert [e["code"] for e in payload["userErrors"]] == ["NOT_FOUND"], payload
    check = await client.execute(
        NODES, {"ids": list(world.ids.values())}, token=world.owner_a.token
    )
    assert None not in check.data["nodes"]


async def test_accepting_another_orgs_invitation_for_someone_else_is_refused(
    client: GraphQLClient, world: World
) -> None:
    # given A's invitation for someone else, when B's user presents its token
    response = await client.execute(
        """mutation($t: String!) {
          acceptInvitation(input: {token: $t}) { membership { id } userErrors { code } }
        }""",
        {"t": world.invitation_token},
        token=world.user_b.token,
    )
    # then they do not join
    assert response.data["acceptInvitation"]["membership"] is None
    assert response.data["acceptInvitation"]["userErrors"] != []


async def test_api_key_of_one_org_cannot_reach_another_org_of_its_user(
    client: GraphQLClient, world: World
) -> None:
    # given a user in both A and B, with an ADMIN key for A
    both = await add_member(client, world.org_a, world.owner_a, "ADMIN")
    await add_member(client, world.org_b, world.user_b, "ADMIN", user=both)
    _, secret = await make_api_key(client, world.org_a, both, "ADMIN")
    team_b = await make_team(client, world.org_b, world.user_b)
    # when the key looks at B, by every path
    viewer = await client.execute(
        """{ viewer { organizations { nodes { id } }
                      user { memberships { totalCount nodes { organization { id } } } } } }""",
        token=secret,
    )
    org_b = await client.execute(
        "query($id: ID!) { organization(id: $id) { id } }", {"id": world.org_b}, token=secret
    )
    node = await client.execute(NODE, {"id": team_b["id"]}, token=secret)
    rename = await client.execute(
        """mutation($id: ID!) {
          updateOrganization(input: {id: $id, name: "via A's key"}) { userErrors { code } }
        }""",
        {"id": world.org_b},
        token=secret,
    )
    # then it only ever sees A
    assert viewer.data["viewer"]["organizations"]["nodes"] == [{"id": world.org_a}]
    memberships = viewer.data["viewer"]["user"]["memberships"]
    assert memberships["totalCount"] == 1
    assert memberships["nodes"] == [{"organization": {"id": world.org_a}}]
    assert org_b.codes == ["NOT_FOUND"]
    assert node.codes == ["NOT_FOUND"]
    assert [e["code"] for e in rename.data["updateOrganization"]["userErrors"]] == ["NOT_FOUND"]
